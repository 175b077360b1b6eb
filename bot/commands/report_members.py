"""`gridwhistle report members --year 2026 [--xlsx FILE] [--config FILE]`: serving Party members (在职党员) with
their year's 实事, claims, answers and visits, the unit's and the village's grades and the combined result
(the policy's formula, `[members]`), per member, per unit and per village; --xlsx writes one sheet each.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from bot.clock import SHANGHAI
from bot.commands import add_config_arg, settings_from
from bot.commands.tables import text_table, write_xlsx
from config.policy import Policy, load_policy
from config.texts import Texts
from models.area_tree import AreaTree
from models.db import database
from models.members_report import GroupRow, group_rows, member_rows


def register_report(actions: argparse._SubParsersAction) -> None:
    parser = actions.add_parser(
        "members",
        help="serving Party members' work and year-end grades for a year",
        description=__doc__.splitlines()[0],
    )
    parser.add_argument("--year", required=True, type=int, metavar="YYYY", help="e.g. 2026")
    parser.add_argument("--xlsx", metavar="FILE", type=Path, default=None, help="also write an XLSX file")
    add_config_arg(parser)
    parser.set_defaults(run=run_members)


def run_members(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    policy = load_policy(settings.policy.file)  # the grades' points, weights and bands of this county
    try:
        sheets = asyncio.run(_sheets(settings.database.url, policy, args.year))
    except OSError as exc:
        print(f"gridwhistle report members: cannot reach the database in [database] url: {exc}", file=sys.stderr)
        return 1
    texts = Texts.load()
    for title, headers, rows in sheets:
        print(texts.render("members.report.title", year=args.year, part=title))
        print(text_table(headers, rows) if rows else texts.render("members.report.empty"))
        print()
    if args.xlsx is not None:
        write_xlsx(args.xlsx, sheets)
        print(texts.render("members.report.written", file=args.xlsx))
    return 0


def _group(row: GroupRow, grades: list[str]) -> list[str]:
    counts = [row.members, row.registered, row.done, row.claims, row.answers, row.visits, row.graded]
    return [row.name, *map(str, counts), *(str(row.results.get(grade, 0)) for grade in grades)]


async def _sheets(url: str, policy: Policy, year: int) -> list[tuple[str, list[str], list[list[str]]]]:
    texts = Texts.load()
    grades = list(dict.fromkeys(band.grade for band in policy.members.bands))
    async with database(url):
        rows = await member_rows(policy.members, year, await AreaTree.load(), SHANGHAI)
    members = [
        [
            r.unit,
            r.township,
            r.village,
            r.grid,
            r.name,
            r.userid,
            r.skills or "-",
            str(r.work.registered),
            str(r.work.done),
            str(r.work.claims),
            str(r.work.answers),
            str(r.work.visits),
            r.unit_grade or "-",
            r.village_grade or "-",
            "-" if r.points is None else f"{r.points:.1f}",
            r.result or "-",
        ]
        for r in rows
    ]
    columns = lambda key: texts.render(key).split(",")  # noqa: E731
    group_columns = lambda key: [*columns(key), *grades]  # noqa: E731
    return [
        (texts.render("members.report.part_members"), columns("members.report.columns_members"), members),
        (
            texts.render("members.report.part_units"),
            group_columns("members.report.columns_units"),
            [_group(g, grades) for g in group_rows(rows, "unit")],
        ),
        (
            texts.render("members.report.part_villages"),
            group_columns("members.report.columns_villages"),
            [_group(g, grades) for g in group_rows(rows, "village")],
        ),
    ]
