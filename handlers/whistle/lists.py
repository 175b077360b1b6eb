"""哨单: the township's tickets as short lines (one per ticket, each department's state), and pending confirmations."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from handlers.common.format import stamp, summary
from handlers.core.context import Services
from handlers.tickets.deadlines import overdue
from models import Assignment, Request, Ticket, TicketEvent
from models.area_cache import area_of
from models.assignment_states import AssignmentState
from models.request_states import RequestState
from models.ticket_queries import ancestor_at, place_of
from models.ticket_states import TicketState

MAX_LINES = 20
LIST_KINDS = ("unsigned", "overdue", "this_week")  # `哨单 <word>`: the names of [subcommands.whistle_list]


def week_start(now: datetime) -> datetime:
    return (now - timedelta(days=now.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)


async def ticket_lines(services: Services, tickets: list[Ticket], now: datetime) -> list[tuple[str, set[str]]]:
    """Each ticket as a line, with its marks: unsigned (a department has not 签收), overdue. Their requests and
    departments' parts are read in one query each, whatever the number of tickets."""
    requests = {r.id: r for r in await Request.filter(id__in={t.request_id for t in tickets})}
    parts: dict[int, list[Assignment]] = defaultdict(list)
    for part in (
        await Assignment.filter(ticket_id__in=[t.id for t in tickets])
        .exclude(state=AssignmentState.WITHDRAWN)
        .order_by("-is_primary", "id")
        .prefetch_related("department")
    ):
        parts[part.ticket_id].append(part)
    return [await _ticket_line(services, t, requests[t.request_id], parts[t.id], now) for t in tickets]


async def _ticket_line(
    services: Services, ticket: Ticket, request: Request, parts: list[Assignment], now: datetime
) -> tuple[str, set[str]]:
    texts = services.texts
    marks: set[str] = set()
    states = []
    for part in parts:
        late = overdue(
            services.policy.whistle.deadlines,
            ticket.urgency,
            part.state,
            part.notified_at,
            now,
            services.calendar.calendar,
        )
        if part.state == AssignmentState.NOTIFIED:
            marks.add("unsigned")
        if late:
            marks.add("overdue")
        state = texts.render(f"duty.state_{part.state}") + (texts.render("whistle.late_mark") if late else "")
        states.append(f"{part.department.name}{state}")
    place = await place_of(await area_of(request.area_id))
    line = texts.render(
        "whistle.list_line", number=ticket.number, place=place, summary=summary(request.text), states="；".join(states)
    )
    return line, marks


async def township_lines(services: Services, township_id: int, which: str, now: datetime) -> list[str]:
    """Lines for `哨单 [未签收|超时|本周]`; `which` is "", "unsigned", "overdue" or "this_week"."""
    texts = services.texts
    query = Ticket.filter(township_id=township_id)
    query = (
        query.filter(created_at__gte=week_start(now)) if which == "this_week" else query.filter(status=TicketState.OPEN)
    )
    lines: list[str] = []
    if which == "":
        lines += await pending_lines(services, township_id)
        lines += await village_lines(services, township_id)
    for line, marks in await ticket_lines(services, await query.order_by("-id"), now):
        if which in ("", "this_week") or which in marks:
            lines.append(line)
    if len(lines) > MAX_LINES:
        lines = lines[:MAX_LINES] + [texts.render("whistle.list_more", count=len(lines) - MAX_LINES)]
    return lines


async def pending_lines(services: Services, township_id: int) -> list[str]:
    """Requests waiting for a committee member to confirm the whistle."""
    proposed = (
        await TicketEvent.filter(kind="proposed", request__status=RequestState.RECORDED)
        .order_by("-id")
        .prefetch_related("request")
    )
    lines = [await _request_line(services, "whistle.list_pending", event.request, township_id) for event in proposed]
    return [line for line in lines if line]


async def village_lines(services: Services, township_id: int) -> list[str]:
    """Matters the village tier has now (村里先办), with their same-day deadline: the township may still whistle them."""
    lines = []
    for request in await Request.filter(status=RequestState.AT_VILLAGE).order_by("-id"):
        stage = await TicketEvent.filter(request_id=request.id, kind="at_village").order_by("id").first()
        due = datetime.fromisoformat(stage.data["due"]) if stage is not None and stage.data.get("due") else None
        due_words = stamp(due) if due is not None else "—"
        lines.append(await _request_line(services, "whistle.list_at_village", request, township_id, due=due_words))
    return [line for line in lines if line]


async def _request_line(services: Services, key: str, request: Request | None, township_id: int, **more: str) -> str:
    """A request of this township as a line of text `key`; "" for another township's."""
    assert request is not None, "the query joined each event to its request"
    area = await area_of(request.area_id)
    township = await ancestor_at(area, "township")
    if township is None or township.id != township_id:
        return ""
    place = await place_of(area)
    return services.texts.render(key, number=request.number, place=place, summary=summary(request.text), **more)
