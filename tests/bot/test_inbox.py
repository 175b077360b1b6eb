"""The inbox worker (bot/inbox.py) with the real dispatcher: rows a stopped process left pending are handled at
the next start in arrival order, each row once, and a row that cannot be handled is parked, not retried for ever."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest
from tortoise.transactions import in_transaction

from bot.channels.types import Inbound
from bot.clock import ManualClock
from bot.dispatch import Dispatcher
from bot.inbox import MAX_ATTEMPTS, InboxWorker, record
from handlers.core.context import Context, Services
from handlers.core.router import Router
from handlers.features import routers
from models import InboxMessage, OutboxMessage


@pytest.fixture
def seen() -> list[str]:
    return []


@pytest.fixture
def probe_dispatcher(county: None, services: Services, seen: list[str]) -> Dispatcher:
    """The real dispatcher with a first feature that takes every text and notes its message id."""
    probe = Router("probe")

    @probe.text()
    async def note(ctx: Context) -> None:
        seen.append(ctx.inbound.message_id)
        ctx.reply_text(f"收到 {ctx.inbound.message_id}")

    return Dispatcher(services, [probe, *routers()])


def message(clock: ManualClock, message_id: str, sender: str = "jiangdahai") -> Inbound:
    return Inbound(
        channel="app",
        message_id=message_id,
        sender=sender,
        conversation="",
        kind="text",
        text="三屯那个桥塌了一半",
        received_at=clock.now(),
    )


async def test_a_message_is_stored_once_per_channel_and_key(db: str, clock: ManualClock) -> None:
    first = await record(message(clock, "m1"), "m1")
    assert first is not None
    assert await record(message(clock, "m1"), "m1") is None  # WeCom retried the callback
    other = await record(dataclasses.replace(message(clock, "m1"), channel="kf"), "m1")
    assert other is not None and other != first
    assert await InboxMessage.all().count() == 2


async def test_rows_left_pending_are_handled_at_the_next_start_in_arrival_order(
    probe_dispatcher: Dispatcher, clock: ManualClock, seen: list[str]
) -> None:
    for message_id in ("m1", "m2", "m3"):  # stored by a process that stopped before handling them
        await record(message(clock, message_id), message_id)
    worker = InboxWorker(probe_dispatcher.process, clock)
    worker.start()
    try:
        await worker.until_idle()
    finally:
        await worker.stop()
    assert seen == ["m1", "m2", "m3"] and worker.processed == 3
    assert [row.payload["text"] for row in await OutboxMessage.all().order_by("id")] == [
        "收到 m1",
        "收到 m2",
        "收到 m3",
    ]
    assert {row.status for row in await InboxMessage.all()} == {"done"}


async def test_two_workers_on_one_database_handle_each_row_once(
    probe_dispatcher: Dispatcher, clock: ManualClock, seen: list[str]
) -> None:
    ids = [f"m{n}" for n in range(6)]
    for message_id in ids:
        await record(message(clock, message_id), message_id)
    workers = [InboxWorker(probe_dispatcher.process, clock) for _ in range(2)]  # two processes
    for worker in workers:
        worker.start()
    try:
        for worker in workers:
            await worker.until_idle()
    finally:
        for worker in workers:
            await worker.stop()
    assert sorted(seen) == ids
    assert await OutboxMessage.all().count() == len(ids)


async def test_a_row_that_cannot_be_handled_is_retried_then_parked_and_the_others_go_on(
    probe_dispatcher: Dispatcher, clock: ManualClock, seen: list[str]
) -> None:
    await record(message(clock, "m1"), "m1")
    broken = await InboxMessage.create(
        channel="app", message_key="broken", payload={"kind": "text"}, received_at=clock.now()
    )  # no longer readable as an Inbound
    await record(message(clock, "m2"), "m2")
    worker = InboxWorker(probe_dispatcher.process, clock)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert await worker.drain() == (2 if attempt == 1 else 0)  # each pass tries the broken row once
        broken = await InboxMessage.get(id=broken.id)
        assert broken.status == ("failed" if attempt == MAX_ATTEMPTS else "pending")
    assert seen == ["m1", "m2"]
    assert (
        broken.attempts == MAX_ATTEMPTS and broken.error.startswith("KeyError") and broken.processed_at == clock.now()
    )
    assert await worker.drain() == 0


async def test_a_lane_another_process_is_handling_is_left_to_it_and_the_other_lanes_go_on(
    probe_dispatcher: Dispatcher, clock: ManualClock, seen: list[str], db: str
) -> None:
    if db.startswith("sqlite://"):
        pytest.skip("one process per SQLite database: nobody else holds a row")
    first = await record(message(clock, "m1"), "m1")
    await record(message(clock, "m2"), "m2")  # the same villager: after m1, by whoever handles m1
    await record(message(clock, "m3", sender="wangxiuying"), "m3")  # another villager's lane
    worker = InboxWorker(probe_dispatcher.process, clock)
    holding, release = asyncio.Event(), asyncio.Event()

    async def other_process() -> None:  # has taken m1 and is still handling it
        async with in_transaction():
            await InboxMessage.filter(id=first).select_for_update().first()
            holding.set()
            await release.wait()

    held = asyncio.create_task(other_process())
    await holding.wait()
    assert await asyncio.wait_for(worker.drain(), timeout=30) == 1  # it did not wait for the other process
    release.set()
    await held
    assert seen == ["m3"]
    assert await InboxMessage.filter(status="pending").count() == 2  # m1 and m2: left, in order, to their holder
    assert await worker.drain() == 2  # the holder let go without handling them: they are this worker's now
    assert seen == ["m3", "m1", "m2"]
