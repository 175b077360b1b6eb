"""`gridwhistle ticket show NUMBER [--config FILE]`: a ticket's whole audit trail, who did what, when and why.

NUMBER is a ticket's number or its request's (then every ticket of that request is shown, with the
request's own events). Exit 1 when there is no such number.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot.clock import SHANGHAI
from bot.commands import add_config_arg, settings_from
from config.texts import Texts
from models import Area, Assignment, Department, Person, Request, Ticket, TicketEvent
from models.db import database


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("ticket", help="whistle tickets: show one's audit trail")
    actions = parser.add_subparsers(dest="ticket_command", required=True, metavar="ACTION")
    show = actions.add_parser("show", help="print a ticket's whole trail", description=__doc__.splitlines()[0])
    show.add_argument("number", help="ticket or request number, e.g. 1042 or #1042")
    add_config_arg(show)
    show.set_defaults(run=run_show)


def run_show(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    number = args.number.lstrip("#＃")
    if not number.isdigit():
        print(f"gridwhistle ticket show: {args.number!r} is not a number like 1042", file=sys.stderr)
        return 2
    try:
        lines = asyncio.run(_show(settings.database.url, int(number)))
    except OSError as exc:
        print(f"gridwhistle ticket show: cannot reach the database in [database] url: {exc}", file=sys.stderr)
        return 1
    if not lines:
        print(f"gridwhistle ticket show: no ticket or request #{number}", file=sys.stderr)
        return 1
    print("\n".join(lines))
    return 0


async def _show(url: str, number: int) -> list[str]:
    texts = Texts.load()
    async with database(url):
        ticket = await Ticket.get_or_none(number=number)
        request = (
            await Request.get_or_none(id=ticket.request_id) if ticket else await Request.get_or_none(number=number)
        )
        if request is None:
            return []
        tickets = [ticket] if ticket else await Ticket.filter(request_id=request.id).order_by("id")
        lines = [
            texts.render(
                "whistle.trail_request",
                number=request.number,
                status=request.status,
                urgency=request.urgency,
                text=request.text,
            )
        ]
        for one in tickets:
            lines += await _ticket_lines(texts, one)
        ids = [t.id for t in tickets]
        events = await TicketEvent.filter(request_id=request.id).order_by("at", "id")
        events = [e for e in events if e.ticket_id is None or e.ticket_id in ids]
        lines.append(texts.render("whistle.trail_events", count=len(events)))
        lines += [await _event_line(texts, e) for e in events]
        return lines


async def _ticket_lines(texts: Texts, ticket: Ticket) -> list[str]:
    township = await Area.get(id=ticket.township_id)
    lines = [
        texts.render(
            "whistle.trail_ticket",
            number=ticket.number,
            township=township.name,
            urgency=ticket.urgency,
            status=ticket.status,
            note=ticket.note or "-",
            chat=ticket.appchat_id or "-",
        )
    ]
    for part in (
        await Assignment.filter(ticket_id=ticket.id).order_by("-is_primary", "id").prefetch_related("department")
    ):
        lines.append(
            texts.render(
                "whistle.trail_part",
                department=part.department.name,
                code=part.department.code,
                role="primary" if part.is_primary else "assisting",
                state=part.state,
                urged="urged" if part.urged else "",
                reason=part.returned_reason or "",
            )
        )
    return lines


async def _event_line(texts: Texts, event: TicketEvent) -> str:
    actor = await Person.get_or_none(id=event.actor_id) if event.actor_id else None
    department = await Department.get_or_none(id=event.department_id) if event.department_id else None
    ticket = await Ticket.get_or_none(id=event.ticket_id) if event.ticket_id else None
    data = {k: v for k, v in (event.data or {}).items() if v not in ("", None, [], {})}
    return texts.render(
        "whistle.trail_event",
        at=event.at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"),
        kind=event.kind,
        where=f"#{ticket.number}" if ticket else "-",
        department=department.code if department else "-",
        actor=f"{actor.name}({actor.userid or actor.external_userid or '-'})" if actor else "-",
        reason=event.reason or "",
        data=" ".join(f"{k}={v}" for k, v in sorted(data.items())),
    ).rstrip()
