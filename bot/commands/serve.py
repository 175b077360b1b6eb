"""`gridwhistle serve [--config FILE]`: the service on [server] host:port.

At start it applies pending migrations, loads the org file and builds the routing table, all before
it listens; then it answers WeCom's callbacks on /wecom/app and /wecom/aibot until stopped.
"""

from __future__ import annotations

import argparse
import gc
import logging

import uvloop
from aiohttp import web

from bot.app import create_app
from bot.commands import add_config_arg, settings_from
from bot.logs import configure_logging
from config.department_names import read_department_names
from config.help import read_help


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "serve", help="run the service (WeCom callbacks, workers, scheduler)", description=__doc__.splitlines()[0]
    )
    add_config_arg(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    read_department_names()  # a mistake in the shipped data stops the start, naming file and key
    read_help()
    configure_logging(logging.INFO, json_lines=settings.logging.json_lines)
    app = create_app(settings)
    app.on_startup.append(_settled)  # after every cleanup_ctx hook: migrations, org, routing table loaded
    web.run_app(
        app,
        loop=uvloop.new_event_loop(),  # the same asyncio API; its loop costs a flood less CPU per statement
        host=settings.server.host,
        port=settings.server.port,
        access_log=None,
        print=lambda line: logging.getLogger("gridwhistle").info("%s", line),
    )
    return 0


async def _settled(app: web.Application) -> None:
    """What start-up built (the routing table, the org, the ORM's models) lives as long as the process: moved
    out of the collector's sight, so its collections walk only what handling a message makes."""
    gc.freeze()
