"""The audit trail of tickets: every state change is one append-only TicketEvent (who, when, what, why).

A state change writes its event through its move (models/lifecycle.py); `record` is for what is no move."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from models import Department, Person, Request, Ticket, TicketEvent
from models.lifecycle import Event

log = logging.getLogger("gridwhistle.audit")


async def record(
    kind: str,
    at: datetime,
    *,
    ticket: Ticket | None = None,
    request: Request | None = None,
    department: Department | None = None,
    actor: Person | None = None,
    reason: str = "",
    **data: Any,
) -> TicketEvent:
    return await Event(
        kind, ticket=ticket, request=request, department=department, actor=actor, reason=reason, data=data
    ).write(at)


async def refused(
    what: str, at: datetime, *, person: Person | None, sender: str, why: str, ticket: Ticket | None = None
) -> None:
    """A command refused for lack of a role or scope: logged, and kept on the ticket's trail when known."""
    log.warning("refused %s from %s (%s): %s", what, sender, person.name if person else "unknown person", why)
    if ticket is not None:
        await record("refused", at, ticket=ticket, actor=person, reason=why, command=what, sender=sender)
