"""A ticket's (哨单) status: `open` while any department owes something, `resolved` when all are done, and
`open` again when a household is not satisfied (不满意 reopens it, with new deadlines).

Tickets are created open (the whistle); nothing closes a ticket — the request is what a rating closes.
不满意 may reach a ticket still open (its request was resolved another way, e.g. a merged report the village
closed): it is reopened all the same — new deadlines, every department notified afresh.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from models.lifecycle import Event, Lifecycle, Moved
from models.tickets import Ticket


class TicketState(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


MOVES: Mapping[TicketState, frozenset[TicketState]] = MappingProxyType(
    {
        TicketState.OPEN: frozenset({TicketState.RESOLVED, TicketState.OPEN}),  # every department done; 不满意
        TicketState.RESOLVED: frozenset({TicketState.OPEN}),  # 不满意
    }
)


def _stamps(target: TicketState, at: datetime) -> dict[str, Any]:
    return {"resolved_at": at if target is TicketState.RESOLVED else None}


LIFECYCLE: Lifecycle[TicketState] = Lifecycle(Ticket, "status", MOVES, _stamps)


async def move_ticket(
    ticket: Ticket,
    target: TicketState,
    at: datetime,
    *,
    event: Event | None = None,
    only_from: Collection[TicketState] | None = None,
    **changes: Any,
) -> Moved | None:
    """The one way a ticket's status changes (see `Lifecycle.move`); `resolved_at` is set on the way to
    resolved and cleared on the way back. None when the ticket was not (any more) in a state it may move from."""
    return await LIFECYCLE.move(ticket, target, at, event=event, only_from=only_from, **changes)
