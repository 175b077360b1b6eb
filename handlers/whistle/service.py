"""Blowing the whistle: a request becomes a ticket with one assignment per department, deadlines, cards
to every department's liaisons and, for three or more departments, a group chat for joint handling.

Functions other features call (all inside the caller's transaction):
- `whistle_request(services, request, actor=None, departments=None, note="")` — for a routed request
  (actor None: urgent ones at once, others after a township committee member confirms or a time-out).
- `reopen_ticket(services, request, actor=None, reason="")` — the villager was not satisfied.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar, Literal

from bot.channels.types import Button, Card
from config.errors import UserError
from handlers.common.format import stamp
from handlers.core.card_keys import CardKey
from handlers.core.context import Services
from handlers.tickets.audit import record
from handlers.tickets.cards import refresh_department_card, send_department_card, update_card
from handlers.tickets.deadlines import deadlines_for
from handlers.tickets.departments import NOT_COUNTY
from models import Area, Assignment, Department, Person, Request, RoutingCorrection, Ticket, TicketEvent
from models.assignment_states import ACTIVE_STATES, COUNTED_STATES, LEFT_STATES, AssignmentState, move_assignment
from models.lifecycle import Event
from models.numbers import next_number
from models.request_states import FINISHED, RequestState, move_request
from models.ticket_queries import (
    ancestor_at,
    assignments_of,
    committee_of,
    department_list,
    liaisons_of,
    place_of,
    village_secretaries,
)
from models.ticket_states import TicketState, move_ticket

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WhistleKey(CardKey):
    """The confirmation card's buttons: `whistle:<confirm|reassign>:<request number>`."""

    scheme: ClassVar[str] = "whistle"
    action: Literal["confirm", "reassign"]
    request_number: int


async def routed_departments(request: Request) -> list[Department]:
    """The request's primary first, then its assisting departments (the router's decision)."""
    codes = [c for c in dict.fromkeys([request.primary, *request.also]) if c and c not in NOT_COUNTY]
    by_code = {d.code: d for d in await Department.filter(code__in=codes)}
    return [by_code[c] for c in codes if c in by_code]


async def whistle_request(
    services: Services,
    request: Request,
    *,
    actor: Person | None = None,
    departments: list[Department] | None = None,
    note: str = "",
) -> Ticket | None:
    """Send a request to its departments. A township committee member's command (actor) goes at once;
    a routed request (no actor) goes at once when its urgency is in [whistle] at_once, else waits for
    a confirmation card (None is returned then, and the confirmation ticker sends it after the time-out)."""
    departments = departments or await routed_departments(request)
    if not departments:
        return None
    if actor is None and request.urgency not in services.policy.whistle.at_once:
        await propose(services, request, departments)
        return None
    return await blow(services, request, departments, actor=actor, note=note, trigger="command" if actor else "at_once")


async def propose(services: Services, request: Request, departments: list[Department]) -> bool:
    """A confirmation card (确认吹哨 / 改派) to the township committee; False when these departments were
    already proposed. A request re-routed while waiting gets a new card (and its time-out starts again)."""
    earlier = await TicketEvent.filter(request_id=request.id, kind="proposed").order_by("id")
    if earlier and earlier[-1].data.get("departments") == [d.code for d in departments]:
        return False
    now = services.clock.now()
    area = await Area.get_or_none(id=request.area_id) if request.area_id else None
    township = await ancestor_at(area, "township")
    if township is None:
        log.warning("request #%s has no township: cannot propose a whistle", request.number)
        return False
    await record("proposed", now, request=request, departments=[d.code for d in departments])
    timeout = services.policy.whistle.confirm_timeout_minutes
    texts = services.texts
    card = Card(
        task_id=confirm_task_id(request, len(earlier) + 1),
        title=texts.render("whistle.confirm_title", number=request.number),
        description=request.text[:120],
        fields=(
            (texts.render("whistle.field_place"), await place_of(area)),
            (texts.render("whistle.field_primary"), departments[0].name),
            (
                texts.render("whistle.field_assisting"),
                "、".join(d.name for d in departments[1:]) or texts.render("whistle.none"),
            ),
            (texts.render("whistle.field_goes_at"), stamp(now + timedelta(minutes=timeout))),
        ),
        buttons=(
            Button(str(WhistleKey("confirm", request.number)), texts.render("whistle.button_confirm"), 1),
            Button(str(WhistleKey("reassign", request.number)), texts.render("whistle.button_reassign"), 2),
        ),
    )
    members = [p.userid for p in await committee_of(township) if p.userid]
    await services.reach.together(members, card=card, dedupe_key=f"card:{card.task_id}")
    return True


