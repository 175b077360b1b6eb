"""`gridwhistle power show N [--config FILE]`: a small-powers flow's trail — its steps (who, deadline, done
when and by whom, result) and every event (started, step done, made public, 失责预警), in Beijing time.

Exit 1 when there is no flow N.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot.commands import add_config_arg, settings_from
from config.texts import Texts
from handlers.powers.trail import flow_lines
from models import PowerFlow
from models.db import database


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("power", help="small-powers flows: show one's trail")
    actions = parser.add_subparsers(dest="power_command", required=True, metavar="ACTION")
    show = actions.add_parser("show", help="print a flow's steps and trail", description=__doc__.splitlines()[0])
    show.add_argument("number", help="the flow's number, e.g. 3")
    add_config_arg(show)
    show.set_defaults(run=run_show)


def run_show(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    number = args.number.lstrip("#＃")
    if not number.isdigit():
        print(f"gridwhistle power show: {args.number!r} is not a flow number like 3", file=sys.stderr)
        return 2
    try:
        lines = asyncio.run(_lines(settings.database.url, int(number)))
    except OSError as exc:
        print(f"gridwhistle power show: cannot reach the database in [database] url: {exc}", file=sys.stderr)
        return 1
    if lines is None:
        print(f"gridwhistle power show: no flow {number}", file=sys.stderr)
        return 1
    print("\n".join(lines))
    return 0


async def _lines(url: str, number: int) -> list[str] | None:
    async with database(url):
        flow = await PowerFlow.get_or_none(id=number)
        return await flow_lines(Texts.load(), flow) if flow else None
