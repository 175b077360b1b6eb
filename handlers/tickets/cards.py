"""The button cards of a ticket: one card message per department to all its liaisons, and its updates.

One message goes to every liaison of a department at once (`reach.together`), so one response_code (from
a click, or from the send's answer) updates the card for all of them (`reach.card_update`). A code
is single use: each update's outbox row carries `card-update:<code>` as its dedupe key, which is also
how we know a code is spent. Without a usable code a fresh card is sent instead.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import ClassVar, Literal

from bot.channels.types import Button, Card
from handlers.common.format import stamp
from handlers.core.card_keys import CardKey
from handlers.core.context import Services
from handlers.tickets.deadlines import deadlines_for
from handlers.tickets.reporter import Reporter, reporter_of
from models import Assignment, OutboxMessage, Request, Ticket, TicketEvent
from models.assignment_states import COUNTED_STATES, AssignmentState
from models.ticket_queries import assignments_of, liaisons_of


@dataclass(frozen=True)
class DutyKey(CardKey):
    """A department card's button: `duty:<action>:<ticket id>:<department code>`."""

    scheme: ClassVar[str] = "duty"
    action: Literal["on", "done", "return", "progress", "status"]  # status: the one button of a finished part
    ticket_id: int
    department: str


@dataclass(frozen=True)
class Click:
    """The button click a change came from: its single-use response_code and the task id of the card clicked
    (not always the department's latest card). The empty Click is a typed command."""

    code: str = ""
    task_id: str = ""


TYPED = Click()

RESPONSE_CODE_LIFETIME = timedelta(hours=72)  # WeCom: fixed, single use (protocol notes §3.4)
DESCRIPTION_CHARS = 120


def _code_key(code: str) -> str:
    return "card-update:" + hashlib.sha1(code.encode()).hexdigest()


async def _unused_code(codes: list[str]) -> str | None:
    for code in codes:
        if code and not await OutboxMessage.filter(dedupe_key=_code_key(code)).exists():
            return code
    return None


async def sent_card_code(task_id: str, now: datetime, *, sent_key: str = "") -> str:
    """The response_code WeCom gave for the card with this task id (or queued with `sent_key`), while still valid."""
    row = await OutboxMessage.get_or_none(dedupe_key=sent_key or f"card:{task_id}")
    if row is None or row.status != "sent" or not row.result or row.sent_at is None:
        return ""
    if now - row.sent_at > RESPONSE_CODE_LIFETIME:
        return ""
    return str(row.result.get("response_code") or "")


async def update_card(
    services: Services,
    userids: list[str],
    *,
    task_id: str,
    click_code: str = "",
    replace_name: str = "",
    card: Card | None = None,
    sent_key: str = "",
) -> bool:
    """Update a sent card for `userids`; False when no response_code is left to do it with.
    sent_key: the dedupe key the card was queued with, when not `card:<task id>` (a card sent to each on their own)."""
    now = services.clock.now()
    code = await _unused_code([click_code, await sent_card_code(task_id, now, sent_key=sent_key)])
    if code is None or not userids:
        return False
    # Should WeCom refuse the update (the code spent or unknown), the outbox sends the card afresh instead; a fresh
    # card needs a task id of its own, derived from the code so a repeat of this update derives the same one.
    fresh = replace(card, task_id=f"{card.task_id}-{hashlib.sha1(code.encode()).hexdigest()[:8]}") if card else None
    await services.reach.card_update(
        userids,
        response_code=code,
        card=card,
        replace_name=replace_name,
        dedupe_key=_code_key(code),
        fresh_card=fresh,
        fresh_card_key=f"card:{fresh.task_id}" if fresh else None,
    )
    return True


# -- the department's card ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Alike:
    """What every department's card of one ticket shows alike: the parts (主办 first, each with its department)
    and who reported it. A whistle that sends several cards at once reads them once for all."""

    parts: list[Assignment]
    reporter: Reporter


