"""One county-wide number series from #1001, without duplicates under concurrency. On SQLite a rolled-back
caller leaves no gap; on PostgreSQL numbers come from a sequence, so callers never wait for each other."""

from __future__ import annotations

import asyncio

import pytest
from tortoise.transactions import in_transaction

from models import Counter
from models.numbers import FIRST_NUMBER, display, next_number


async def test_numbers_start_at_1001_and_count_up(db: str) -> None:
    assert [await next_number() for _ in range(3)] == [1001, 1002, 1003]
    assert display(1042) == "#1042"
    if db.startswith("sqlite://"):
        assert (await Counter.get(name="number")).value == 1003
    else:
        assert not await Counter.filter(name="number").exists()  # the sequence holds it (migration 0017)


async def test_a_rolled_back_caller_leaves_no_gap_on_sqlite_and_its_number_unused_on_postgres(db: str) -> None:
    assert await next_number() == FIRST_NUMBER
    with pytest.raises(RuntimeError):
        async with in_transaction():
            assert await next_number() == FIRST_NUMBER + 1
            raise RuntimeError("the request could not be stored")
    expected = FIRST_NUMBER + 1 if db.startswith("sqlite://") else FIRST_NUMBER + 2
    assert await next_number() == expected


async def test_concurrent_callers_get_distinct_consecutive_numbers(db: str) -> None:
    async def caller() -> int:
        async with in_transaction():
            number = await next_number()
            await asyncio.sleep(0)  # let the others run while this transaction is still open
            return number

    numbers = await asyncio.gather(*(caller() for _ in range(40)))
    assert sorted(numbers) == list(range(FIRST_NUMBER, FIRST_NUMBER + 40))


async def test_on_postgres_a_caller_does_not_wait_for_an_open_transaction_holding_a_number(db: str) -> None:
    if db.startswith("sqlite://"):
        pytest.skip("SQLite runs one writer at a time")
    holding, release = asyncio.Event(), asyncio.Event()

    async def first() -> int:
        async with in_transaction():
            number = await next_number()
            holding.set()
            await release.wait()  # still open while the second caller asks
            return number

    held = asyncio.create_task(first())
    await holding.wait()
    async with in_transaction():
        # With the counter row locked to the end of `first`'s transaction this would never finish: the
        # wait_for turns that hang into a failure instead.
        second = await asyncio.wait_for(next_number(), timeout=30)
    release.set()
    assert (await held, second) == (FIRST_NUMBER, FIRST_NUMBER + 1)
