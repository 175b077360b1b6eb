"""The rates counted by the database (models/rate_counts.py) against the definition walked in Python
(models/ticket_metrics.py) on a generated county: parts signed late or never, finished late or never, handed
back, taken away, notified again (改派 back, 不满意 reopening), several departments on one ticket, ratings in
events (satisfaction, rating, reason) and in the request's field, rated again; every grouping and scope."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

import pytest

from bot.clock import SHANGHAI
from models import Area, Department, Request, Ticket, TicketEvent
from models.rate_counts import CountedRates, Visible, counted_rates
from models.ticket_metrics import Episode, Rates, episodes_between, ratings_of

NOW = datetime(2026, 11, 16, 9, 0, 0, 123456, tzinfo=SHANGHAI)
RATINGS = ("satisfied", "basically_satisfied", "unsatisfied", "very_unsatisfied")


async def make_county(seed: int, requests: int = 260) -> None:
    rng = random.Random(seed)
    county = await Area.create(code="c", name="县", level="county")
    grids: list[tuple[int, int]] = []  # (grid id, township id)
    for t in range(2):
        township = await Area.create(code=f"t{t}", name=f"{t}乡", level="township", parent_id=county.id)
        for v in range(3):
            village = await Area.create(code=f"t{t}v{v}", name=f"{t}乡{v}村", level="village", parent_id=township.id)
            for g in range(2):
                grid = await Area.create(code=f"t{t}v{v}g{g}", name=f"{g}网格", level="grid", parent_id=village.id)
                grids.append((grid.id, township.id))
    departments = [(await Department.create(code=f"d{d}", name=f"{d}局")).id for d in range(5)]
    events: list[TicketEvent] = []
    for n in range(1, requests + 1):
        created = NOW - timedelta(seconds=rng.uniform(0, 120 * 86400))
        grid_id, township_id = rng.choice(grids)
        satisfaction = rng.choice((None, None, *RATINGS))
        request = await Request.create(
            number=n, text="路灯坏了", channel="relay", area_id=grid_id, status="whistled", primary="d0",
            urgency="normal", created_at=created, updated_at=created, satisfaction=satisfaction,
        )  # fmt: skip
        if rng.random() < 0.2:
            continue  # kept in the grid: no ticket
        ticket = await Ticket.create(
            number=10000 + n, request_id=request.id, township_id=township_id, urgency="normal", status="open",
            created_at=created, respond_due=created + timedelta(hours=24), resolve_due=created + timedelta(days=7),
        )  # fmt: skip
        at = created
        for department_id in rng.sample(departments, rng.choice((1, 1, 1, 2, 3))):
            for _ in range(rng.choice((1, 1, 1, 2))):  # a second `notified`: a new part of the same department
                at += timedelta(minutes=rng.choice((0, 1, 30, 600)))
                respond_due = at + timedelta(hours=rng.choice((1, 24)))
                resolve_due = at + timedelta(days=rng.choice((1, 7)))
                common = {"ticket_id": ticket.id, "request_id": request.id, "department_id": department_id}
                if at > NOW:
                    break
                events.append(
                    TicketEvent(
                        **common, kind="notified", at=at,
                        data={"respond_due": respond_due.isoformat(), "resolve_due": resolve_due.isoformat()},
                    )
                )  # fmt: skip
                later = at
                for kind in rng.choice(
                    (
                        ("on_duty", "done"),
                        ("on_duty", "done"),
                        ("on_duty",),
                        (),
                        ("returned",),
                        ("on_duty", "withdrawn"),
                        ("on_duty", "returned", "on_duty", "done"),
                        ("withdrawn", "returned"),
                        ("returned", "withdrawn", "returned"),
                        ("withdrawn", "returned", "withdrawn"),
                        ("on_duty", "on_duty", "done", "done"),
                    )
                ):
                    later += timedelta(
                        hours=rng.choice((0, 0.5, 1, 2, 23, 24, 30, 168, 200))
                    )  # 1, 24, 168: on the deadline
                    if later <= NOW:
                        events.append(TicketEvent(**common, kind=kind, at=later))
                if rng.random() < 0.4 and later <= NOW:
                    rating = rng.choice(RATINGS)
                    data: dict[str, Any] = rng.choice(({"satisfaction": rating}, {"rating": rating}, {}))
                    reason = rating if not data else rng.choice(("", "还行"))
                    events.append(TicketEvent(request_id=request.id, kind="rated", data=data, reason=reason, at=later))
                at = later
    await TicketEvent.bulk_create(events)


def as_tuple(rates: Rates | None) -> tuple[Any, ...]:
    if rates is None:
        return ()
    hours = (
        None if rates.avg_respond_hours is None else round(rates.avg_respond_hours, 6),
        None if rates.avg_done_hours is None else round(rates.avg_done_hours, 6),
    )
    return (
        rates.ticket_count, rates.episodes, rates.returned, rates.respond_judged, rates.responded_on_time,
        rates.resolve_judged, rates.done, rates.done_on_time, rates.ongoing, rates.rated, rates.satisfied, hours,
    )  # fmt: skip


async def walked(
    start: datetime, end: datetime, key: Any, keep: Any = lambda e, area: True
) -> dict[Any, tuple[Any, ...]]:
    """The Python walk of ticket_metrics, grouped by `key(episode, request area)`, a rating once per group."""
    episodes: list[Episode] = await episodes_between(start, end)
    areas = dict(await Request.all().values_list("id", "area_id"))
    kept = [e for e in episodes if e.ended != "withdrawn" and keep(e, areas[e.request_id])]
    ratings = await ratings_of({e.request_id for e in kept})
    table: dict[Any, Rates] = {}
    rated: set[tuple[Any, int]] = set()
    for episode in kept:
        group = key(episode, areas[episode.request_id])
        rates = table.setdefault(group, Rates(""))
        rates.add(episode, NOW)
        if episode.request_id in ratings and (group, episode.request_id) not in rated:
            rated.add((group, episode.request_id))
            rates.add_rating(ratings[episode.request_id])
    return {k: as_tuple(v) for k, v in table.items()}


def counted(table: dict[int, CountedRates]) -> dict[Any, tuple[Any, ...]]:
    return {k: as_tuple(v) for k, v in table.items()}


@pytest.mark.parametrize("days", [7, 30, 120])
async def test_every_grouping_counts_as_the_walk_does(db: str, days: int) -> None:
    await make_county(seed=days)
    start, end = NOW - timedelta(days=days), NOW.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    slices = [start + (end - start) / 7 * i for i in range(7)]
    got = await counted_rates(start, end, NOW, slices=slices)
    overall = got["all"][0]
    assert overall.episodes > 20 and overall.returned > 0 and overall.ongoing > 0  # every case is in the data
    assert counted(got["all"]) == await walked(start, end, lambda e, a: 0)
    assert counted(got["department"]) == await walked(start, end, lambda e, a: e.department_id)
    assert counted(got["township"]) == await walked(start, end, lambda e, a: e.township_id)
    assert counted(got["area"]) == await walked(start, end, lambda e, a: a)
    width = (end - start) / 7
    assert counted(got["slice"]) == await walked(start, end, lambda e, a: min(int((e.notified_at - start) / width), 6))


async def test_a_scope_keeps_the_parts_the_walk_keeps(db: str) -> None:
    await make_county(seed=3)
    start, end = NOW - timedelta(days=60), NOW
    township = await Area.get(code="t1")
    department = await Department.get(code="d2")
    grids = set(await Area.filter(code__startswith="t0v1g").values_list("id", flat=True))
    visible = Visible(frozenset({township.id}), frozenset({department.id}), frozenset(grids))
    got = await counted_rates(start, end, NOW, groupings=("department",), visible=visible)

    def seen(e: Episode, area: int) -> bool:
        return e.township_id == township.id or e.department_id == department.id or area in grids

    expected = await walked(start, end, lambda e, a: e.department_id, seen)
    assert counted(got["department"]) == expected
    assert len(expected) == 5  # the department's parts in other townships, all departments in the township

    only_township = await counted_rates(start, end, NOW, groupings=("all",), township_id=township.id)
    assert counted(only_township["all"]) == await walked(
        start, end, lambda e, a: 0, lambda e, a: e.township_id == township.id
    )


async def test_nothing_in_the_period_is_nothing_judged(db: str) -> None:
    await make_county(seed=5, requests=20)
    got = await counted_rates(NOW + timedelta(days=1), NOW + timedelta(days=2), NOW, groupings=("all", "department"))
    assert got["department"] == {}
    assert got["all"][0].episodes == 0 and got["all"][0].response_rate is None
