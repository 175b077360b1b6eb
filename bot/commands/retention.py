"""`gridwhistle retention run [--config FILE]`: the retention sweep now, with its report (the service
runs it every night at 03:15 by itself)."""

from __future__ import annotations

import argparse
import asyncio

from bot.clock import Clock
from bot.commands import add_config_arg, settings_from
from bot.retention.sweep import Report, sweep
from models.db import database
from models.migrate import upgrade


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "retention", help="personal data past its retention period", description=__doc__.splitlines()[0]
    )
    actions = parser.add_subparsers(dest="retention_command", required=True, metavar="ACTION")
    run_parser = actions.add_parser("run", help="anonymise and delete what [retention] no longer keeps")
    add_config_arg(run_parser)
    run_parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    settings = settings_from(args)

    async def go() -> Report:
        await upgrade(settings.database.url)
        async with database(settings.database.url):
            return await sweep(settings.retention, Clock().now())

    print(f"retention: {asyncio.run(go())}")
    return 0
