"""A department's part moves only as the table allows, and only through `move_assignment`, on the real database."""

from __future__ import annotations

from datetime import timedelta
from itertools import product

import pytest

from bot.clock import ManualClock
from models import Assignment, Department, Person, Ticket, TicketEvent
from models.assignment_states import (
    ACTIVE_STATES,
    COUNTED_STATES,
    LEFT_STATES,
    LIFECYCLE,
    MOVES,
    AssignmentState,
    move_assignment,
)
from models.lifecycle import Event

# The lifecycle as the code lives it (see models/assignment_states.py); a change to the table changes this too.
ALLOWED = {
    "notified": {"notified", "on_duty", "returned", "withdrawn"},
    "on_duty": {"in_progress", "done", "returned", "withdrawn", "notified"},
    "in_progress": {"in_progress", "done", "returned", "withdrawn", "notified"},
    "done": {"withdrawn", "notified"},
    "returned": {"notified"},
    "withdrawn": {"notified"},
}
EVERY_MOVE = list(product(AssignmentState, AssignmentState))


@pytest.fixture
async def part(ticket: Ticket, clock: ManualClock) -> Assignment:
    department = await Department.get(code="transport")
    created = await Assignment.create(
        ticket=ticket, department=department, is_primary=True, notified_at=clock.now() - timedelta(days=1)
    )
    return await Assignment.get(id=created.id).prefetch_related("department")


def test_the_states_are_the_strings_stored_before_the_enum() -> None:
    assert [s.value for s in AssignmentState] == list(ALLOWED)


def test_the_table_is_the_lifecycle_written_down() -> None:
    assert {s.value: {t.value for t in targets} for s, targets in MOVES.items()} == ALLOWED


def test_the_named_groups_of_states() -> None:
    assert set(ACTIVE_STATES) == {"notified", "on_duty", "in_progress"}
    assert set(COUNTED_STATES) == {*ACTIVE_STATES, "done"} and set(LEFT_STATES) == {"returned", "withdrawn"}
    assert LIFECYCLE.sources(AssignmentState.RETURNED) == set(ACTIVE_STATES)  # 退单 while something is owed


@pytest.mark.parametrize(("source", "target"), EVERY_MOVE, ids=[f"{s}->{t}" for s, t in EVERY_MOVE])
async def test_every_move_is_made_or_refused_as_the_table_says(
    ticket: Ticket, part: Assignment, clock: ManualClock, source: AssignmentState, target: AssignmentState
) -> None:
    allowed = target.value in ALLOWED[source.value]
    assert LIFECYCLE.allows(source, target) is allowed
    await Assignment.filter(id=part.id).update(state=source.value)
    part = await Assignment.get(id=part.id).prefetch_related("department")
    actor = await Person.create(name="刘强", userid="liuqiang")
    at = clock.advance(minutes=5)

    moved = await move_assignment(
        part,
        target,
        at,
        event=Event(
            "probe", ticket=ticket, department=part.department, actor=actor, reason="why", data={"to": target.value}
        ),
    )

    assert bool(moved) is allowed
    assert (moved.event.kind if moved and moved.event else None) == ("probe" if allowed else None)
    stored = await Assignment.get(id=part.id)
    assert stored.state == part.state == (target if allowed else source)
    events = await TicketEvent.filter(ticket_id=ticket.id, kind="probe")
    assert [(e.at, e.department_id, e.actor_id, e.request_id, e.reason, e.data) for e in events] == (
        [(at, part.department.id, actor.id, ticket.request_id, "why", {"to": target.value})] if allowed else []
    )


async def test_the_clocks_each_move_starts_and_clears(part: Assignment, ticket: Ticket, clock: ManualClock) -> None:
    signed = clock.advance(minutes=20)
    assert await move_assignment(part, AssignmentState.ON_DUTY, signed)
    assert await move_assignment(part, AssignmentState.IN_PROGRESS, clock.advance(hours=1))
    done = clock.advance(hours=1)
    assert await move_assignment(part, AssignmentState.DONE, done)
    stored = await Assignment.get(id=part.id)
    assert (stored.on_duty_at, stored.done_at) == (signed, done)
    again = clock.advance(days=1)  # reopened: notified afresh, marked 督办
    assert await move_assignment(part, AssignmentState.NOTIFIED, again, urged=True)
    stored = await Assignment.get(id=part.id)
    assert (stored.state, stored.notified_at, stored.on_duty_at, stored.done_at, stored.urged) == (
        "notified",
        again,
        None,
        None,
        True,
    )
    assert (part.notified_at, part.on_duty_at, part.done_at, part.urged) == (again, None, None, True)


async def test_handing_back_keeps_the_reason_and_leaves_the_clocks(part: Assignment, clock: ManualClock) -> None:
    notified_at = part.notified_at
    assert await move_assignment(part, AssignmentState.RETURNED, clock.now(), returned_reason="不归我们管")
    stored = await Assignment.get(id=part.id)
    assert (stored.state, stored.returned_reason, stored.notified_at) == ("returned", "不归我们管", notified_at)


async def test_only_from_narrows_the_table_for_a_stricter_rule(part: Assignment, clock: ManualClock) -> None:
    # 改派 and 吹哨 notify afresh only a department that left; the table also lets 不满意 re-notify a working one.
    assert not await move_assignment(part, AssignmentState.NOTIFIED, clock.now(), only_from=LEFT_STATES)
    assert await move_assignment(part, AssignmentState.NOTIFIED, clock.now(), only_from=COUNTED_STATES)


async def test_two_clicks_on_one_card_sign_once(part: Assignment, ticket: Ticket, clock: ManualClock) -> None:
    first, second = await Assignment.get(id=part.id), await Assignment.get(id=part.id)
    signed = Event("on_duty", ticket=ticket)
    assert await move_assignment(first, AssignmentState.ON_DUTY, clock.now(), event=signed)
    assert not await move_assignment(second, AssignmentState.ON_DUTY, clock.now(), event=signed)
    assert await TicketEvent.filter(ticket_id=ticket.id, kind="on_duty").count() == 1


async def test_filters_take_the_named_groups(part: Assignment) -> None:
    assert await Assignment.filter(state__in=ACTIVE_STATES).count() == 1
    assert await Assignment.filter(state__in=LEFT_STATES).count() == 0
    assert part.state in ACTIVE_STATES and part.state == AssignmentState.NOTIFIED
