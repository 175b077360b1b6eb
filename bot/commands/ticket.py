"""`gridwhistle ticket show NUMBER [--json] [--config FILE]`: a ticket's whole audit trail, who did what, when
and why, in Chinese and Beijing time as a county admin reads it; `--json` gives the same as codes for machines.

NUMBER is a ticket's number or its request's (then every ticket of that request is shown, with the
request's own events). Exit 1 when there is no such number. The trail holds the villager's words, so each
show is an access record of the household (or the person) that reported it (README "Personal data").
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import sys
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.clock import Clock
from bot.commands import add_config_arg, settings_from
from config.texts import Texts
from config.timezone import SHANGHAI
from models import AccessRecord, Area, Assignment, Department, Household, Person, Request, Ticket, TicketEvent
from models.db import database

DUE_KEYS = ("respond_due", "resolve_due")  # event details that are times
# The details a person reads, in this order ([trail.data] names them); the others are in --json only.
DETAILS = ("departments", "replaced", "to", "request_number", *DUE_KEYS, "trigger", "satisfaction", "rating", "command")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("ticket", help="whistle tickets: show one's audit trail")
    actions = parser.add_subparsers(dest="ticket_command", required=True, metavar="ACTION")
    show = actions.add_parser("show", help="print a ticket's whole trail", description=__doc__.splitlines()[0])
    show.add_argument("number", help="ticket or request number, e.g. 1042 or #1042")
    show.add_argument("--json", action="store_true", help="one JSON object with codes, for machines")
    show.add_argument("--by", default="", help="who is reading, for the access record (default: the login name)")
    add_config_arg(show)
    show.set_defaults(run=run_show)


def run_show(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    number = args.number.lstrip("#＃")
    if not number.isdigit():
        print(f"gridwhistle ticket show: {args.number!r} is not a number like 1042", file=sys.stderr)
        return 2
    try:
        trail = asyncio.run(_trail(settings.database.url, int(number), reader=args.by or getpass.getuser()))
    except OSError as exc:
        print(f"gridwhistle ticket show: cannot reach the database in [database] url: {exc}", file=sys.stderr)
        return 1
    if trail is None:
        print(f"gridwhistle ticket show: no ticket or request #{number}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(trail, ensure_ascii=False, indent=2))
    else:
        print("\n".join(Words(Texts.load(), trail["names"]).lines(trail)))
    return 0


def beijing(when: datetime | None) -> str | None:
    """A time as the page shows it: Beijing time (config/timezone.py), to the second, with its offset."""
    return when.astimezone(SHANGHAI).isoformat(timespec="seconds") if when else None


async def _trail(url: str, number: int, *, reader: str) -> dict[str, Any] | None:
    """The trail as plain data (codes, Beijing times): what --json prints and the Chinese lines are read from."""
    async with database(url):
        ticket = await Ticket.get_or_none(number=number)
        request = (
            await Request.get_or_none(id=ticket.request_id) if ticket else await Request.get_or_none(number=number)
        )
        if request is None:
            return None
        await AccessRecord.create(
            actor=reader,
            action="show",
            subject=await _subject(request),
            detail=f"ticket show {number}",
            at=Clock().now(),
        )
        tickets = [ticket] if ticket else await Ticket.filter(request_id=request.id).order_by("id")
        ids = [t.id for t in tickets]
        events = [
            e
            for e in await TicketEvent.filter(request_id=request.id).order_by("at", "id")
            if e.ticket_id is None or e.ticket_id in ids
        ]
        departments = {d.code: d.name for d in await Department.all()}
        return {
            "request": {
                "number": request.number,
                "status": request.status,
                "urgency": request.urgency,
                "text": request.text,
            },
            "tickets": [await _ticket(one) for one in tickets],
            "events": [await _event(e) for e in events],
            "names": {"departments": departments},
        }


async def _subject(request: Request) -> str:
    """Whose record a trail is, as access records name it: the household, else the person, else the request."""
    if request.household_id is not None and (household := await Household.get_or_none(id=request.household_id)):
        return f"household:{household.code}"
    if request.sender_id is not None and (person := await Person.get_or_none(id=request.sender_id)):
        return f"person:{person.userid or person.external_userid}"
    return f"request:{request.number}"


async def _ticket(ticket: Ticket) -> dict[str, Any]:
    township = await Area.get(id=ticket.township_id)
    parts = await Assignment.filter(ticket_id=ticket.id).order_by("-is_primary", "id").prefetch_related("department")
    return {
        "number": ticket.number,
        "township": township.name,
        "urgency": ticket.urgency,
        "status": ticket.status,
        "note": ticket.note,
        "joint_chat": ticket.appchat_id or None,
        "respond_due": beijing(ticket.respond_due),
        "resolve_due": beijing(ticket.resolve_due),
        "parts": [
            {
                "department": part.department.code,
                "role": "primary" if part.is_primary else "assisting",
                "state": part.state,
                "urged": bool(part.urged),
                "returned_reason": part.returned_reason or None,
            }
            for part in parts
        ],
    }


async def _event(event: TicketEvent) -> dict[str, Any]:
    actor = await Person.get_or_none(id=event.actor_id) if event.actor_id else None
    department = await Department.get_or_none(id=event.department_id) if event.department_id else None
    ticket = await Ticket.get_or_none(id=event.ticket_id) if event.ticket_id else None
    return {
        "at": beijing(event.at),
        "kind": event.kind,
        "ticket": ticket.number if ticket else None,
        "department": department.code if department else None,
        "actor": {"name": actor.name, "userid": actor.userid or actor.external_userid or None} if actor else None,
        "reason": event.reason or None,
        "data": {k: v for k, v in (event.data or {}).items() if v not in ("", None, [], {})},
    }


@dataclass(frozen=True)
class Words:
    """The trail's codes said in Chinese ([trail] of config/replies.toml); a code without a name is shown as it is."""

    texts: Texts
    names: dict[str, dict[str, str]]

    def name(self, table: str, code: str | None) -> str:
        if not code:
            return self.texts.render("trail.none")
        key = f"trail.{table}.{code}"
        return self.texts.render(key) if key in self.texts else self.texts.render("trail.unknown", code=code)

    def department(self, code: str | None) -> str:
        return self.names["departments"].get(code or "", code or self.texts.render("trail.none"))

    def lines(self, trail: dict[str, Any]) -> list[str]:
        request = trail["request"]
        lines = [
            self.texts.render(
                "trail.request",
                number=request["number"],
                status=self.name("request_status", request["status"]),
                urgency=self.name("urgency", request["urgency"]),
                text=request["text"],
            )
        ]
        for ticket in trail["tickets"]:
            lines.append(
                self.texts.render(
                    "trail.ticket",
                    number=ticket["number"],
                    township=ticket["township"],
                    urgency=self.name("urgency", ticket["urgency"]),
                    status=self.name("ticket_status", ticket["status"]),
                    note=ticket["note"] or self.texts.render("trail.none"),
                    chat=ticket["joint_chat"] or self.texts.render("trail.none"),
                )
            )
            lines += [
                self.texts.render(
                    "trail.part",
                    department=self.department(part["department"]),
                    role=self.name("role", part["role"]),
                    state=self.name("part_state", part["state"]),
                    urged=self.texts.render("trail.urged") if part["urged"] else "",
                    reason=self.texts.render("trail.returned_reason", reason=part["returned_reason"])
                    if part["returned_reason"]
                    else "",
                ).rstrip()
                for part in ticket["parts"]
            ]
        lines.append(self.texts.render("trail.events", count=len(trail["events"])))
        lines += [self.event_line(e) for e in trail["events"]]
        return lines

    def event_line(self, event: dict[str, Any]) -> str:
        actor = event["actor"]
        return (
            "  "
            + " ".join(  # the template's spacing, empty fields closed up
                self.texts.render(
                    "trail.event",
                    at=event["at"][:19].replace("T", " "),
                    kind=self.name("event_kind", event["kind"]),
                    where=f"#{event['ticket']}" if event["ticket"] else "",
                    department=self.department(event["department"]) if event["department"] else "",
                    actor=f"{actor['name']}({actor['userid'] or '-'})" if actor else "",
                    reason=event["reason"] or "",
                    data="，".join(self.detail(k, event["data"][k]) for k in DETAILS if k in event["data"]),
                ).split()
            )
        )

    def detail(self, key: str, value: Any) -> str:
        """One detail in words: 部门 交通运输局、水务局; 签收时限 11-16 09:30; 方式 乡镇指令."""
        if key in ("departments", "replaced", "to"):
            shown = "、".join(self.department(c) for c in value) if isinstance(value, list) else self.department(value)
        elif key in DUE_KEYS:
            shown = datetime.fromisoformat(value).astimezone(SHANGHAI).strftime("%m-%d %H:%M")
        elif key == "trigger":
            shown = self.name("trigger", value)
        elif key in ("satisfaction", "rating"):
            shown = self.name("rating", value)
        elif key == "request_number":
            shown = f"#{value}"
        else:
            shown = str(value)
        return f"{self.texts.render(f'trail.data.{key}')} {shown}"