async def close_proposal(services: Services, request: Request, text: str, click_code: str = "") -> None:
    """Grey out the confirmation card for every committee member once the request went out."""
    area = await Area.get_or_none(id=request.area_id) if request.area_id else None
    township = await ancestor_at(area, "township")
    if township is None:
        return
    members = [p.userid for p in await committee_of(township) if p.userid]
    rounds = await TicketEvent.filter(request_id=request.id, kind="proposed").count()
    if rounds:
        await update_card(
            services, members, task_id=confirm_task_id(request, rounds), click_code=click_code, replace_name=text
        )


def confirm_task_id(request: Request, round_: int) -> str:
    """The confirmation card's task id: unique per app, so a re-routed request's new card gets a new one."""
    return f"gw-confirm-{request.number}" + (f"-{round_}" if round_ > 1 else "")


async def blow(
    services: Services,
    request: Request,
    departments: list[Department],
    *,
    actor: Person | None,
    note: str = "",
    trigger: str = "command",
    click_code: str = "",
) -> Ticket | None:
    """Create the ticket now; None when another path whistled the request first."""
    now = services.clock.now()
    if not await move_request(request, RequestState.WHISTLED, now):  # claimed only while still whistleable
        return None
    area = await Area.get_or_none(id=request.area_id) if request.area_id else None
    township = await ancestor_at(area, "township")
    if township is None and actor is not None:
        role = next(iter(await actor.roles.filter(role="township_committee").prefetch_related("area")), None)
        township = role.area if role else None
    if township is None:
        raise UserError("whistle.no_township", number=request.number)
    due = deadlines_for(services, request.urgency, now)
    ticket = await Ticket.create(
        number=await next_number(),
        request_id=request.id,
        township_id=township.id,
        urgency=request.urgency,
        note=note,
        created_by_id=actor.id if actor else None,
        created_at=now,
        respond_due=due.respond_due,
        resolve_due=due.resolve_due,
    )
    await record(
        "whistled",
        now,
        ticket=ticket,
        actor=actor,
        reason=note,
        trigger=trigger,
        departments=[d.code for d in departments],
        request_number=request.number,
    )
    place = await place_of(area)
    for index, department in enumerate(departments):
        assignment = await Assignment.create(
            ticket_id=ticket.id, department_id=department.id, is_primary=index == 0, notified_at=now
        )
        assignment.department = department
        await notify_department(services, ticket, assignment, request, place, actor=actor)
    await close_proposal(
        services,
        request,
        services.texts.render(
            "whistle.confirmed_by", name=actor.name if actor else services.texts.render("whistle.system")
        ),
        click_code,
    )
    if len(departments) >= services.policy.whistle.joint_chat_min_departments:
        await open_joint_chat(services, ticket, request, township, actor, place)
    if actor is None:
        await tell_township(
            services,
            ticket,
            "whistle.auto_whistled",
            urgent=ticket.urgency == "urgent",
            number=ticket.number,
            request_number=request.number,
            place=place,
            departments="、".join(d.name for d in departments),
            text=request.text[:60],
        )
    return ticket


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
) -> None:
    """A department new on the ticket: its clock starts (an event with its deadlines), a card to its liaisons."""
    at = assignment.notified_at
    await notified_event(services, ticket, assignment, at, primary=assignment.is_primary, actor=actor).write(at)
    await send_department_card(services, ticket, assignment, request, place)


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
    township = await Area.get(id=ticket.township_id)
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
    members += await village_secretaries(await Area.get_or_none(id=request.area_id))
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
        text=request.text[:200],
        departments=department_list(parts),
        resolve_due=stamp(ticket.resolve_due),
    )
    if await services.reach.open_group(
        chatid, name=name, userids=userids, text=text, dedupe_key=f"ticket:{ticket.id}:appchat"
    ):
        ticket.appchat_id = chatid
        await ticket.save(update_fields=["appchat_id"])


