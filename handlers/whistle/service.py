"""Blowing the whistle: a request becomes a ticket with one assignment per department, deadlines, cards
to every department's liaisons and, for three or more departments, a group chat for joint handling.

Functions other features call (all inside the caller's transaction):
- `whistle_request(services, request, actor=None, departments=None, note="")` — for a routed request
  (actor None: urgent ones at once, others after a township committee member confirms or a time-out).
- `reopen_ticket(services, request, actor=None, reason="")` (whistle/reopen.py) — the villager was not satisfied.
"""

from __future__ import annotations

from config.errors import UserError
from handlers.core.context import Services
from handlers.tickets.cards import Alike, department_task_id
from handlers.tickets.deadlines import deadlines_for
from handlers.tickets.departments import NOT_COUNTY
from handlers.tickets.notices import notify_department, open_joint_chat, tell_township
from handlers.tickets.reporter import reporter_of
from handlers.urgent.notice import alert_nearest
from handlers.whistle.proposal import close_proposal, propose
from models import Assignment, Department, Person, Request, Ticket
from models.area_cache import area_of, departments_by_code
from models.audited import insert_audited
from models.lifecycle import Event
from models.request_states import RequestState, move_request
from models.ticket_queries import (
    ancestor_at,
    place_of,
)


async def routed_departments(request: Request) -> list[Department]:
    """The request's primary first, then its assisting departments (the router's decision)."""
    codes = [c for c in dict.fromkeys([request.primary, *request.also]) if c and c not in NOT_COUNTY]
    by_code = await departments_by_code(codes)
    return [by_code[c] for c in codes if c in by_code]


async def whistle_request(
    services: Services,
    request: Request,
    *,
    actor: Person | None = None,
    departments: list[Department] | None = None,
    note: str = "",
    fresh: bool = False,
) -> Ticket | None:
    """Send a request to its departments. A township committee member's command (actor) goes at once;
    a routed request (no actor) goes at once when its urgency is in [whistle] at_once, else waits for
    a confirmation card (None is returned then, and the confirmation ticker sends it after the time-out).
    fresh: recorded in this very message, so never proposed before (no earlier card to look up)."""
    departments = departments or await routed_departments(request)
    if not departments:
        return None
    if actor is None and request.urgency not in services.policy.whistle.at_once:
        if request.urgency == "urgent":  # danger: the nearest cadres hear of it now, while the township confirms
            await alert_nearest(services, request)
        await propose(services, request, departments, fresh=fresh)
        return None
    # At once: `blow` tells the nearest cadres of an urgent matter (once, however it is whistled).
    trigger = "command" if actor else "at_once"
    return await blow(services, request, departments, actor=actor, note=note, trigger=trigger, fresh=fresh)


async def blow(
    services: Services,
    request: Request,
    departments: list[Department],
    *,
    actor: Person | None,
    note: str = "",
    trigger: str = "command",
    click_code: str = "",
    fresh: bool = False,
) -> Ticket | None:
    """Create the ticket now; None when another path whistled the request first. fresh: recorded in this very
    message, so there is no confirmation card to grey out."""
    now = services.clock.now()
    if not await move_request(request, RequestState.WHISTLED, now):  # claimed only while still whistleable
        return None
    area = await area_of(request.area_id)
    township = await ancestor_at(area, "township")
    if township is None and actor is not None:
        role = next(iter(await actor.roles.filter(role="township_committee").prefetch_related("area")), None)
        township = role.area if role else None
    if township is None:
        raise UserError("whistle.no_township", number=request.number)
    due = deadlines_for(services, request.urgency, now)
    ticket = Ticket(
        request_id=request.id,
        township_id=township.id,
        urgency=request.urgency,
        note=note,
        created_by_id=actor.id if actor else None,
        created_at=now,
        respond_due=due.respond_due,
        resolve_due=due.resolve_due,
    )
    whistled = Event(
        "whistled",
        request=request,
        actor=actor,
        reason=note,
        data={"trigger": trigger, "departments": [d.code for d in departments], "request_number": request.number},
    )
    await insert_audited(ticket, whistled.row(now), link="ticket_id", numbered=True)  # one statement on PostgreSQL
    place = await place_of(area)
    reporter = await reporter_of(request)  # once, for the urgent card and every department's
    if request.urgency == "urgent":  # also when the township whistles it itself (each cadre is told once)
        await alert_nearest(services, request, reporter=reporter)
    assignments = []
    for index, department in enumerate(departments):  # all parts first, so every first card shows 主办 and 协办
        assignment = await Assignment.create(
            ticket_id=ticket.id,
            department_id=department.id,
            is_primary=index == 0,
            notified_at=now,
            card_task_id=department_task_id(ticket, department.code),
        )
        assignment.department = department
        assignments.append(assignment)
    alike = Alike(assignments, reporter)
    for assignment in assignments:
        await notify_department(services, ticket, assignment, request, place, actor=actor, alike=alike)
    if not fresh:
        await close_proposal(
            services,
            request,
            township,
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
