"""Writes of one moment done by one call (bot/gathered.py): each caller gets its own result, a later caller the
next call, and a failed call fails each of its callers — none of them is told it was written."""

from __future__ import annotations

import asyncio

import pytest

from bot.gathered import Gathered


async def test_the_callers_of_one_moment_share_a_call_and_each_gets_its_own_result() -> None:
    calls: list[list[int]] = []

    async def write(items: list[int]) -> list[int]:
        calls.append(items)
        await asyncio.sleep(0)
        return [item * 10 for item in items]

    gathered: Gathered[int, int] = Gathered(write, "test")
    assert await asyncio.gather(*(gathered(n) for n in range(4))) == [0, 10, 20, 30]
    assert await gathered(7) == 70
    assert calls == [[0, 1, 2, 3], [7]] and gathered.calls == 2


async def test_a_failed_call_fails_each_of_its_callers_and_the_next_moment_is_written() -> None:
    async def write(items: list[str]) -> list[str]:
        if "bad" in items:
            raise RuntimeError("the database went away")
        return items

    gathered: Gathered[str, str] = Gathered(write, "test")
    results = await asyncio.gather(gathered("a"), gathered("bad"), return_exceptions=True)
    assert [type(r) for r in results] == [RuntimeError, RuntimeError] and gathered.calls == 0
    assert await gathered("c") == "c"
    with pytest.raises(RuntimeError):
        await gathered("bad")