async def post_to_joint_chat(services: Services, ticket: Ticket, text: str, dedupe_key: str) -> None:
    if ticket.appchat_id:
        await services.reach.post_to_group(ticket.appchat_id, text, dedupe_key=dedupe_key)


async def reassign(
    services: Services, ticket: Ticket, departments: list[Department], *, actor: Person, reason: str
) -> list[Assignment]:
    """改派: the named departments replace the returned ones, or else the primary (the first named becomes
    primary when the primary is replaced). Kept as a RoutingCorrection for the routing table. Returns the
    replaced parts."""
    now = services.clock.now()
    request = await Request.get(id=ticket.request_id)
    parts = await assignments_of(ticket)
    replaced = [a for a in parts if a.state == AssignmentState.RETURNED] or [a for a in parts if a.is_primary]
    primary_moves = any(a.is_primary for a in replaced)
    place = await place_of(await Area.get_or_none(id=request.area_id))
    for old in replaced:
        if old.department in departments:
            continue
        if old.state != AssignmentState.RETURNED:
            withdrawn = Event("withdrawn", ticket=ticket, department=old.department, actor=actor, reason=reason)
            if await move_assignment(old, AssignmentState.WITHDRAWN, now, event=withdrawn):
                await refresh_department_card(
                    services, ticket, old, request, place, replace_name=services.texts.render("duty.card_withdrawn")
                )
        old.is_primary = False
        await old.save(update_fields=["is_primary"])
    by_department = {a.department.id: a for a in parts}
    if primary_moves:
        await Assignment.filter(ticket_id=ticket.id, is_primary=True).update(is_primary=False)
    for index, department in enumerate(departments):
        part = by_department.get(department.id)
        make_primary = primary_moves and index == 0
        if part is None:
            part = await Assignment.create(
                ticket_id=ticket.id, department_id=department.id, is_primary=make_primary, notified_at=now
            )
            part.department = department
            await notify_department(services, ticket, part, request, place, actor=actor)
        elif part.state in COUNTED_STATES:
            if make_primary:
                part.is_primary = True
                await part.save(update_fields=["is_primary"])
        else:
            await notify_again(
                services,
                ticket,
                part,
                request,
                place,
                now,
                only_from=LEFT_STATES,
                actor=actor,
                is_primary=make_primary,
                returned_reason="",
            )
    original = next((a.department.code for a in replaced), request.primary)
    await RoutingCorrection.create(
        text=request.text, original=original, corrected=departments[0].code, request_id=request.id, created_at=now
    )
    await record(
        "reassigned",
        now,
        ticket=ticket,
        actor=actor,
        reason=reason,
        replaced=[a.department.code for a in replaced],
        to=[d.code for d in departments],
    )
    return replaced


