"""A large figure set shown again with its time (models/rate_snapshots.py): the same figures as counted then,
counted anew once old, never for a small set, one per question (a scope sees only its own), and the ticker
recounts the ones in use and forgets the rest."""

from __future__ import annotations

from datetime import timedelta

from models import Area, Department
from models.rate_counts import Visible, counted_rates
from models.rate_snapshots import Question, RateSnapshot, Reuse, reused_rates, tick
from tests.models.test_rate_counts import NOW, counted
from tests.models.test_rate_refresh import END, START, later_events, make_county

EVERYTHING = Question(START, END, ("all", "department"), None, None, ())
OFTEN = Reuse(seconds=60, parts=1)


def same(a: dict, b: dict) -> bool:
    return {g: counted(t) for g, t in a.items()} == {g: counted(t) for g, t in b.items()}


async def test_a_large_set_is_shown_again_with_its_time_until_it_is_old(db: str) -> None:
    await make_county(seed=21)
    first, as_of = await reused_rates(EVERYTHING, NOW, OFTEN)
    assert as_of is None and same(first, await counted_rates(START, END, NOW, groupings=("all", "department")))
    for event in await later_events():
        await event.save()  # counted live, the figures would change

    again, as_of = await reused_rates(EVERYTHING, NOW + timedelta(seconds=59), OFTEN)
    assert as_of == NOW and same(again, first)

    later = NOW + timedelta(seconds=60)
    fresh, as_of = await reused_rates(EVERYTHING, later, OFTEN)
    assert as_of is None and not same(fresh, first)
    assert same(fresh, await counted_rates(START, END, later, groupings=("all", "department")))
    assert (await RateSnapshot.get()).counted_at == later


async def test_a_small_set_or_no_reuse_is_always_counted_live(db: str) -> None:
    await make_county(seed=22)
    for reuse in (Reuse(seconds=60, parts=10**6), Reuse(seconds=0, parts=1), None):
        for _ in range(2):
            assert (await reused_rates(EVERYTHING, NOW, reuse))[1] is None
    assert not await RateSnapshot.exists()


async def test_each_scope_has_its_own_figures(db: str) -> None:
    await make_county(seed=23)
    township = await Area.get(code="t0")
    department = await Department.get(code="d1")
    narrow = Visible(frozenset({township.id}), frozenset({department.id}), frozenset())
    scoped = Question(START, END, ("all", "department"), narrow, None, ())
    await reused_rates(EVERYTHING, NOW, OFTEN)
    got, _ = await reused_rates(scoped, NOW, OFTEN)
    again, as_of = await reused_rates(scoped, NOW, OFTEN)
    assert as_of == NOW and await RateSnapshot.all().count() == 2
    live = await counted_rates(START, END, NOW, groupings=("all", "department"), visible=narrow)
    assert same(got, live) and same(again, live)
    assert not same(got, (await reused_rates(EVERYTHING, NOW, OFTEN))[0])


async def test_the_ticker_recounts_the_sets_in_use_and_forgets_the_rest(db: str) -> None:
    await make_county(seed=24)
    await reused_rates(EVERYTHING, NOW, OFTEN)
    for event in await later_events():
        await event.save()
    assert await tick(NOW + timedelta(seconds=20), OFTEN) == 0  # younger than half its age: left alone
    ticked = NOW + timedelta(seconds=40)
    assert await tick(ticked, OFTEN) == 1
    kept = await RateSnapshot.get()
    assert kept.counted_at == ticked and kept.asked_at == NOW  # recounting is not asking
    shown, as_of = await reused_rates(EVERYTHING, ticked + timedelta(seconds=30), OFTEN)
    assert as_of == ticked and same(shown, await counted_rates(START, END, ticked, groupings=("all", "department")))

    assert await tick(NOW + timedelta(hours=2), OFTEN) == 0  # not asked within the hour: no longer recounted
    await tick(NOW + timedelta(days=2), OFTEN)
    assert not await RateSnapshot.exists()
