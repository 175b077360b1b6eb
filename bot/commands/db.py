"""`gridwhistle db upgrade [--config FILE]`: apply pending schema migrations, and nothing else.

`serve` and `demo` do the same at start; several processes may run it at once on one PostgreSQL
(an advisory lock makes them take turns), and a second run is a no-op.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot.commands import add_config_arg, settings_from
from models.migrate import planned, upgrade


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("db", help="database schema: apply migrations")
    actions = parser.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    upgrade_parser = actions.add_parser("upgrade", help="apply pending migrations", description=__doc__.splitlines()[0])
    upgrade_parser.add_argument(
        "--dry-run", action="store_true", help="print the migrations and SQL that would run; change nothing"
    )
    add_config_arg(upgrade_parser)
    upgrade_parser.set_defaults(run=run_upgrade)


def run_upgrade(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    if args.dry_run:
        return run_dry(settings.database.url)
    try:
        applied = asyncio.run(upgrade(settings.database.url))
    except OSError as exc:  # refused, unknown host: the server, not the schema, is the problem
        print(f"gridwhistle db upgrade: cannot reach the database in [database] url: {exc}", file=sys.stderr)
        return 1
    for name in applied:
        print(f"applied {name}")
    if not applied:
        print("up to date")
    return 0


def run_dry(url: str) -> int:
    try:
        plan = asyncio.run(planned(url))
    except OSError as exc:
        print(f"gridwhistle db upgrade: cannot reach the database in [database] url: {exc}", file=sys.stderr)
        return 1
    for name, statements in plan:
        print(f"would apply {name}:")
        for statement in statements:
            text = statement.strip()
            end = "" if text.endswith(";") or text.startswith("--") else ";"
            print("    " + text.replace("\n", "\n    ") + end)
    print(f"{len(plan)} migrations would be applied (dry run: nothing changed)" if plan else "up to date")
    return 0
