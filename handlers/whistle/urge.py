"""督办: every department still owing something on a ticket is marked and told at once."""

from __future__ import annotations

from handlers.common.format import stamp
from handlers.core.context import Services
from handlers.tickets.audit import record
from handlers.tickets.deadlines import deadlines_for
from models import Assignment, Person, Ticket
from models.assignment_states import ACTIVE_STATES
from models.ticket_queries import (
    assignments_of,
    liaisons_of,
)


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
