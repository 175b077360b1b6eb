"""`gridwhistle report tasks --year 2026 [--until YYYY-MM-DD] [--xlsx FILE] [--config FILE]`: cadres' 实事 per
cadre and per village (registered, done, behind the yearly minimum) and care-visit compliance per village.
Prints tables; --xlsx also writes a spreadsheet with one sheet each.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import date, datetime
from pathlib import Path

from bot.clock import SHANGHAI
from bot.commands import add_config_arg, settings_from
from bot.commands.tables import text_table, write_xlsx
from config.policy import Policy, load_policy
from config.texts import Texts
from models.area_tree import AreaTree
from models.care_report import village_compliance
from models.db import database
from models.tasks_report import cadre_rows, village_rows


def register_report(actions: argparse._SubParsersAction) -> None:
    parser = actions.add_parser(
        "tasks",
        help="cadres' practical tasks and care-visit compliance for a year",
        description=__doc__.splitlines()[0],
    )
    parser.add_argument("--year", required=True, type=int, metavar="YYYY", help="e.g. 2026")
    parser.add_argument(
        "--until",
        type=date.fromisoformat,
        default=None,
        metavar="YYYY-MM-DD",
        help="count visit periods that ended by this day (default: today)",
    )
    parser.add_argument("--xlsx", metavar="FILE", type=Path, default=None, help="also write an XLSX file")
    add_config_arg(parser)
    parser.set_defaults(run=run_tasks)


def run_tasks(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    policy = load_policy(settings.policy.file)  # quotas, cadre roles and visit frequencies of this county
    until = args.until or datetime.now(SHANGHAI).date()
    try:
        sheets = asyncio.run(_sheets(settings.database.url, policy, args.year, until))
    except OSError as exc:
        print(f"gridwhistle report tasks: cannot reach the database in [database] url: {exc}", file=sys.stderr)
        return 1
    texts = Texts.load()
    for title, headers, rows in sheets:
        print(texts.render("tasks.report.title", year=args.year, part=title))
        print(text_table(headers, rows) if rows else texts.render("tasks.report.empty"))
        print()
    if args.xlsx is not None:
        write_xlsx(args.xlsx, sheets)
        print(texts.render("tasks.report.written", file=args.xlsx))
    return 0


async def _sheets(url: str, policy: Policy, year: int, until: date) -> list[tuple[str, list[str], list[list[str]]]]:
    texts = Texts.load()
    yes, no = texts.render("tasks.report.yes"), texts.render("tasks.report.no")
    async with database(url):
        tree = await AreaTree.load()
        cadres = [
            [r.township, r.village, r.name, r.userid, str(r.registered), str(r.done), yes if r.behind else no]
            for r in await cadre_rows(policy.tasks, year, tree)
        ]
        villages = [
            [r.township, r.village, str(r.cadres), str(r.registered), str(r.done), str(r.behind)]
            for r in await village_rows(policy.tasks, year, tree)
        ]
        visits = [
            [
                r.township,
                r.village,
                str(r.households),
                str(r.due),
                str(r.visited),
                "-" if r.rate is None else f"{r.rate * 100:.1f}%",
            ]
            for r in await village_compliance(policy.visits, year, until, tree)
        ]
    columns = lambda key: texts.render(key).split(",")  # noqa: E731
    return [
        (texts.render("tasks.report.part_cadres"), columns("tasks.report.columns_cadres"), cadres),
        (texts.render("tasks.report.part_villages"), columns("tasks.report.columns_villages"), villages),
        (texts.render("tasks.report.part_visits"), columns("tasks.report.columns_visits"), visits),
    ]
