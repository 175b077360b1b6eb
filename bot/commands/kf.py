"""`gridwhistle kf link [--config FILE] [--out FILE]`: one customer-service link per grid, for QR codes.

Each link is made with kf/add_contact_way and scene = the grid's code, so a villager who scans the
grid's code arrives with `enter_session.scene` naming their grid (docs/wecom-kf.md §3). The grids are
the org file's (loaded first, idempotently). Prints `grid code, grid name, url` lines as CSV; with
--out it also writes them to that file for the print shop. Asking again makes new links; old ones keep
working.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import re
import sys
from pathlib import Path

import aiohttp

from bot.channels.wecom_api import WecomApi
from bot.channels.wecom_kf import contact_link
from bot.clock import Clock
from bot.commands import add_config_arg, settings_from
from config.errors import ChannelError
from config.settings import Settings
from models import Area
from models.db import database
from models.migrate import upgrade

SCENE = re.compile(r"^[0-9A-Za-z_-]{1,32}$")  # what WeCom accepts as a scene


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("kf", help="WeChat customer service (微信客服): contact links per grid")
    actions = parser.add_subparsers(dest="kf_command", required=True, metavar="ACTION")
    link = actions.add_parser(
        "link", help="make one contact link per grid (for QR codes)", description=__doc__.splitlines()[0]
    )
    add_config_arg(link)
    link.add_argument("--out", type=Path, metavar="FILE", help="also write the links to this CSV file")
    link.set_defaults(run=run_link)


def run_link(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    try:
        rows, skipped = asyncio.run(_links(settings))
    except ChannelError as exc:
        print(f"gridwhistle kf link: WeCom refused: {exc}", file=sys.stderr)
        return 1
    except (OSError, aiohttp.ClientError) as exc:
        print(f"gridwhistle kf link: cannot reach WeCom or the database: {exc}", file=sys.stderr)
        return 1
    for code in skipped:
        print(f"gridwhistle kf link: grid {code!r} skipped: a scene allows only 1-32 of [0-9A-Za-z_-]", file=sys.stderr)
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["grid", "name", "url"])
    writer.writerows(rows)
    sys.stdout.write(text.getvalue())
    if args.out is not None:
        args.out.write_text(text.getvalue(), encoding="utf-8")
    return 0 if rows or not skipped else 1


async def _links(settings: Settings) -> tuple[list[tuple[str, str, str]], list[str]]:
    from models.org import load_org

    await upgrade(settings.database.url)
    async with database(settings.database.url):
        await load_org([settings.org.file], Clock().now())
        grids = await Area.filter(level="grid").order_by("code").values_list("code", "name")
        rows, skipped = [], []
        async with aiohttp.ClientSession() as session:
            api = WecomApi(session, settings.wecom, Clock())
            for code, name in grids:
                if not SCENE.match(code):
                    skipped.append(code)
                    continue
                rows.append((code, name, await contact_link(api, settings.wecom.kf.open_kfid, code)))
    return rows, skipped
