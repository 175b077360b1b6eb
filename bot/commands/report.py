"""`gridwhistle report …`: figures for the county organisation department.

One subcommand per feature, each from a module in REPORT_MODULES exposing `register_report(actions)`
(this module's own `report tickets`; the tasks feature adds `report tasks` the same way).
"""

from __future__ import annotations

import argparse
import importlib

REPORT_MODULES = [
    "bot.commands.report_tickets",
    "bot.commands.report_tasks",
    "bot.commands.report_powers",
    "bot.commands.report_index",
    "bot.commands.report_members",
]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("report", help="monthly figures: tickets' rates (and more per feature)")
    actions = parser.add_subparsers(dest="report_command", required=True, metavar="REPORT")
    for name in REPORT_MODULES:
        importlib.import_module(name).register_report(actions)
