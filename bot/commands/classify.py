"""`gridwhistle classify [--config FILE]`: route JSON Lines from stdin to stdout (the public interface, README "Routing").

    {"id": 1, "text": "三屯路灯不亮了"}  →  {"id": 1, "is_request": true, "primary": "power", …}

Without --config it uses the shipped routing table and the demo county's names.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys

from bot.commands import add_config_arg, settings_from
from config.errors import ConfigError
from config.paths import DEMO_ORG_FILE, ROUTING_TABLE
from nlp.names import county_names
from nlp.router import Router
from nlp.streaming import classify_batches, line_batches

# Settings that name where classify reads its table and names (GRIDWHISTLE_ROUTING__TABLE, …).
_ROUTING_VARIABLES = ("GRIDWHISTLE_ROUTING", "GRIDWHISTLE_ORG")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "classify",
        help="route JSON Lines {id, text} from stdin to decisions on stdout",
        description=__doc__.splitlines()[0],
    )
    add_config_arg(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        router = _router(args)
    except ConfigError as exc:
        print(f"gridwhistle classify: {exc}", file=sys.stderr)
        return 2
    try:
        # os.read returns what the pipe holds as soon as anything arrives: each line is answered before
        # the next wait, and a burst of lines is answered with one write.
        read = functools.partial(os.read, sys.stdin.fileno())
        bad = classify_batches(router, line_batches(read), sys.stdout.buffer)
    except BrokenPipeError:
        # The reader went away (`| head`); nothing left to tell anyone.
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        return 130
    if bad:
        print(f"gridwhistle classify: {bad} line(s) could not be read; see the error objects", file=sys.stderr)
    return 0


def _router(args: argparse.Namespace) -> Router:
    """The router the settings name. With no settings file and nothing in the environment about the table
    or the names, those are the shipped ones, and the settings' validation (a tenth of a second of
    imports) is not needed."""
    if args.config is None and not any(name.upper().startswith(_ROUTING_VARIABLES) for name in os.environ):
        return Router.from_file(ROUTING_TABLE, county_names(DEMO_ORG_FILE))
    settings = settings_from(args)
    return Router.from_file(settings.routing.table, county_names(settings.org.file))
