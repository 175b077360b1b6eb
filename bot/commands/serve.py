"""`gridwhistle serve [--config FILE]`: the service on [server] host:port.

At start it applies pending migrations, loads the org file and builds the routing table, all before
it listens; then it answers WeCom's callbacks on /wecom/app and /wecom/aibot until stopped.
"""

from __future__ import annotations

import argparse
import logging

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
    web.run_app(
        app,
        host=settings.server.host,
        port=settings.server.port,
        access_log=None,
        print=lambda line: logging.getLogger("gridwhistle").info("%s", line),
    )
    return 0
