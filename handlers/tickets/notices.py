"""Telling the people of a ticket: a department is notified (its clock starts, a fresh card to its liaisons),
the township committee is told, and the joint-handling group of a big ticket is opened and posted to."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from handlers.common.format import stamp
from handlers.common.privacy import mask_private
from handlers.core.context import Services
from handlers.tickets.cards import Alike, send_department_card
from handlers.tickets.deadlines import deadlines_for
from models import Area, Assignment, Person, Request, Ticket
from models.area_cache import area_of, area_required
from models.assignment_states import ACTIVE_STATES, AssignmentState, move_assignment
from models.lifecycle import Event
from models.ticket_queries import (
    assignments_of,
    committee_of,
    department_list,
    liaisons_of,
    village_secretaries,
)


def notified_event(
    services: Services,
    ticket: Ticket,
    assignment: Assignment,
    at: datetime,
    *,
    primary: bool,
    actor: Person | None = None,
    reopened: bool = False,
) -> Event:
    """The event that starts a department's clock at `at`, with the deadlines it carries."""
    due = deadlines_for(services, ticket.urgency, at)
    return Event(
        "notified",
        ticket=ticket,
        department=assignment.department,
        actor=actor,
        data={
            "primary": primary,
            "respond_due": due.respond_due.isoformat(),
            "resolve_due": due.resolve_due.isoformat(),
            "reopened": reopened,
        },
    )


async def notify_department(
    services: Services,
    ticket: Ticket,
    assignment: Assignment,
    request: Request,
    place: str,
    *,
    actor: Person | None = None,
    alike: Alike | None = None,
) -> None:
    """A department new on the ticket: its clock starts (an event with its deadlines), a card to its liaisons
    (`alike`: what all the ticket's new cards show, read once by the whistle that sends them)."""
    at = assignment.notified_at
    await notified_event(services, ticket, assignment, at, primary=assignment.is_primary, actor=actor).write(at)
    await send_department_card(services, ticket, assignment, request, place, first=True, alike=alike)


async def notify_again(
    services: Services,
    ticket: Ticket,
    part: Assignment,
    request: Request,
    place: str,
    at: datetime,
    *,
    only_from: Collection[AssignmentState],
    actor: Person | None = None,
    reopened: bool = False,
    **changes: Any,
) -> bool:
    """A department already on the ticket, if in one of `only_from`, is notified afresh: its clock restarts at
    `at` (with `changes`), the event is written, its liaisons get a new card. False when it was not."""
    event = notified_event(
        services, ticket, part, at, primary=changes.get("is_primary", part.is_primary), actor=actor, reopened=reopened
    )
    if not await move_assignment(part, AssignmentState.NOTIFIED, at, event=event, only_from=only_from, **changes):
        return False
    await send_department_card(services, ticket, part, request, place)
    return True


async def tell_township(
    services: Services, ticket: Ticket, key: str, *, urgent: bool = False, dedupe_key: str | None = None, **params
) -> bool:
    township = await area_required(ticket.township_id)
    members = [p.userid for p in await committee_of(township) if p.userid]
    return await services.reach.together(
        members, text=services.texts.render(key, **params), urgent=urgent, dedupe_key=dedupe_key
    )


async def open_joint_chat(
    services: Services, ticket: Ticket, request: Request, township: Area, actor: Person | None, place: str
) -> None:
    """An app group chat of the township member, the village secretary and every liaison (push only)."""
    lead = actor or next(iter(await committee_of(township)), None)
    parts = await assignments_of(ticket, *ACTIVE_STATES)
    members = [lead] if lead else []
    members += await village_secretaries(await area_of(request.area_id))
    for part in parts:
        members += await liaisons_of(part.department)
    userids = list(dict.fromkeys(p.userid for p in members if p.userid))
    if len(userids) < 2:
        return
    chatid = f"gwticket{ticket.number}"
    name = services.texts.render("whistle.joint_chat_name", number=ticket.number, place=place)[:50]
    text = services.texts.render(
        "whistle.joint_chat_hello",
        number=ticket.number,
        place=place,
        text=mask_private(request.text[:200]),
        departments=department_list(parts),
        resolve_due=stamp(ticket.resolve_due),
    )
    if await services.reach.open_group(
        chatid, name=name, userids=userids, text=text, dedupe_key=f"ticket:{ticket.id}:appchat"
    ):
        ticket.appchat_id = chatid
        await ticket.save(update_fields=["appchat_id"])


async def post_to_joint_chat(services: Services, ticket: Ticket, text: str, dedupe_key: str) -> None:
    if ticket.appchat_id:  # a group: what liaisons wrote may carry the villager's phone or house number
        await services.reach.post_to_group(ticket.appchat_id, mask_private(text), dedupe_key=dedupe_key)
