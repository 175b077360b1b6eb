"""A request's status moves only as the table allows, and only through `move_request`, on the real database."""

from __future__ import annotations

from itertools import product

import pytest

from bot.clock import ManualClock
from models import Request, Ticket, TicketEvent
from models.lifecycle import Event
from models.request_states import (
    FINISHED,
    HANDLED_BY_VILLAGE,
    LIFECYCLE,
    MOVES,
    OPEN_STATES,
    RATEABLE_STATES,
    STILL_BEING_SAID,
    WHISTLEABLE,
    RequestState,
    move_request,
)

# The lifecycle as the code lives it (see models/request_states.py); a change to the table changes this too.
ALLOWED = {
    "recorded": {"kept_in_grid", "whistled", "resolved", "reopened", "at_village", "claimed", "answered"},
    "kept_in_grid": {"recorded", "whistled", "resolved", "claimed"},
    "whistled": {"resolved"},
    "resolved": {"closed", "reopened", "kept_in_grid"},
    "closed": {"reopened", "kept_in_grid"},
    "reopened": {"resolved", "kept_in_grid", "claimed"},
    "answered": {"closed", "recorded"},
    "at_village": {"recorded", "whistled", "resolved", "kept_in_grid"},
    "claimed": {"resolved", "kept_in_grid"},
}
EVERY_MOVE = list(product(RequestState, RequestState))


def test_the_states_are_the_strings_stored_before_the_enum() -> None:
    assert [s.value for s in RequestState] == list(ALLOWED)


def test_the_table_is_the_lifecycle_written_down() -> None:
    assert {s.value: {t.value for t in targets} for s, targets in MOVES.items()} == ALLOWED


def test_the_named_groups_of_states() -> None:
    assert set(WHISTLEABLE) == LIFECYCLE.sources(RequestState.WHISTLED)  # blow() claims from exactly these
    assert set(OPEN_STATES) == {"recorded", "kept_in_grid", "whistled", "reopened", "at_village", "claimed"}
    assert set(RATEABLE_STATES) == {"resolved"} and set(FINISHED) == {"resolved", "closed"}
    assert set(STILL_BEING_SAID) == {"recorded", "kept_in_grid", "at_village"}
    assert set(HANDLED_BY_VILLAGE) == {"kept_in_grid", "at_village"}


@pytest.mark.parametrize(("source", "target"), EVERY_MOVE, ids=[f"{s}->{t}" for s, t in EVERY_MOVE])
async def test_every_move_is_made_or_refused_as_the_table_says(
    ticket: Ticket, clock: ManualClock, source: RequestState, target: RequestState
) -> None:
    allowed = target.value in ALLOWED[source.value]
    assert LIFECYCLE.allows(source, target) is allowed
    await Request.filter(id=ticket.request_id).update(status=source.value)
    request = await Request.get(id=ticket.request_id)
    at = clock.advance(minutes=5)

    moved = await move_request(
        request, target, at, event=Event("probe", request=request, reason="why", data={"to": target.value})
    )

    assert bool(moved) is allowed
    assert (moved.event.kind if moved and moved.event else None) == ("probe" if allowed else None)
    stored = await Request.get(id=request.id)
    assert stored.status == request.status == (target if allowed else source)
    events = await TicketEvent.filter(request_id=request.id, kind="probe")
    assert [(e.at, e.reason, e.data, e.ticket_id) for e in events] == (
        [(at, "why", {"to": target.value}, None)] if allowed else []
    )
    assert (stored.updated_at == at) is allowed


async def test_moving_to_resolved_stamps_when_and_writes_the_changes_with_it(
    ticket: Ticket, clock: ManualClock
) -> None:
    request = await Request.get(id=ticket.request_id)
    await move_request(request, RequestState.WHISTLED, clock.now())
    at = clock.advance(hours=2)
    assert await move_request(request, RequestState.RESOLVED, at, satisfaction="satisfied")
    stored = await Request.get(id=request.id)
    assert (stored.status, stored.resolved_at, stored.updated_at, stored.satisfaction) == (
        "resolved",
        at,
        at,
        "satisfied",
    )
    assert (request.resolved_at, request.satisfaction) == (at, "satisfied")


async def test_only_from_narrows_the_table_for_a_stricter_rule(ticket: Ticket, clock: ManualClock) -> None:
    request = await Request.get(id=ticket.request_id)  # recorded: the table lets it follow a reopened request
    finished_only = (RequestState.RESOLVED, RequestState.CLOSED)
    assert not await move_request(request, RequestState.REOPENED, clock.now(), only_from=finished_only)
    assert (await Request.get(id=request.id)).status == "recorded"
    assert await move_request(request, RequestState.REOPENED, clock.now(), only_from=[RequestState.RECORDED])


async def test_two_paths_racing_to_whistle_move_the_request_once(ticket: Ticket, clock: ManualClock) -> None:
    first, second = await Request.get(id=ticket.request_id), await Request.get(id=ticket.request_id)
    whistled = Event("claimed", request=first)
    assert await move_request(first, RequestState.WHISTLED, clock.now(), event=whistled)
    # The second path still sees `recorded` in memory; the database decides, and says no.
    assert not await move_request(second, RequestState.WHISTLED, clock.now(), event=whistled)
    assert second.status == "recorded"
    assert await TicketEvent.filter(request_id=first.id, kind="claimed").count() == 1


async def test_a_status_read_back_compares_with_the_enum_and_filters_take_it(
    ticket: Ticket, clock: ManualClock
) -> None:
    request = await Request.get(id=ticket.request_id)
    assert request.status == RequestState.RECORDED and request.status in STILL_BEING_SAID
    assert [r.id for r in await Request.filter(status__in=OPEN_STATES)] == [request.id]
    assert await Request.filter(status=RequestState.RECORDED).count() == 1
    await move_request(request, RequestState.KEPT_IN_GRID, clock.now())
    assert f"requests.status_name.{request.status}" == "requests.status_name.kept_in_grid"
    assert await Request.filter(status__in=HANDLED_BY_VILLAGE).count() == 1
