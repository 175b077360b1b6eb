"""`gridwhistle lexicon corrections | accept ID | reject ID`: a cadre reviews the township's corrections.

A correction (改派, 吹哨 naming another department, the card's runner-up button) is only a hint until
a cadre checks that it follows the routing guide (docs/routing-labels.md): `accept` appends it, masked,
as one labelled line to the file `[routing] accepted_file` names (for `lexicon learn`); `reject` keeps
it out of `lexicon suggest`. Villagers' words go only to that local file, never into the repository.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from tortoise.exceptions import DBConnectionError, OperationalError

from bot.commands import add_config_arg, settings_from
from config.errors import ConfigError
from nlp.privacy import mask_private

if TYPE_CHECKING:
    from config.settings import Settings

VERDICTS = {"accept": "accepted", "reject": "rejected"}
Work = Callable[["Settings"], Coroutine[None, None, tuple[str, int]]]  # the message to print and the exit code


def register(commands: argparse._SubParsersAction) -> None:
    listing = commands.add_parser("corrections", help="list the township's corrections waiting for review")
    add_config_arg(listing)
    listing.add_argument("--all", action="store_true", help="also those accepted or rejected already")
    listing.set_defaults(run=run_list)
    for verb, meaning in (
        ("accept", "accept a correction as following the routing guide: append it, masked, to [routing] accepted_file"),
        ("reject", "reject a correction: it no longer feeds `lexicon suggest`"),
    ):
        parser = commands.add_parser(verb, help=meaning)
        parser.add_argument(
            "id", type=int, metavar="ID", help="the correction's number, as `lexicon corrections` lists it"
        )
        parser.add_argument("--by", default="", metavar="NAME", help="who reviewed it (kept with the correction)")
        add_config_arg(parser)
        parser.set_defaults(run=run_review, verdict=VERDICTS[verb])


def run_list(args: argparse.Namespace) -> int:
    return _run(args, _list(args))


def run_review(args: argparse.Namespace) -> int:
    return _run(args, _review(args))


def _run(args: argparse.Namespace, work: Work) -> int:
    try:
        settings = settings_from(args)
        message, code = asyncio.run(work(settings))
    except ConfigError as exc:
        print(f"gridwhistle lexicon {args.lexicon_command}: {exc}", file=sys.stderr)
        return 2
    except (DBConnectionError, OperationalError) as exc:
        print(
            f"gridwhistle lexicon {args.lexicon_command}: cannot read corrections from the database ({exc}); "
            "is it reachable, and has `gridwhistle db upgrade --config FILE` been run?",
            file=sys.stderr,
        )
        return 2
    print(message, file=sys.stdout if code == 0 else sys.stderr)
    return code


async def masked(text: str) -> str:
    """The text with phone, ID, card and house numbers masked, and the names of people the county knows."""
    from models import Person

    text = mask_private(text)
    names: list[str] = [str(name) for name in await Person.all().values_list("name", flat=True)]
    for name in sorted(set(names), key=len, reverse=True):
        if len(name) >= 2 and name in text:
            text = text.replace(name, name[0] + "某" * (len(name) - 1))
    return text


def _list(args: argparse.Namespace) -> Work:
    async def work(settings: Settings) -> tuple[str, int]:
        from models import RoutingCorrection
        from models.db import database

        async with database(settings.database.url):
            query = RoutingCorrection.all() if args.all else RoutingCorrection.filter(review="pending")
            rows = await query.order_by("id")
            lines = [
                f"{c.id}  {c.original} → {c.corrected}  ({c.via}, {c.review})  {await masked(c.text)}" for c in rows
            ]
        if not lines:
            return ("no corrections" if args.all else "no corrections waiting for review"), 0
        return "\n".join(lines), 0

    return work


def _review(args: argparse.Namespace) -> Work:
    async def work(settings: Settings) -> tuple[str, int]:
        from tortoise.transactions import in_transaction

        from models import Request, RoutingCorrection
        from models.db import database

        async with database(settings.database.url):
            async with in_transaction():
                correction = await RoutingCorrection.get_or_none(id=args.id)
                if correction is None:
                    return f"no correction {args.id}: see `gridwhistle lexicon corrections`", 1
                if correction.review != "pending":
                    return f"correction {args.id} was {correction.review} already; nothing done", 1
                # Marked first and written last inside one transaction: a file that cannot be written
                # leaves the correction pending, never accepted without its line.
                correction.review = args.verdict
                correction.reviewed_by = args.by
                correction.reviewed_at = datetime.now(UTC)
                await correction.save(update_fields=["review", "reviewed_by", "reviewed_at"])
                if args.verdict != "accepted":
                    return f"correction {args.id} rejected", 0
                request = await Request.get_or_none(id=correction.request_id) if correction.request_id else None
                line = {
                    "text": await masked(correction.text),
                    "is_request": True,
                    "primary": correction.corrected,
                    "urgency": request.urgency if request and request.urgency in ("normal", "urgent") else "normal",
                    "from": f"correction {correction.id}",
                }
                _append(Path(settings.routing.accepted_file), line)
        return f"correction {args.id} accepted: appended to {settings.routing.accepted_file}", 0

    return work


def _append(path: Path, line: dict) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
    except OSError as exc:
        raise ConfigError(f"[routing] accepted_file {path}: cannot write: {exc.strerror or exc}") from None
