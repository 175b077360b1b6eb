"""`gridwhistle lexicon check FILE` and `gridwhistle lexicon suggest [--config FILE]`.

check   validates a routing table: "OK" with counts (exit 0), or file:line: problem (exit 1).
suggest proposes keywords from the township's re-assignments (RoutingCorrection rows), with the
        messages that support each, for a person to add to the table.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from tortoise.exceptions import DBConnectionError, OperationalError

from bot.commands import add_config_arg, settings_from
from bot.routing import build_router
from config.errors import ConfigError
from nlp.lexicon import load_table
from nlp.suggest import Suggestion, suggest_keywords


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("lexicon", help="check the routing table; suggest keywords from corrections")
    commands = parser.add_subparsers(dest="lexicon_command", required=True, metavar="{check,suggest}")

    check = commands.add_parser("check", help="validate a routing table file")
    check.add_argument("file", metavar="FILE", help="a routing table, e.g. config/routing.toml")
    add_config_arg(check)
    check.set_defaults(run=run_check)

    suggest = commands.add_parser("suggest", help="propose keywords from re-assigned requests")
    add_config_arg(suggest)
    suggest.add_argument("--min-support", type=int, default=2, metavar="N",
                         help="propose a word only when N corrections contain it (default 2)")
    suggest.add_argument("--department", metavar="CODE", help="only this department")
    suggest.set_defaults(run=run_suggest)


def run_check(args: argparse.Namespace) -> int:
    try:
        table = load_table(args.file)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 1
    counts = ", ".join(f"{n} {what}" for what, n in table.counts().items())
    print(f"OK {args.file}: {counts}")
    return 0


def run_suggest(args: argparse.Namespace) -> int:
    try:
        settings = settings_from(args)
        router = build_router(settings)
        corrections = asyncio.run(_load_corrections(settings.database.url))
    except ConfigError as exc:
        print(f"gridwhistle lexicon suggest: {exc}", file=sys.stderr)
        return 2
    except (DBConnectionError, OperationalError) as exc:
        print(f"gridwhistle lexicon suggest: cannot read corrections from the database ({exc}); "
              "is it reachable, and has `gridwhistle db upgrade --config FILE` been run?", file=sys.stderr)
        return 2
    if args.department:
        corrections = [c for c in corrections if c[1] == args.department]
    suggestions = suggest_keywords(corrections, router.table, router.tokenize, min_support=args.min_support)
    print(_describe(suggestions, len(corrections), str(settings.routing.table)))
    return 0


async def _load_corrections(url: str) -> list[tuple[str, str]]:
    from models import RoutingCorrection
    from models.db import database

    async with database(url):
        rows = await RoutingCorrection.all().order_by("id").values_list("text", "corrected")
    return [(text, corrected) for text, corrected in rows]


def _describe(suggestions: list[Suggestion], corrections: int, table: str) -> str:
    if not suggestions:
        return f"no proposals from {corrections} correction(s)"
    lines = [f"{len(suggestions)} proposal(s) from {corrections} correction(s); add the ones you accept to {table}:"]
    department = None
    for s in suggestions:
        if s.department != department:
            department = s.department
            lines += ["", f"[departments.{department}]"]
        elsewhere = f", {s.elsewhere} elsewhere" if s.elsewhere else ""
        lines.append(f"  {s.word}  — in {s.support} of its corrections ({s.share:.0%}{elsewhere})")
        lines += [f"      · {example}" for example in s.examples]
    return "\n".join(lines)
