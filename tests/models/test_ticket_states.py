"""A ticket's status moves only as the table allows, and only through `move_ticket`, on the real database."""

from __future__ import annotations

from itertools import product

import pytest

from bot.clock import ManualClock
from models import Ticket, TicketEvent
from models.lifecycle import Event
from models.ticket_states import LIFECYCLE, MOVES, TicketState, move_ticket

# The lifecycle as the code lives it (see models/ticket_states.py); a change to the table changes this too.
ALLOWED = {
    "open": {"resolved", "open"},
    "resolved": {"open"},
}
EVERY_MOVE = list(product(TicketState, TicketState))


def test_the_states_are_the_strings_stored_before_the_enum() -> None:
    assert [s.value for s in TicketState] == list(ALLOWED)


def test_the_table_is_the_lifecycle_written_down() -> None:
    assert {s.value: {t.value for t in targets} for s, targets in MOVES.items()} == ALLOWED


@pytest.mark.parametrize(("source", "target"), EVERY_MOVE, ids=[f"{s}->{t}" for s, t in EVERY_MOVE])
async def test_every_move_is_made_or_refused_as_the_table_says(
    ticket: Ticket, clock: ManualClock, source: TicketState, target: TicketState
) -> None:
    allowed = target.value in ALLOWED[source.value]
    assert LIFECYCLE.allows(source, target) is allowed
    await Ticket.filter(id=ticket.id).update(status=source.value)
    ticket = await Ticket.get(id=ticket.id)
    at = clock.advance(minutes=5)

    moved = await move_ticket(ticket, target, at, event=Event("probe", ticket=ticket, data={"to": target.value}))

    assert bool(moved) is allowed
    assert (moved.event.kind if moved and moved.event else None) == ("probe" if allowed else None)
    stored = await Ticket.get(id=ticket.id)
    assert stored.status == ticket.status == (target if allowed else source)
    events = await TicketEvent.filter(ticket_id=ticket.id, kind="probe")
    # A ticket's event is on its request's trail too.
    assert [(e.at, e.data, e.request_id) for e in events] == (
        [(at, {"to": target.value}, ticket.request_id)] if allowed else []
    )


async def test_resolving_stamps_when_and_reopening_clears_it_with_new_deadlines(
    ticket: Ticket, clock: ManualClock
) -> None:
    resolved = clock.advance(hours=3)
    assert await move_ticket(ticket, TicketState.RESOLVED, resolved)
    assert (await Ticket.get(id=ticket.id)).resolved_at == resolved
    due = clock.advance(days=7)
    assert await move_ticket(ticket, TicketState.OPEN, clock.now(), resolve_due=due)
    stored = await Ticket.get(id=ticket.id)
    assert (stored.status, stored.resolved_at, stored.resolve_due) == ("open", None, due)
    assert (ticket.resolved_at, ticket.resolve_due) == (None, due)


async def test_two_departments_finishing_at_once_resolve_the_ticket_once(ticket: Ticket, clock: ManualClock) -> None:
    first, second = await Ticket.get(id=ticket.id), await Ticket.get(id=ticket.id)
    assert await move_ticket(first, TicketState.RESOLVED, clock.now(), event=Event("resolved", ticket=first))
    assert not await move_ticket(second, TicketState.RESOLVED, clock.now(), event=Event("resolved", ticket=second))
    assert await TicketEvent.filter(ticket_id=ticket.id, kind="resolved").count() == 1
