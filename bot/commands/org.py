"""`gridwhistle org load [FILE…] [--config FILE]` and `gridwhistle org show [--config FILE]`.

`load` applies pending migrations, then reads the county's org file(s) (TOML plus the CSV/XLSX rosters
they name; default: [org] file of the settings) and writes them in one transaction. A bad file prints
every mistake (file, line or row, key) and exits 1 with nothing written.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections import Counter
from pathlib import Path

from bot.clock import Clock
from bot.commands import add_config_arg, settings_from
from config.settings import Settings
from config.village_posts import read_village_posts
from models import ROLES, Area, CarePair, Chat, Department, Household, Person, Role
from models.areas import AREA_LEVELS
from models.db import database
from models.migrate import pending, upgrade
from models.org import LoadSummary, OrgFileError, load_org
from models.posts import PostHolder


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("org", help="the county org file: load it, show what is loaded")
    actions = parser.add_subparsers(dest="org_command", required=True, metavar="ACTION")
    load = actions.add_parser("load", help="load org files idempotently", description=__doc__.splitlines()[0])
    load.add_argument("files", nargs="*", type=Path, metavar="FILE", help="org TOML files (default: [org] file)")
    add_config_arg(load)
    load.set_defaults(run=run_load)
    show = actions.add_parser("show", help="count what the database holds, per kind")
    add_config_arg(show)
    show.set_defaults(run=run_show)
    from bot.commands import org_wecom  # `org check-wecom` lives beside, with the WeCom client it needs

    org_wecom.register(actions)


def run_load(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    files = args.files or [settings.org.file]
    try:
        applied, summary = asyncio.run(_load(settings, files))
    except OrgFileError as exc:
        print(f"gridwhistle org load: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"gridwhistle org load: cannot reach the database in [database] url: {exc}", file=sys.stderr)
        return 1
    for name in applied:
        print(f"applied {name}")
    print(f"loaded {', '.join(map(str, files))}")
    print(summary)
    return 0


async def _load(settings: Settings, files: list[Path]) -> tuple[list[str], LoadSummary]:
    applied = await upgrade(settings.database.url)
    async with database(settings.database.url):
        return applied, await load_org(files, Clock().now())


def run_show(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    try:
        lines = asyncio.run(_show(settings))
    except OSError as exc:
        print(f"gridwhistle org show: cannot reach the database in [database] url: {exc}", file=sys.stderr)
        return 1
    print("\n".join(lines))
    return 0 if lines and not lines[0].startswith("schema") else 1


async def _show(settings: Settings) -> list[str]:
    if await pending(settings.database.url):
        return ["schema not up to date: run `gridwhistle db upgrade` (or `org load`, which applies it) first"]
    async with database(settings.database.url):
        levels = {level: await Area.filter(level=level).count() for level in AREA_LEVELS}
        roles = {role: await Role.filter(role=role).count() for role in ROLES}
        households = await Household.all().values_list("tags", flat=True)
        channels = await Chat.all().values_list("channel", flat=True)
        held = Counter(str(post) for post in await PostHolder.all().values_list("post", flat=True))
        return [
            "areas        " + ", ".join(f"{level} {count}" for level, count in levels.items()),
            f"departments  {await Department.all().count()}",
            f"people       {await Person.all().count()}",
            "roles        " + ", ".join(f"{role} {count}" for role, count in roles.items() if count),
            "posts        "
            + (", ".join(f"{p.name} {held[p.code]}" for p in read_village_posts().held if p.code in held) or "0"),
            f"households   {len(households)} ({sum(1 for tags in households if tags)} tagged, "
            f"{await CarePair.all().count()} paired with a cadre)",
            "chats        " + (", ".join(f"{c} {channels.count(c)}" for c in sorted(set(channels))) or "0"),
        ]
