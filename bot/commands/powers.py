"""`gridwhistle powers check FILE`: validate a small-powers list (小微权力清单) and print its shape.

Mistakes are printed one a line as `file:line: item N (code): problem` and the exit code is 1; a good list
prints its title, its items by category (the post responsible, flows with their steps) and exit code 0.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from config.errors import ConfigError
from config.powers_file import PowersList, read_powers
from config.village_posts import read_village_posts


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("powers", help="the small-powers list: validate a list file")
    actions = parser.add_subparsers(dest="powers_command", required=True, metavar="ACTION")
    check = actions.add_parser(
        "check", help="validate a list file and print its shape", description=__doc__.splitlines()[0]
    )
    check.add_argument("file", type=Path, help="the list's TOML file, e.g. config/demo/powers.toml")
    check.set_defaults(run=run_check)


def run_check(args: argparse.Namespace) -> int:
    try:
        powers = read_powers(args.file)
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    print("\n".join(shape(powers)))
    return 0


def shape(powers: PowersList) -> list[str]:
    posts = read_village_posts()
    flows = powers.flows
    lines = [
        f"{powers.name}: {len(powers.items)} items, {len(flows)} with flows ({sum(len(i.steps) for i in flows)} steps)"
    ]
    if powers.example:
        lines.append("NOTE: marked as an example ([list] example = true): adapt it to the county's own list before use")
    categories: dict[str, list[str]] = {}
    for item in powers.items:
        post = posts.find(item.post)
        mark = f", flow of {len(item.steps)} steps" if item.is_flow else ""
        categories.setdefault(item.category or "-", []).append(
            f"  {item.code}  {item.name} ({post.name if post else item.post}{mark}) words: {'、'.join(item.words)}"
        )
        for number, step in enumerate(item.steps, 1):
            public = ", public" if step.public else ""
            results = f", results: {'/'.join(step.results)}" if step.results else ""
            step_post = posts.find(step.post)
            categories[item.category or "-"].append(
                f"      {number}. {step.name} — {step.who}, recorded by {step_post.name if step_post else step.post}, "
                f"{step.days} days{public}{results}"
            )
    for category, rows in categories.items():
        lines.append(f"{category}:")
        lines += rows
    lines.append(f"question words: {len(powers.ask)}; never for: {', '.join(powers.not_for) or '-'}")
    lines.append(f"warnings also to the township's: {', '.join(powers.township_roles) or '-'}")
    return lines
