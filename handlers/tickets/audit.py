"""The audit trail of tickets: every state change is one append-only TicketEvent (who, when, what, why)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from models import Department, Person, Request, Ticket, TicketEvent

log = logging.getLogger("gridwhistle.audit")


async def record(kind: str, at: datetime, *, ticket: Ticket | None = None, request: Request | None = None,
                 department: Department | None = None, actor: Person | None = None, reason: str = "",
                 **data: Any) -> TicketEvent:
    request_id = request.id if request is not None else (ticket.request_id if ticket is not None else None)
    return await TicketEvent.create(
        kind=kind, at=at, ticket_id=ticket.id if ticket else None, request_id=request_id,
        department_id=department.id if department else None, actor_id=actor.id if actor else None,
        reason=reason, data=data,
    )


async def refused(what: str, at: datetime, *, person: Person | None, sender: str, why: str,
                  ticket: Ticket | None = None) -> None:
    """A command refused for lack of a role or scope: logged, and kept on the ticket's trail when known."""
    log.warning("refused %s from %s (%s): %s", what, sender, person.name if person else "unknown person", why)
    if ticket is not None:
        await record("refused", at, ticket=ticket, actor=person, reason=why, command=what, sender=sender)
