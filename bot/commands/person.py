"""`gridwhistle person export WHO [--out FILE]` and `gridwhistle person erase WHO --yes`: one person's
data (WHO: a WeCom userid or customer-service id, or a household code) as a JSON file, or erased where
the law allows. Both are recorded as access records under --by (default: the operating-system user).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from bot.clock import Clock
from bot.commands import add_config_arg, settings_from
from bot.retention import people
from models.db import database
from models.migrate import upgrade

T = TypeVar("T")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "person", help="one person's data: export or erase", description=__doc__.splitlines()[0]
    )
    actions = parser.add_subparsers(dest="person_command", required=True, metavar="ACTION")
    export = actions.add_parser("export", help="write everything kept about a person or household as JSON")
    export.add_argument("who", metavar="USERID|HOUSEHOLD")
    export.add_argument("--out", metavar="FILE", type=Path, help="default: person-WHO.json in the current folder")
    erase = actions.add_parser("erase", help="remove a villager's words and contact details, keeping the facts")
    erase.add_argument("who", metavar="USERID|HOUSEHOLD")
    erase.add_argument("--yes", action="store_true", help="really erase (it cannot be undone)")
    for sub in (export, erase):
        sub.add_argument("--by", metavar="NAME", default=None, help="who asks (recorded; default: the OS user)")
        add_config_arg(sub)
    export.set_defaults(run=run_export)
    erase.set_defaults(run=run_erase)


Action = Callable[[people.Subject, str, datetime], Awaitable[T]]


def _on_subject(args: argparse.Namespace, command: str, action: Action[T]) -> T | None:
    """Find WHO in the configured database and do `action` to them as --by; None (after saying why) if not found."""
    settings = settings_from(args)
    actor = args.by or getpass.getuser()

    async def go() -> T:
        await upgrade(settings.database.url)
        async with database(settings.database.url):
            return await action(await people.find(args.who), actor, Clock().now())

    try:
        return asyncio.run(go())
    except people.SubjectError as exc:
        print(f"gridwhistle person {command}: {exc}", file=sys.stderr)
        return None


def run_export(args: argparse.Namespace) -> int:
    data = _on_subject(args, "export", lambda who, actor, now: people.export(who, actor=actor, now=now))
    if data is None:
        return 1
    out = args.out or Path(f"person-{args.who}.json")
    out.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    out.chmod(0o600)  # personal data: only its owner reads the file
    print(f"wrote {out}: {len(data['people'])} people, {sum(len(p['requests']) for p in data['people'])} requests")
    return 0


def run_erase(args: argparse.Namespace) -> int:
    if not args.yes:
        print("gridwhistle person erase: this cannot be undone; add --yes to erase", file=sys.stderr)
        return 2
    result = _on_subject(args, "erase", lambda who, actor, now: people.erase(who, actor=actor, now=now))
    if result is None:
        return 1
    print(
        f"erased {args.who}: {result.people} people, {result.requests} requests anonymised, "
        f"{result.events_redacted} events redacted, {result.non_requests} non-requests deleted"
    )
    print("remove them from the org file's roster too, or the next org load brings the name back", file=sys.stderr)
    return 0