async def add_departments(
    services: Services, ticket: Ticket, departments: list[Department], *, actor: Person, note: str = ""
) -> list[Department]:
    """吹哨 again on a ticket already out (e.g. an urgent one sent at once): the new departments assist.
    Returns the departments that were added; the joint chat opens once three or more take part."""
    now = services.clock.now()
    request = await Request.get(id=ticket.request_id)
    area = await Area.get_or_none(id=request.area_id) if request.area_id else None
    place = await place_of(area)
    present = {a.department_id: a for a in await assignments_of(ticket)}
    added = []
    for department in departments:
        part = present.get(department.id)
        if part is not None and part.state not in LEFT_STATES:
            continue  # still on the ticket
        if part is None:
            part = await Assignment.create(ticket_id=ticket.id, department_id=department.id, notified_at=now)
            part.department = department
            await notify_department(services, ticket, part, request, place, actor=actor)
        elif not await notify_again(services, ticket, part, request, place, now, only_from=LEFT_STATES, actor=actor):
            continue
        added.append(department)
    if added:
        await record("added", now, ticket=ticket, actor=actor, reason=note, departments=[d.code for d in added])
        active = await assignments_of(ticket, *COUNTED_STATES)
        if not ticket.appchat_id and len(active) >= services.policy.whistle.joint_chat_min_departments:
            township = await Area.get(id=ticket.township_id)
            await open_joint_chat(services, ticket, request, township, actor, place)
    return added


async def reassign_proposal(
    services: Services, request: Request, departments: list[Department], *, actor: Person, reason: str
) -> Ticket | None:
    """改派 before the whistle went: correct the routing and whistle to the named departments."""
    now = services.clock.now()
    await RoutingCorrection.create(
        text=request.text,
        original=request.primary,
        corrected=departments[0].code,
        request_id=request.id,
        created_at=now,
    )
    await record(
        "rerouted",
        now,
        request=request,
        actor=actor,
        reason=reason,
        original=request.primary,
        to=[d.code for d in departments],
    )
    return await blow(services, request, departments, actor=actor, note=reason)


async def urge(services: Services, ticket: Ticket, *, actor: Person | None, reason: str = "") -> list[Assignment]:
    """督办: every department still owing something is marked and told at once."""
    now = services.clock.now()
    parts = await assignments_of(ticket, *ACTIVE_STATES)
    for part in parts:
        part.urged = True
        await part.save(update_fields=["urged"])
        event = await record("urged", now, ticket=ticket, department=part.department, actor=actor, reason=reason)
        liaisons = [p.userid for p in await liaisons_of(part.department) if p.userid]
        await services.reach.together(
            liaisons,
            urgent=ticket.urgency == "urgent",
            dedupe_key=f"ticket:{ticket.id}:urge:{event.id}",
            text=services.texts.render(
                "whistle.urge_notice",
                number=ticket.number,
                name=actor.name if actor else "",
                reason=reason or services.texts.render("whistle.no_reason"),
                resolve_due=stamp(deadlines_for(services, ticket.urgency, part.notified_at).resolve_due),
            ),
        )
    return parts


async def reopen_ticket(
    services: Services, request: Request, *, actor: Person | None = None, reason: str = ""
) -> Ticket | None:
    """不满意: the request's latest ticket goes back to the same departments, marked 督办, with new deadlines.

    Called by the requests feature when a villager rates 不满意; None when the request has no ticket.
    """
    ticket = await Ticket.filter(request_id=request.id).order_by("-id").first()
    if ticket is None:
        return None
    now = services.clock.now()
    due = deadlines_for(services, ticket.urgency, now)
    reopened = Event("reopened", ticket=ticket, actor=actor, reason=reason)
    await move_ticket(
        ticket, TicketState.OPEN, now, event=reopened, respond_due=due.respond_due, resolve_due=due.resolve_due
    )
    await move_request(request, RequestState.REOPENED, now, only_from=FINISHED)
    place = await place_of(await Area.get_or_none(id=request.area_id))
    parts = await assignments_of(ticket, *COUNTED_STATES)
    for part in parts:
        await notify_again(
            services,
            ticket,
            part,
            request,
            place,
            now,
            only_from=COUNTED_STATES,
            actor=actor,
            reopened=True,
            urged=True,
        )
    await tell_township(
        services,
        ticket,
        "whistle.reopened_notice",
        number=ticket.number,
        request_number=request.number,
        departments=department_list(parts),
        reason=reason or services.texts.render("whistle.no_reason"),
    )
    return ticket
