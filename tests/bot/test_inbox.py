"""The inbox worker (bot/inbox.py) with the real dispatcher: rows a stopped process left pending are handled at
the next start in arrival order, each row once, and a row that cannot be handled is parked, not retried for ever —
whether each row has a transaction of its own or several lanes' rows share one (as the service runs them)."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable

import pytest
from tortoise.connection import connections
from tortoise.transactions import in_transaction

from bot.channels.types import Address, Inbound, Outbound
from bot.clock import ManualClock
from bot.dispatch import Dispatcher
from bot.inbox import MAX_ATTEMPTS, InboxWorker, Intake, record, rows_together
from bot.outbox import enqueue
from handlers.core.context import Context, Services
from handlers.core.router import Router
from handlers.features import routers
from models import InboxMessage, OutboxMessage, Person

MakeWorker = Callable[[ManualClock], InboxWorker]


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


@pytest.fixture(params=["alone", "together"])
def make_worker(request: pytest.FixtureRequest, probe_dispatcher: Dispatcher) -> MakeWorker:
    """An inbox worker on the probe dispatcher: each row in a transaction of its own, or several lanes' rows in
    one (`Dispatcher.process_lanes`, as the service runs it)."""
    together = probe_dispatcher.process_lanes if request.param == "together" else None
    return lambda clock: InboxWorker(probe_dispatcher.process, clock, process_lanes=together)


async def answers(target: str = "jiangdahai") -> list[str]:
    return [row.payload["text"] for row in await OutboxMessage.filter(target=target).order_by("id")]


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
    make_worker: MakeWorker, clock: ManualClock, seen: list[str]
) -> None:
    for message_id in ("m1", "m2", "m3"):  # stored by a process that stopped before handling them
        await record(message(clock, message_id), message_id)
    worker = make_worker(clock)
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
    make_worker: MakeWorker, clock: ManualClock, seen: list[str]
) -> None:
    ids = [f"m{n}" for n in range(6)]
    for n, message_id in enumerate(ids):
        await record(message(clock, message_id, sender=f"villager{n % 3}"), message_id)
    workers = [make_worker(clock) for _ in range(2)]  # two processes
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
    make_worker: MakeWorker, clock: ManualClock
) -> None:
    await record(message(clock, "m1"), "m1")
    broken = await InboxMessage.create(
        channel="app", message_key="broken", payload={"kind": "text"}, received_at=clock.now()
    )  # no longer readable as an Inbound
    await record(message(clock, "m2"), "m2")
    worker = make_worker(clock)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert await worker.drain() == (2 if attempt == 1 else 0)  # each pass tries the broken row once
        broken = await InboxMessage.get(id=broken.id)
        assert broken.status == ("failed" if attempt == MAX_ATTEMPTS else "pending")
    assert await answers() == ["收到 m1", "收到 m2"]  # a batch the broken row undid left nothing twice
    assert (
        broken.attempts == MAX_ATTEMPTS and broken.error.startswith("KeyError") and broken.processed_at == clock.now()
    )
    assert await worker.drain() == 0


async def test_a_lane_another_process_is_handling_is_left_to_it_and_the_other_lanes_go_on(
    make_worker: MakeWorker, clock: ManualClock, seen: list[str], db: str
) -> None:
    if db.startswith("sqlite://"):
        pytest.skip("one process per SQLite database: nobody else holds a row")
    first = await record(message(clock, "m1"), "m1")
    await record(message(clock, "m2"), "m2")  # the same villager: after m1, by whoever handles m1
    await record(message(clock, "m3", sender="wangxiuying"), "m3")  # another villager's lane
    worker = make_worker(clock)
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


async def handled_in_transactions(services: Services, clock: ManualClock, senders: int, each: int) -> int:
    """A backlog of `each` messages from each of `senders` villagers, drained: in how many transactions."""
    clients: list[object] = []  # the transaction each message was handled in
    probe = Router("probe")

    @probe.text()
    async def note(ctx: Context) -> None:
        clients.append(connections.get("default"))
        ctx.reply_text(f"收到 {ctx.inbound.message_id}")

    dispatcher = Dispatcher(services, [probe, *routers()])
    total = senders * each
    for n in range(total):
        await record(message(clock, f"m{n}", sender=f"villager{n % senders}"), f"m{n}")
    worker = InboxWorker(dispatcher.process, clock, workers=1, process_lanes=dispatcher.process_lanes)
    assert await worker.drain() == total
    for n in range(senders):
        assert await answers(f"villager{n}") == [f"收到 m{i}" for i in range(n, total, senders)]
    assert {row.status for row in await InboxMessage.all()} == {"done"}
    assert {row.attempts for row in await InboxMessage.all()} == {1}
    return len({id(client) for client in clients})


async def test_a_backlog_shares_transactions_and_keeps_each_senders_order(
    county: None, services: Services, clock: ManualClock
) -> None:
    # 72 rows: 8 to a transaction, whole lanes of 4: two lanes a transaction
    assert await handled_in_transactions(services, clock, senders=18, each=4) == 9


@pytest.mark.parametrize(("senders", "each"), [(12, 1), (3, 4)])
async def test_a_short_backlog_is_handled_a_sender_to_a_transaction(
    county: None, services: Services, clock: ManualClock, senders: int, each: int
) -> None:
    # 12 rows: none waits for another sender's commit (nor, on SQLite, do the callbacks' inserts)
    assert await handled_in_transactions(services, clock, senders, each) == senders


def test_the_longer_the_backlog_the_more_rows_share_a_transaction() -> None:
    assert [rows_together(backlog, 8) for backlog in (1, 15, 16, 24, 63, 64, 500)] == [1, 1, 2, 3, 7, 8, 8]


async def test_a_batchs_senders_are_looked_up_at_once_people_and_strangers_alike(
    county: None, services: Services, clock: ManualClock, statements: list[str]
) -> None:
    seen: dict[str, str] = {}
    probe = Router("probe")

    @probe.text()
    async def note(ctx: Context) -> None:
        seen[ctx.inbound.sender] = ctx.person.name if ctx.person else "-"
        ctx.reply_text("收到")

    dispatcher = Dispatcher(services, [probe, *routers()])
    senders = ["zhaolei", "zhangwei", "lihong", *(f"villager{n}" for n in range(13))]
    for n in range(64):  # a backlog: 8 rows (two senders' four each) to a transaction
        await record(message(clock, f"m{n}", sender=senders[n % 16]), f"m{n}")
    statements.clear()
    worker = InboxWorker(dispatcher.process, clock, workers=1, process_lanes=dispatcher.process_lanes)
    assert await worker.drain() == 64
    reads = [line for line in statements if 'FROM "person"' in line and '"userid"' in line]
    people = {p.userid: p.name for p in await Person.filter(userid__in=senders)}
    assert set(people) == {"zhaolei", "zhangwei", "lihong"}  # the demo county's; the villagers are strangers
    assert seen == {sender: people.get(sender, "-") for sender in senders}
    assert reads and all("IN (" in line for line in reads)  # one read per batch, none per message
    assert len(reads) == 8


async def test_a_failing_message_undoes_its_batch_which_is_then_handled_one_by_one(
    county: None, services: Services, clock: ManualClock
) -> None:
    probe = Router("probe")

    @probe.text()
    async def note(ctx: Context) -> None:
        await enqueue(Outbound(Address("app", "zhangwei"), text=f"通知 {ctx.inbound.message_id}"), now=ctx.now)
        if ctx.inbound.message_id == "m2":
            raise RuntimeError("a bug in a handler")
        ctx.reply_text(f"收到 {ctx.inbound.message_id}")

    dispatcher = Dispatcher(services, [probe, *routers()])
    for n, sender in enumerate(["wangxiuying", "jiangdahai", "lihong"], start=1):
        await record(message(clock, f"m{n}", sender=sender), f"m{n}")
    worker = InboxWorker(dispatcher.process, clock, workers=1, process_lanes=dispatcher.process_lanes)
    assert await worker.drain() == 3
    assert await answers("wangxiuying") == ["收到 m1"] and await answers("lihong") == ["收到 m3"]
    error = await InboxMessage.get(message_key="m2")
    trace_id = error.error.removeprefix("trace ")
    assert await answers() == [services.texts.render("common.error", trace_id=trace_id)]
    assert await answers("zhangwei") == ["通知 m1", "通知 m3"]  # m2's undone; m1's and m3's once, not redone twice
    rows = await InboxMessage.all().order_by("id")
    assert [row.status for row in rows] == ["done"] * 3 and [row.attempts for row in rows] == [1, 1, 1]


async def test_callbacks_arriving_together_are_stored_by_one_statement_each_once(db: str, clock: ManualClock) -> None:
    intake = Intake()
    ids = await asyncio.gather(
        *(intake.record(message(clock, f"m{n}", sender=f"villager{n}"), f"m{n}") for n in range(5)),
        intake.record(message(clock, "m2", sender="villager2"), "m2"),  # WeCom's retry, in the same moment
    )
    assert intake.statements == 1
    assert ids[5] is None and len(set(ids[:5])) == 5
    stored = {row.id: row.message_key for row in await InboxMessage.all()}
    assert [stored[row_id] for row_id in ids[:5]] == [f"m{n}" for n in range(5)]  # each caller its own row
    assert await intake.record(message(clock, "m4", sender="villager4"), "m4") is None  # a later retry
    assert intake.statements == 2 and await InboxMessage.all().count() == 5
