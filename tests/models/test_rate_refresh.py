"""The rates' working copy of the trail (models/rate_parts.py, models/rate_refresh.py): a refresh reads only the
events not read yet, the rates then agree with the walk of ticket_metrics again, an id that commits after a
higher one is still read, and two refreshes at once count nothing twice."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from models import Department, Request, Ticket, TicketEvent
from models.rate_counts import counted_rates
from models.rate_parts import RateMark, RatePart, RateRating
from models.rate_refresh import GAP_SECONDS, refresh
from tests.models.test_rate_counts import NOW, counted, make_county, walked

START, END = NOW - timedelta(days=120), NOW + timedelta(days=1)


async def agrees_with_the_walk() -> None:
    got = await counted_rates(START, END, NOW)
    assert counted(got["all"]) == await walked(START, END, lambda e, a: 0)
    assert counted(got["department"]) == await walked(START, END, lambda e, a: e.department_id)
    assert counted(got["area"]) == await walked(START, END, lambda e, a: a)


async def later_events(offset: int = 0, first_id: int | None = None) -> list[TicketEvent]:
    """A second department notified on a ticket and signed late, and the request rated; ids from `first_id`."""
    ticket = await Ticket.all().order_by("id").offset(offset).first()
    assert ticket is not None
    department = await Department.filter(code="d4").first()
    assert department is not None
    at = NOW - timedelta(days=3)
    due = {"respond_due": (at + timedelta(hours=1)).isoformat(), "resolve_due": (at + timedelta(days=1)).isoformat()}
    common = {"ticket_id": ticket.id, "request_id": ticket.request_id, "department_id": department.id}
    ids = [{"id": first_id + n} if first_id else {} for n in range(3)]
    return [
        TicketEvent(**ids[0], **common, kind="notified", data=due, at=at),
        TicketEvent(**ids[1], **common, kind="on_duty", at=at + timedelta(hours=2)),
        TicketEvent(**ids[2], request_id=ticket.request_id, kind="rated", data={"satisfaction": "unsatisfied"}, at=NOW),
    ]


async def test_a_refresh_reads_what_is_new_and_the_rates_follow(db: str) -> None:
    await make_county(seed=11)
    before = counted((await counted_rates(START, END, NOW))["all"])
    read = await RateMark.get(id=1)
    assert read.seen_id == max(await TicketEvent.all().values_list("id", flat=True))
    assert await refresh(NOW) == 0  # nothing new: nothing read, nothing locked
    parts = await RatePart.all().count()

    for event in await later_events():
        await event.save()
    assert await refresh(NOW) == 3
    assert await RatePart.all().count() == parts + 1
    assert await RateRating.filter(rating="unsatisfied").exists()
    assert counted((await counted_rates(START, END, NOW))["all"]) != before
    await agrees_with_the_walk()


async def test_an_id_that_commits_after_a_higher_one_is_still_read(db: str) -> None:
    await make_county(seed=12, requests=80)
    await refresh(NOW)
    newest = (await RateMark.get(id=1)).seen_id
    # ids as two transactions could take them: the higher ones commit (and are read) first
    early, late, rating = await later_events(first_id=newest + 10)
    await late.save()
    await rating.save()
    assert await refresh(NOW) == 2
    mark = await RateMark.get(id=1)
    assert mark.seen_id == newest + 12 and [gap[0] for gap in mark.gaps] == list(range(newest + 1, newest + 11))
    await early.save()
    assert await refresh(NOW + timedelta(minutes=1)) == 1
    assert [gap[0] for gap in (await RateMark.get(id=1)).gaps] == list(range(newest + 1, newest + 10))
    await agrees_with_the_walk()

    # the other nine never come (rolled back): forgotten once they are an hour old
    request = await Request.all().first()
    assert request is not None
    await TicketEvent.create(id=newest + 13, request_id=request.id, kind="urged", at=NOW)
    assert await refresh(NOW + timedelta(seconds=GAP_SECONDS + 1)) == 1
    assert (await RateMark.get(id=1)).gaps == []


async def test_refreshes_at_once_count_nothing_twice(db: str) -> None:
    await make_county(seed=13)
    events = await TicketEvent.all().count()
    read = await asyncio.gather(refresh(NOW), refresh(NOW), refresh(NOW))
    assert sorted(read) == [0, 0, events]  # one read them all; the others found nothing left
    for event in await later_events(offset=5):
        await event.save()
    read = await asyncio.gather(refresh(NOW), refresh(NOW))
    assert sorted(read) == [0, 3]
    await agrees_with_the_walk()
