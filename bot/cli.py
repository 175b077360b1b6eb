"""`gridwhistle` — the command line: one parser, subcommands registered by the modules in bot/commands/."""

from __future__ import annotations

import argparse
import importlib
import sys

from config.errors import ConfigError

COMMAND_MODULES = [
    "bot.commands.classify",
    "bot.commands.lexicon",
    "bot.commands.db",
    "bot.commands.org",
    "bot.commands.serve",
    "bot.commands.kf",
    "bot.commands.ticket",
    "bot.commands.report",
    "bot.commands.demo",
    "bot.commands.config",
    "bot.commands.backup",
    "bot.commands.restore",
    "bot.commands.person",
    "bot.commands.retention",
    "bot.commands.powers",
    "bot.commands.power",
    "bot.commands.index",
    "bot.commands.members",
    "bot.commands.token",
    "bot.commands.aibot",
]


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; given the command word, only that command's module is imported (each module is named
    for its command), so `classify` starts without the database, HTTP and WeCom libraries the others need."""
    parser = argparse.ArgumentParser(prog="gridwhistle", description="网格哨 — grid-based mass work on WeCom")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    named = [name for name in COMMAND_MODULES if name.rpartition(".")[2] == command]
    for name in named or COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else argv
    parser = build_parser(words[0] if words else None)
    args = parser.parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except ConfigError as exc:
        # A configuration mistake is the admin's to fix: say what and where, no traceback.
        print(f"gridwhistle: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `gridwhistle … | head` closed the pipe: stop quietly, as other command-line tools do.
        sys.stderr.close()
        return 141


if __name__ == "__main__":
    sys.exit(main())