async def department_card(
    services: Services,
    ticket: Ticket,
    assignment: Assignment,
    request: Request,
    place: str,
    *,
    task_id: str,
    alike: Alike | None = None,
) -> Card:
    """The card a department's liaisons act on: what and where, who reported it and how to call them back (in
    full: the card goes to each liaison's own chat), its deadlines, the 主办/协办 split, and its buttons."""
    texts = services.texts
    parts = alike.parts if alike is not None else await assignments_of(ticket, *COUNTED_STATES)
    primary = next((a.department.name for a in parts if a.is_primary), "")
    assisting = "、".join(a.department.name for a in parts if not a.is_primary) or texts.render("whistle.none")
    due = deadlines_for(services, ticket.urgency, assignment.notified_at)
    who = alike.reporter if alike is not None else await reporter_of(request)
    none = texts.render("whistle.none")
    fields: list[tuple[str, str]] = [
        (texts.render("whistle.field_reporter"), "，".join(w for w in (who.name, who.household) if w) or none),
        (texts.render("whistle.field_phone"), who.phone or texts.render("whistle.no_phone")),
        (texts.render("whistle.field_place"), " ".join(w for w in (place, who.address) if w) or none),
    ]
    code = assignment.department.code
    resolve_due = texts.render("whistle.due_resolve", due=stamp(due.resolve_due))
    if assignment.state == AssignmentState.NOTIFIED:
        respond_due = texts.render("whistle.due_respond", due=stamp(due.respond_due))
        fields.append((texts.render("whistle.field_due"), f"{respond_due}，{resolve_due}"))
        buttons: tuple[Button, ...] = (
            Button(str(DutyKey("on", ticket.id, code)), texts.render("duty.button_on_duty"), 1),
            Button(str(DutyKey("return", ticket.id, code)), texts.render("duty.button_return"), 2),
        )
    else:
        name = await _last_actor(ticket, assignment, "on_duty")
        on_duty = texts.render("whistle.due_signed", who=f"{name} {stamp(assignment.on_duty_at)}".strip())
        fields.append((texts.render("whistle.field_due"), f"{on_duty}，{resolve_due}"))
        buttons = (
            Button(str(DutyKey("done", ticket.id, code)), texts.render("duty.button_done"), 1),
            Button(str(DutyKey("progress", ticket.id, code)), texts.render("duty.button_progress"), 2),
        )
    if assignment.state in CLOSED_LABELS:  # nothing left to press: one button that only says where it stands
        kind, label = CLOSED_LABELS[AssignmentState(assignment.state)]
        name = await _last_actor(ticket, assignment, kind) if kind else ""
        buttons = (Button(str(DutyKey("status", ticket.id, code)), texts.render(label, name=name), 2),)
    fields.append(
        (texts.render("whistle.field_split"), texts.render("whistle.split", primary=primary, assisting=assisting))
    )
    if who.photos:
        fields.append((texts.render("whistle.field_photos"), texts.render("whistle.photos", count=who.photos)))
    title = texts.render(
        "whistle.card_title",
        number=ticket.number,
        role=texts.render("whistle.role_primary" if assignment.is_primary else "whistle.role_assisting"),
        urged=texts.render("whistle.urged_mark") if assignment.urged else "",
        urgency=texts.render(f"whistle.urgency_mark_{ticket.urgency}"),
    )
    description = request.text if len(request.text) <= DESCRIPTION_CHARS else request.text[:DESCRIPTION_CHARS] + "…"
    if assignment.urged:  # 督办 after 不满意: why the villager was not satisfied comes first
        reopened = await TicketEvent.filter(ticket_id=ticket.id, kind="reopened").order_by("-id").first()
        if reopened is not None and reopened.reason:
            description = texts.render("whistle.card_unsatisfied", reason=reopened.reason, text=description)
    return Card(task_id=task_id, title=title, description=description, fields=tuple(fields), buttons=buttons)


# A finished part's card: (the event whose actor it names, the text of its one button).
CLOSED_LABELS = {
    AssignmentState.DONE: ("done", "duty.card_done"),
    AssignmentState.RETURNED: ("returned", "duty.card_returned"),
    AssignmentState.WITHDRAWN: ("", "duty.card_withdrawn"),
}


async def _last_actor(ticket: Ticket, assignment: Assignment, kind: str) -> str:
    event = (
        await TicketEvent.filter(ticket_id=ticket.id, department_id=assignment.department_id, kind=kind)
        .order_by("-id")
        .first()
        .prefetch_related("actor")
    )
    return event.actor.name if event is not None and event.actor is not None else ""


def next_task_id(ticket: Ticket, assignment: Assignment) -> str:
    """A new task id for this department's card: unique per app, as WeCom requires."""
    previous = assignment.card_task_id.rsplit("-", 1)[-1] if assignment.card_task_id else "0"
    round_ = int(previous) + 1 if previous.isdigit() else 1
    return department_task_id(ticket, assignment.department.code, round_)


def department_task_id(ticket: Ticket, department_code: str, round_: int = 1) -> str:
    """The task id of a department's card on a ticket, by round (a part is created holding its first)."""
    return f"gw-{ticket.number}-{department_code}-{round_}"


async def send_department_card(
    services: Services,
    ticket: Ticket,
    assignment: Assignment,
    request: Request,
    place: str,
    *,
    first: bool = False,
    alike: Alike | None = None,
) -> None:
    """A fresh card to all of the department's liaisons (new task id), remembered on the assignment; `first`:
    the part was just created holding its first card's task id (`department_task_id`), so nothing more to write."""
    task_id = assignment.card_task_id if first and assignment.card_task_id else next_task_id(ticket, assignment)
    card = await department_card(services, ticket, assignment, request, place, task_id=task_id, alike=alike)
    liaisons = [p.userid for p in await liaisons_of(assignment.department) if p.userid]
    await services.reach.together(liaisons, card=card, urgent=ticket.urgency == "urgent", dedupe_key=f"card:{task_id}")
    if assignment.card_task_id != task_id:
        assignment.card_task_id = task_id
        await assignment.save(update_fields=["card_task_id"])


async def refresh_department_card(
    services: Services,
    ticket: Ticket,
    assignment: Assignment,
    request: Request,
    place: str,
    *,
    click: Click = TYPED,
    resend: bool = True,
) -> None:
    """Show the department's state as it now is on its card, for every liaison, whether the change came by a
    button or a typed command: the clicked card is updated with its click's code, else the latest card with the
    code its send returned. Without a code left, a fresh card goes instead (unless not `resend`)."""
    liaisons = [p.userid for p in await liaisons_of(assignment.department) if p.userid]
    task_id = click.task_id if click.code and click.task_id else assignment.card_task_id
    card = await department_card(services, ticket, assignment, request, place, task_id=task_id)
    updated = await update_card(services, liaisons, task_id=task_id, click_code=click.code, card=card)
    if not updated and resend:
        await send_department_card(services, ticket, assignment, request, place)
