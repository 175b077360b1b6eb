"""`gridwhistle token create --person USERID` / `gridwhistle token revoke ID`: API tokens for /api/v1/.

A token reads what its person may read in the console (their roles decide); the secret is printed once
and only its SHA-256 is kept.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot.clock import Clock
from bot.commands import add_config_arg, settings_from
from models import Person
from models.console_access import create_token, revoke_token
from models.console_scope import scope_of
from models.db import database


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("token", help="API tokens for the console's /api/v1/")
    actions = parser.add_subparsers(dest="token_command", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="make a token for a person; prints it once")
    create.add_argument("--person", required=True, metavar="USERID", help="the person's WeCom userid")
    add_config_arg(create)
    create.set_defaults(run=run_create)
    revoke = actions.add_parser("revoke", help="revoke a token by the id `create` printed")
    revoke.add_argument("id", type=int)
    add_config_arg(revoke)
    revoke.set_defaults(run=run_revoke)


def run_create(args: argparse.Namespace) -> int:
    settings = settings_from(args)

    async def go() -> tuple[int, str] | str:
        async with database(settings.database.url):
            person = await Person.get_or_none(userid=args.person)
            if person is None:
                return f"no person with userid {args.person!r} in the org file"
            if (await scope_of(person)).empty:
                return f"{args.person} holds no role that may read the console (county, township, liaison, village secretary)"
            return await create_token(person.id, Clock().now())

    made = asyncio.run(go())
    if isinstance(made, str):
        print(f"gridwhistle token create: {made}", file=sys.stderr)
        return 1
    token_id, secret = made
    print(f"token {token_id} for {args.person} (shown once; send it as 'Authorization: Bearer …'):\n{secret}")
    return 0


def run_revoke(args: argparse.Namespace) -> int:
    settings = settings_from(args)

    async def go() -> bool:
        async with database(settings.database.url):
            return await revoke_token(args.id, Clock().now())

    if not asyncio.run(go()):
        print(f"gridwhistle token revoke: no live token {args.id}", file=sys.stderr)
        return 1
    print(f"token {args.id} revoked")
    return 0
