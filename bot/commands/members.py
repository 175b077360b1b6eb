"""`gridwhistle members grades FILE --year 2026 [--config FILE]`: year-end grades of serving Party members
from an XLSX sheet (账号, 单位考评, 村考评), all or nothing."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import datetime
from pathlib import Path

from bot.clock import SHANGHAI
from bot.commands import add_config_arg, settings_from
from config.policy import load_policy
from models.db import database
from models.members_grades import SheetRow, read_grades, write_grades


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("members", help="serving Party members: load year-end grades from a sheet")
    actions = parser.add_subparsers(dest="members_command", required=True, metavar="ACTION")
    grades = actions.add_parser(
        "grades", help="year-end grades from an XLSX sheet", description=__doc__.splitlines()[0]
    )
    grades.add_argument("file", type=Path, metavar="FILE", help="XLSX with 账号, 单位考评, 村考评")
    grades.add_argument("--year", required=True, type=int, metavar="YYYY")
    add_config_arg(grades)
    grades.set_defaults(run=run_grades)


def run_grades(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    policy = load_policy(settings.policy.file)
    rows, mistakes = read_grades(args.file, list(policy.members.grades))
    written = 0
    if not mistakes:
        written, mistakes = asyncio.run(_write(settings.database.url, rows, args.year, args.file))
    if mistakes:
        print(f"gridwhistle members grades: nothing written: {len(mistakes)} errors", file=sys.stderr)
        for line in mistakes:
            print(f"  {line}", file=sys.stderr)
        return 1
    print(f"{written} grades written for {args.year}")
    return 0


async def _write(url: str, rows: list[SheetRow], year: int, path: Path) -> tuple[int, list[str]]:
    async with database(url):
        return await write_grades(rows, year, datetime.now(SHANGHAI), path)
