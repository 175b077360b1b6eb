"""`gridwhistle aibot status|resume [--config FILE]`: the AI bot's long connection as the processes see it.

`status` prints the bot's connection row (state, since, reconnects, the last frame's age, which process holds
it). `resume` takes the bot back after WeCom said another connection displaced it: once the admins have
stopped the other program, the serving processes dial again within `[wecom.aibot] elect_seconds` — no
restart needed.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot.clock import Clock
from bot.commands import add_config_arg, settings_from
from config.settings import Settings
from models.aibot_link import AibotLink, resume
from models.db import database
from models.migrate import upgrade


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("aibot", help="the AI bot's long connection: its state, taking it back")
    actions = parser.add_subparsers(dest="aibot_command", required=True, metavar="ACTION")
    status = actions.add_parser("status", help="print the long connection's state")
    add_config_arg(status)
    status.set_defaults(run=run_status)
    back = actions.add_parser("resume", help="let the service dial again after a displacement")
    add_config_arg(back)
    back.set_defaults(run=run_resume)


def run_status(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    row = asyncio.run(_row(settings))
    if row is None:
        print(f"aibot {settings.wecom.aibot.bot_id or '(no bot_id)'}: never connected")
        return 0
    now = Clock().now()
    age = f"{(now - row.last_frame_at).total_seconds():.0f} s ago" if row.last_frame_at else "never"
    since = row.up_since if row.state == "up" else row.down_since
    print(f"aibot {row.bot_id}: {row.state}" + (f" since {since.isoformat(timespec='seconds')}" if since else ""))
    print(f"  reconnects {row.reconnects}, last frame {age}, held by {row.holder or '-'}")
    if row.state == "displaced":
        print("  displaced by another connection: stop that program, then `gridwhistle aibot resume`")
    return 0


def run_resume(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    bot_id = settings.wecom.aibot.bot_id
    if not bot_id:
        print("gridwhistle aibot resume: [wecom.aibot] bot_id is not set", file=sys.stderr)
        return 2
    if not asyncio.run(_resume(settings)):
        print(f"aibot {bot_id}: not displaced; nothing to do")
        return 0
    seconds = settings.wecom.aibot.elect_seconds
    print(f"aibot {bot_id}: may dial again; a serving process reconnects within about {seconds:g} s")
    return 0


async def _row(settings: Settings) -> AibotLink | None:
    await upgrade(settings.database.url)
    async with database(settings.database.url):
        return await AibotLink.get_or_none(bot_id=settings.wecom.aibot.bot_id)


async def _resume(settings: Settings) -> bool:
    await upgrade(settings.database.url)
    async with database(settings.database.url):
        return await resume(settings.wecom.aibot.bot_id, Clock().now())
