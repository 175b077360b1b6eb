"""不满意: the request's latest ticket goes back to the same departments, marked 督办, with new deadlines."""

from __future__ import annotations

from handlers.core.context import Services
from handlers.tickets.deadlines import deadlines_for
from handlers.tickets.notices import notify_again, tell_township
from models import Person, Request, Ticket
from models.area_cache import area_of
from models.assignment_states import COUNTED_STATES
from models.lifecycle import Event
from models.request_states import FINISHED, RequestState, move_request
from models.ticket_queries import (
    assignments_of,
    department_list,
    place_of,
)
from models.ticket_states import TicketState, move_ticket


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
    place = await place_of(await area_of(request.area_id))
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
