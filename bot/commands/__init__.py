"""Subcommands of `gridwhistle`; each module here exposes `register(subparsers)`."""

from __future__ import annotations

import argparse

from config.settings import Settings, load_settings


def add_config_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        metavar="FILE",
        default=None,
        help="settings TOML file (default: built-in demo settings; GRIDWHISTLE_* variables override)",
    )


def settings_from(args: argparse.Namespace) -> Settings:
    return load_settings(args.config)
