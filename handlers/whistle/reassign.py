"""改派 and adding departments: the township corrects where a ticket (or a request not yet whistled) goes;
each correction is kept as a RoutingCorrection for the routing table."""

from __future__ import annotations

from handlers.core.context import Services
from handlers.tickets.audit import record
from handlers.tickets.cards import refresh_department_card
from handlers.tickets.notices import notify_again, notify_department, open_joint_chat
from handlers.whistle.service import blow
from models import Assignment, Department, Person, Request, RoutingCorrection, Ticket
from models.area_cache import area_of, area_required
from models.assignment_states import COUNTED_STATES, LEFT_STATES, AssignmentState, move_assignment
from models.lifecycle import Event
from models.ticket_queries import (
    assignments_of,
    place_of,
)


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
    place = await place_of(await area_of(request.area_id))
    for old in replaced:
        if old.department in departments:
            continue
        if old.state != AssignmentState.RETURNED:
            withdrawn = Event("withdrawn", ticket=ticket, department=old.department, actor=actor, reason=reason)
            if await move_assignment(old, AssignmentState.WITHDRAWN, now, event=withdrawn):
                await refresh_department_card(services, ticket, old, request, place)
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
    area = await area_of(request.area_id)
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
        for part in active:  # the departments already on it see the new 协办 on their cards
            if part.department_id not in {d.id for d in added} and part.card_task_id:
                await refresh_department_card(services, ticket, part, request, place, resend=False)
        if not ticket.appchat_id and len(active) >= services.policy.whistle.joint_chat_min_departments:
            township = await area_required(ticket.township_id)
            await open_joint_chat(services, ticket, request, township, actor, place)
    return added


async def reassign_proposal(
    services: Services,
    request: Request,
    departments: list[Department],
    *,
    actor: Person,
    reason: str,
    via: str = "reassign",
    click_code: str = "",
) -> Ticket | None:
    """改派 before the whistle went (or the card's runner-up button, via "runner_up"): whistle to the named
    departments and keep the correction of the routing — once, by whoever whistled first (None otherwise)."""
    ticket = await blow(services, request, departments, actor=actor, note=reason, click_code=click_code)
    if ticket is None:
        return None
    now = services.clock.now()
    await keep_correction(services, request, departments[0], via=via)
    await record(
        "rerouted",
        now,
        request=request,
        actor=actor,
        reason=reason,
        original=request.primary,
        to=[d.code for d in departments],
    )
    return ticket


async def keep_correction(services: Services, request: Request, department: Department, *, via: str) -> None:
    """A choice other than the router's, kept for `lexicon suggest` and, once a cadre accepts it, for learning."""
    if department.code == request.primary:
        return
    await RoutingCorrection.create(
        text=request.text,
        original=request.primary,
        corrected=department.code,
        request_id=request.id,
        created_at=services.clock.now(),
        via=via,
    )
