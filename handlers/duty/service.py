"""Reporting for duty: a department's 签收, 进展, 办结 and 退单 on its part of a ticket.

Each change is an event, shows on the department's card for all its liaisons, goes into the joint chat
when there is one, and reaches the villager (签收 of the primary, 进展, and the end when all are done).
"""

from __future__ import annotations

from handlers.core.context import Services
from handlers.requests.hearback import request_resolved, tell_requester
from handlers.tickets.cards import TYPED, Click, refresh_department_card
from handlers.tickets.notices import post_to_joint_chat, tell_township
from models import Assignment, Person, Request, Ticket, TicketEvent
from models.area_cache import area_of
from models.assignment_states import ACTIVE_STATES, AssignmentState, move_assignment
from models.lifecycle import Event
from models.ticket_queries import assignments_of, place_of
from models.ticket_states import TicketState, move_ticket


async def _context(ticket: Ticket) -> tuple[Request, str]:
    request = await Request.get(id=ticket.request_id)
    return request, await place_of(await area_of(request.area_id))


async def _closed_part(
    services: Services, ticket: Ticket, part: Assignment, event: TicketEvent, click: Click, *, chat: str
) -> Request:
    """A department is through with its part (办结 or 退单): its card shows so for every liaison, and the joint
    group reads `chat`. Returns the ticket's request."""
    request, place = await _context(ticket)
    await refresh_department_card(services, ticket, part, request, place, click=click)
    await post_to_joint_chat(services, ticket, chat, f"ticket:{ticket.id}:chat:{event.id}")
    return request


async def report_for_duty(
    services: Services, ticket: Ticket, part: Assignment, actor: Person, *, click: Click = TYPED
) -> bool:
    """签收; False when the department already had (nothing changes then)."""
    now = services.clock.now()
    moved = await move_assignment(
        part,
        AssignmentState.ON_DUTY,
        now,
        event=Event(
            "on_duty", ticket=ticket, department=part.department, actor=actor, data={"response_code": click.code}
        ),
    )
    if not moved:
        return False
    event = moved.event
    assert event is not None
    request, place = await _context(ticket)
    await refresh_department_card(services, ticket, part, request, place, click=click)
    texts = services.texts
    await post_to_joint_chat(
        services,
        ticket,
        texts.render("duty.chat_on_duty", department=part.department.name, name=actor.name),
        f"ticket:{ticket.id}:chat:{event.id}",
    )
    if part.is_primary:
        await tell_requester(
            services,
            request,
            texts.render("duty.told_on_duty", department=part.department.name),
            dedupe_key=f"ticket:{ticket.id}:told:{event.id}",
        )
    return True


async def report_progress(services: Services, ticket: Ticket, part: Assignment, actor: Person, text: str) -> None:
    """进展 (签收 first, implicitly, when the department had not)."""
    if part.state == AssignmentState.NOTIFIED:
        await report_for_duty(services, ticket, part, actor)
    now = services.clock.now()
    moved = await move_assignment(
        part,
        AssignmentState.IN_PROGRESS,
        now,
        event=Event("progress", ticket=ticket, department=part.department, actor=actor, reason=text),
    )
    if not moved:
        return
    event = moved.event
    assert event is not None
    request, _ = await _context(ticket)
    texts = services.texts
    await post_to_joint_chat(
        services,
        ticket,
        texts.render("duty.chat_progress", department=part.department.name, name=actor.name, text=text),
        f"ticket:{ticket.id}:chat:{event.id}",
    )
    await tell_requester(
        services,
        request,
        texts.render("duty.told_progress", department=part.department.name, text=text),
        dedupe_key=f"ticket:{ticket.id}:told:{event.id}",
    )


async def finish(
    services: Services, ticket: Ticket, part: Assignment, actor: Person, note: str, *, click: Click = TYPED
) -> bool:
    """办结; False when the department had already finished. The ticket is resolved when all have."""
    now = services.clock.now()
    if part.state == AssignmentState.NOTIFIED:  # finished on the spot: an implicit 签收 first
        await move_assignment(
            part,
            AssignmentState.ON_DUTY,
            now,
            event=Event("on_duty", ticket=ticket, department=part.department, actor=actor, data={"implicit": True}),
        )
    moved = await move_assignment(
        part,
        AssignmentState.DONE,
        now,
        event=Event("done", ticket=ticket, department=part.department, actor=actor, reason=note),
    )
    if not moved or moved.event is None:
        return False
    texts = services.texts
    request = await _closed_part(
        services,
        ticket,
        part,
        moved.event,
        click,
        chat=texts.render("duty.chat_done", department=part.department.name, name=actor.name, note=note or "-"),
    )
    # What the department did reaches the villager, combined with the rest of the news of the matter.
    told = texts.render("duty.told_done", department=part.department.name, note=note) if note else ""
    await tell_requester(
        services,
        request,
        told or texts.render("duty.told_done_plain", department=part.department.name),
        dedupe_key=f"ticket:{ticket.id}:told:{moved.event.id}",
    )
    await settle(services, ticket, request, actor)
    return True


async def settle(services: Services, ticket: Ticket, request: Request, actor: Person | None) -> bool:
    """Resolve the ticket and the request once no department owes anything and the primary is not handed back."""
    parts = await assignments_of(ticket)
    if ticket.status != TicketState.OPEN or any(a.state in ACTIVE_STATES for a in parts):
        return False
    done = [a for a in parts if a.state == AssignmentState.DONE]
    if not done or any(a.is_primary and a.state == AssignmentState.RETURNED for a in parts):
        return False
    now = services.clock.now()
    resolved = Event("resolved", ticket=ticket, actor=actor, data={"departments": [a.department.code for a in done]})
    if not await move_ticket(ticket, TicketState.RESOLVED, now, event=resolved):
        return False  # another department's 办结 resolved it first
    notes = "、".join(a.department.name for a in done)
    texts = services.texts
    await post_to_joint_chat(
        services,
        ticket,
        texts.render("duty.chat_resolved", number=ticket.number),
        f"ticket:{ticket.id}:chat:resolved:{int(now.timestamp())}",
    )
    await request_resolved(
        services,
        request,
        texts.render("duty.resolved_note", departments=notes),
        dedupe_key=f"ticket:{ticket.id}:resolved:{int(now.timestamp())}",
        actor=actor,
    )
    return True


async def hand_back(
    services: Services, ticket: Ticket, part: Assignment, actor: Person, reason: str, *, click: Click = TYPED
) -> bool:
    """退单 with a reason; the township is asked to re-assign. False when there was nothing to hand back."""
    now = services.clock.now()
    moved = await move_assignment(
        part,
        AssignmentState.RETURNED,
        now,
        returned_reason=reason,
        event=Event("returned", ticket=ticket, department=part.department, actor=actor, reason=reason),
    )
    if not moved or moved.event is None:  # nothing was owed any more
        return False
    event, texts = moved.event, services.texts
    request = await _closed_part(
        services,
        ticket,
        part,
        event,
        click,
        chat=texts.render("duty.chat_returned", department=part.department.name, reason=reason),
    )
    await tell_township(
        services,
        ticket,
        "duty.returned_notice",
        urgent=ticket.urgency == "urgent",
        dedupe_key=f"ticket:{ticket.id}:returned:{event.id}",
        number=ticket.number,
        department=part.department.name,
        name=actor.name,
        reason=reason,
        text=request.text[:60],
    )
    await settle(services, ticket, request, actor)
    return True
