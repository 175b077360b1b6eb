"""Subcommands of `gridwhistle`; each module here exposes `register(subparsers)`."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported when used: `classify` starts without the settings' validation library
    from config.settings import Settings


def add_config_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        metavar="FILE",
        default=None,
        help="settings TOML file (default: built-in demo settings; GRIDWHISTLE_* variables override)",
    )


def settings_from(args: argparse.Namespace) -> Settings:
    from config.settings import load_settings

    return load_settings(args.config)
