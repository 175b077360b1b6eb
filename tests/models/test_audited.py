"""A row and its audit event written together (models/audited.py): on PostgreSQL in one statement, with the
number taken inside it and the event written only when the row was; on SQLite one by one, to the same rows."""

from __future__ import annotations

import pytest
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from bot.clock import ManualClock
from models import Request, Ticket, TicketEvent
from models.audited import insert_audited
from models.lifecycle import Event
from models.numbers import FIRST_NUMBER, next_number
from models.request_states import RequestState, move_request


@pytest.fixture
async def numbered(ticket: Ticket) -> int:
    """The series moved past the fixture's own #1001 and #1002: the next number given."""
    await next_number()
    await next_number()
    return FIRST_NUMBER + 2


def unsaved_request(clock: ManualClock, ticket: Ticket, text: str = "村口的路灯不亮了") -> Request:
    return Request(
        text=text,
        channel="app",
        area_id=ticket.township_id,
        primary="transport",
        created_at=clock.now(),
        updated_at=clock.now(),
    )


async def test_a_numbered_row_and_its_event_are_written_together(
    ticket: Ticket, numbered: int, clock: ManualClock, db: str, statements: list[str]
) -> None:
    request = unsaved_request(clock, ticket)
    event = TicketEvent(kind="recorded", at=clock.now(), data={"primary": "transport"})
    async with in_transaction():
        statements.clear()
        await insert_audited(request, event, link="request_id", numbered=True)
        sent = list(statements)
    assert request.number == numbered
    assert await next_number() == numbered + 1
    stored = await Request.get(id=request.id)
    assert (stored.number, stored.text, stored.status) == (numbered, "村口的路灯不亮了", "recorded")
    trail = await TicketEvent.get(id=event.id)
    assert (trail.request_id, trail.kind, trail.data) == (request.id, "recorded", {"primary": "transport"})
    # PostgreSQL: the number, the row and the event in one round trip; SQLite: three statements
    assert len(sent) == (3 if db.startswith("sqlite://") else 1)
    request.text = "村口的路灯不亮了，三天了"
    await request.save()  # the row comes back as saved: a later save updates it
    assert await Request.filter(text__startswith="村口").count() == 1


async def test_a_ticket_and_its_event_carry_the_ticket_and_its_request(
    ticket: Ticket, numbered: int, clock: ManualClock
) -> None:
    request = await Request.get(id=ticket.request_id)
    second = Ticket(request_id=request.id, township_id=ticket.township_id, created_at=clock.now())
    event = Event("whistled", request=request, data={"trigger": "command"}).row(clock.now())
    await insert_audited(second, event, link="ticket_id", numbered=True)
    trail = await TicketEvent.get(id=event.id)
    assert (trail.ticket_id, trail.request_id, second.number) == (second.id, request.id, numbered)


async def test_an_event_that_cannot_be_written_leaves_no_row(ticket: Ticket, numbered: int, clock: ManualClock) -> None:
    request = unsaved_request(clock, ticket)
    event = TicketEvent(kind="recorded", at=clock.now(), actor_id=99_999)  # no such person
    with pytest.raises(IntegrityError, match="actor_id|FOREIGN KEY"):
        async with in_transaction():
            await insert_audited(request, event, link="request_id", numbered=True)
    assert not await Request.filter(text="村口的路灯不亮了").exists()
    assert not await TicketEvent.filter(kind="recorded").exists()


async def test_a_move_and_its_event_in_one_statement_on_postgres_and_none_when_refused(
    ticket: Ticket, clock: ManualClock, db: str, statements: list[str]
) -> None:
    request = await Request.get(id=ticket.request_id)
    statements.clear()
    moved = await move_request(request, RequestState.KEPT_IN_GRID, clock.now(), event=Event("kept", request=request))
    assert moved and moved.event is not None and moved.event.id
    assert len(statements) == (2 if db.startswith("sqlite://") else 1)
    assert (await TicketEvent.get(id=moved.event.id)).kind == "kept"
    statements.clear()
    # at_village is reached only from recorded, which the request no longer is: refused, no event
    assert not await move_request(request, RequestState.AT_VILLAGE, clock.now(), event=Event("no", request=request))
    await Request.filter(id=request.id).update(status="whistled")
    assert not await move_request(
        request, RequestState.KEPT_IN_GRID, clock.now(), event=Event("no", request=request)
    )  # the table allows it from kept_in_grid, which the database no longer has
    assert not await TicketEvent.filter(kind="no").exists()
    assert request.status == "kept_in_grid"  # the refused moves left the row as it was read
