"""advisory_lock serialises start-up work across processes on PostgreSQL and is a no-op on SQLite."""

from __future__ import annotations

import asyncio

from models.locks import advisory_lock, lock_key


def test_lock_keys_are_stable_signed_64_bit() -> None:
    key = lock_key("gridwhistle.migrate")
    assert key == lock_key("gridwhistle.migrate") != lock_key("gridwhistle.org-load")
    assert -(2**63) <= key < 2**63


async def test_holders_take_turns(db: str) -> None:
    order: list[str] = []
    first_in = asyncio.Event()
    release_first = asyncio.Event()

    async def first() -> None:
        async with advisory_lock("gridwhistle.test"):  # the ORM's database, as the org load uses it
            order.append("first in")
            first_in.set()
            await release_first.wait()
            order.append("first out")

    async def second() -> None:
        await first_in.wait()
        async with advisory_lock("gridwhistle.test", db):  # an explicit URL, as upgrade uses it
            order.append("second in")

    holders = [asyncio.create_task(first()), asyncio.create_task(second())]
    await first_in.wait()
    for _ in range(20):  # give the second holder every chance to (wrongly) get in
        await asyncio.sleep(0)
    release_first.set()
    await asyncio.gather(*holders)
    # On PostgreSQL the second waits for the first; on SQLite (one process) there is nothing to wait for.
    assert order[0] == "first in" and set(order) == {"first in", "first out", "second in"}
    if db.startswith("postgres"):
        assert order == ["first in", "first out", "second in"]


async def test_the_lock_is_released_when_the_block_fails(db: str) -> None:
    try:
        async with advisory_lock("gridwhistle.test"):
            raise RuntimeError("org file is broken")
    except RuntimeError:
        pass
    async with asyncio.timeout(10):  # would wait forever if the failed holder kept it
        async with advisory_lock("gridwhistle.test", db):
            pass
