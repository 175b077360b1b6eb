"""Ticket events are the audit trail: appended, never edited or deleted, by the ORM or by raw SQL."""

from __future__ import annotations

import pytest
from tortoise import Tortoise
from tortoise.exceptions import IntegrityError
from tortoise.queryset import QuerySet

from bot.clock import ManualClock
from models import AppendOnlyError, Ticket, TicketEvent


@pytest.fixture
async def event(ticket: Ticket, clock: ManualClock) -> TicketEvent:
    return await TicketEvent.create(ticket=ticket, kind="whistled", reason="路冲坏了", at=clock.now())


async def test_events_are_appended_and_read_back(event: TicketEvent, ticket: Ticket, clock: ManualClock) -> None:
    await TicketEvent.create(ticket=ticket, kind="on_duty", at=clock.advance(minutes=20))
    kinds = [e.kind for e in await TicketEvent.filter(ticket=ticket).order_by("at")]
    assert kinds == ["whistled", "on_duty"]
    assert [e.kind for e in await ticket.events.all().order_by("id")] == kinds


async def test_saving_an_existing_event_is_refused(event: TicketEvent) -> None:
    event.reason = "改写"
    with pytest.raises(AppendOnlyError):
        await event.save()
    with pytest.raises(AppendOnlyError):
        await event.update_from_dict({"kind": "done"}).save(update_fields=["kind"])
    assert (await TicketEvent.get(id=event.id)).reason == "路冲坏了"


async def test_deleting_an_event_is_refused(event: TicketEvent) -> None:
    with pytest.raises(AppendOnlyError):
        await event.delete()
    assert await TicketEvent.filter(id=event.id).exists()


@pytest.mark.parametrize(
    "change",
    [
        lambda: TicketEvent.filter(kind="whistled").update(reason="x"),
        lambda: TicketEvent.all().delete(),
        lambda: TicketEvent.filter(kind="whistled").delete(),
        lambda: TicketEvent.all().select_for_update().update(reason="x"),
        lambda: TicketEvent.all_objects.filter(kind="whistled").update(reason="x"),
        lambda: TicketEvent.bulk_update([], fields=["reason"]),
    ],
    ids=["filter-update", "all-delete", "filter-delete", "for-update-update", "all_objects", "bulk_update"],
)
async def test_queryset_changes_are_refused(event: TicketEvent, change) -> None:
    with pytest.raises(AppendOnlyError):
        await change()
    assert (await TicketEvent.get(id=event.id)).reason == "路冲坏了"


async def test_changes_through_the_reverse_relation_are_refused(event: TicketEvent, ticket: Ticket) -> None:
    with pytest.raises(AppendOnlyError):
        await ticket.events.filter(kind="whistled").update(reason="x")
    with pytest.raises(AppendOnlyError):
        await ticket.events.all().delete()


async def test_the_database_refuses_what_slips_past_the_model(event: TicketEvent) -> None:
    # A plain QuerySet, as code that went around the model would build: the trigger still stops it.
    with pytest.raises(IntegrityError, match="append-only"):
        await QuerySet(TicketEvent).filter(id=event.id).update(reason="x")
    with pytest.raises(IntegrityError, match="append-only"):
        await QuerySet(TicketEvent).filter(id=event.id).delete()


@pytest.mark.parametrize(
    "sql",
    ["UPDATE ticket_event SET reason = 'x'", "DELETE FROM ticket_event"],
    ids=["update", "delete"],
)
async def test_raw_sql_cannot_edit_or_delete_events(event: TicketEvent, sql: str) -> None:
    with pytest.raises(IntegrityError, match="append-only"):
        await Tortoise.get_connection("default").execute_script(sql)
    assert (await TicketEvent.get(id=event.id)).reason == "路冲坏了"


async def test_postgres_refuses_truncate(event: TicketEvent, test_db_backend: str) -> None:
    if test_db_backend != "postgres":
        pytest.skip("TRUNCATE is PostgreSQL's")
    # event_redaction refers to the events, so a TRUNCATE must name it too; the trigger still refuses.
    with pytest.raises(IntegrityError, match="append-only"):
        await Tortoise.get_connection("default").execute_script("TRUNCATE ticket_event, event_redaction")
