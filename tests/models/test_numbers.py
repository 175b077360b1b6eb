"""One county-wide number series from #1001, without duplicates under concurrency and without gaps."""

from __future__ import annotations

import asyncio

import pytest
from tortoise.transactions import in_transaction

from models import Counter
from models.numbers import FIRST_NUMBER, display, next_number


async def test_numbers_start_at_1001_and_count_up(db: str) -> None:
    assert [await next_number() for _ in range(3)] == [1001, 1002, 1003]
    assert display(1042) == "#1042"
    assert (await Counter.get(name="number")).value == 1003


async def test_a_rolled_back_caller_leaves_no_gap(db: str) -> None:
    assert await next_number() == FIRST_NUMBER
    with pytest.raises(RuntimeError):
        async with in_transaction():
            assert await next_number() == FIRST_NUMBER + 1
            raise RuntimeError("the request could not be stored")
    assert await next_number() == FIRST_NUMBER + 1


async def test_concurrent_callers_get_distinct_consecutive_numbers(db: str) -> None:
    async def caller() -> int:
        async with in_transaction():
            number = await next_number()
            await asyncio.sleep(0)  # let the others run while this transaction is still open
            return number

    numbers = await asyncio.gather(*(caller() for _ in range(40)))
    assert sorted(numbers) == list(range(FIRST_NUMBER, FIRST_NUMBER + 40))
