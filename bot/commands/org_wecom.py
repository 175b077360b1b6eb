"""`gridwhistle org check-wecom [--config FILE]`: the org file's members beside WeCom's directory.

It loads the org file (as `serve` does), reads WeCom's member list (`user/list_id`, page by page; the
app needs the directory's read permission) and lists who is only on one side, and who a send already
found gone (`Person.left_wecom_at`, bot/membership.py). Exit code 0 when both sides agree, 1 when not
(or when WeCom cannot be read).
"""

from __future__ import annotations

import argparse
import asyncio
import sys

import aiohttp

from bot.channels.wecom_api import WecomApi
from bot.clock import Clock
from bot.commands import add_config_arg, settings_from
from config.errors import ChannelError
from config.settings import Settings
from models import Person
from models.db import database
from models.migrate import upgrade

PAGE = 1000


def register(actions: argparse._SubParsersAction) -> None:
    check = actions.add_parser("check-wecom", help="compare the org file with WeCom's member directory")
    add_config_arg(check)
    check.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    try:
        org, wecom, left = asyncio.run(_compare(settings))
    except ChannelError as exc:
        print(
            f"gridwhistle org check-wecom: WeCom's directory cannot be read ({exc}); give the app read access to "
            "the directory (通讯录) and put the members in its visible range (可见范围)",
            file=sys.stderr,
        )
        return 1
    only_org = sorted(set(org) - wecom)
    only_wecom = sorted(wecom - set(org))
    if only_org:
        print(f"in the org file, not in WeCom ({len(only_org)}):")
        for userid in only_org:
            print(f"  {userid}  {org[userid]}")
    if only_wecom:
        print(f"in WeCom, not in the org file ({len(only_wecom)}):")
        for userid in only_wecom:
            print(f"  {userid}")
    if left:
        print(f"sends found gone ({len(left)}): " + ", ".join(f"{u} ({when})" for u, when in sorted(left.items())))
    both = len(set(org) & wecom)
    print(f"org check-wecom: {both} in both, {len(only_org)} only in the org file, {len(only_wecom)} only in WeCom")
    return 1 if only_org or only_wecom else 0


async def _compare(settings: Settings) -> tuple[dict[str, str], set[str], dict[str, str]]:
    from models.org import load_org

    await upgrade(settings.database.url)
    async with database(settings.database.url):
        await load_org([settings.org.file], Clock().now())
        people = await Person.filter(userid__isnull=False).values_list("userid", "name", "left_wecom_at")
        async with aiohttp.ClientSession() as session:
            api = WecomApi(session, settings.wecom, Clock())
            members: set[str] = set()
            cursor = ""
            while True:
                page = await api.call("user/list_id", {"cursor": cursor, "limit": PAGE})
                members |= {str(item["userid"]).lower() for item in page.get("dept_user", [])}
                cursor = page.get("next_cursor") or ""
                if not cursor:
                    break
    org = {str(userid).lower(): name for userid, name, _ in people}
    left = {str(userid).lower(): when.date().isoformat() for userid, _, when in people if when is not None}
    return org, members, left
