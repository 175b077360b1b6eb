"""The outbox worker against the sandbox: outages delay but lose nothing, limits make it wait, dead rows alert."""

from __future__ import annotations

import asyncio
import math
from collections import Counter
from datetime import timedelta

import aiohttp
import pytest
from tortoise.transactions import in_transaction

from bot.channels.types import Address, Outbound
from bot.channels.wecom_api import WecomApi
from bot.outbox import URGENT, OutboxWorker, enqueue, enqueue_each, idempotency_key, requeue_dead, unpark_kf
from bot.outbox import queue as outbox_queue
from bot.outbox.marks import SentMarks
from bot.outbox.queue import PROMPT, prompt_queued_within
from models import KfCustomer, OutboxMessage

NO_WAIT = (0.0, 0.0, 0.0)


def texts_sent(fake, path="message/send"):
    return [b.get("text", b.get("markdown", {})).get("content") for b in fake.state.bodies(path)]


async def queue(clock, to: Address, *texts: str) -> list[OutboxMessage]:
    return [await enqueue(Outbound(to, text=t), now=clock.now()) for t in texts]


async def run_until_idle(worker: OutboxWorker, clock, *, step=timedelta(minutes=1), rounds=60) -> None:
    """Run the worker, moving the clock on whenever nothing is due, until every row is settled."""
    for _ in range(rounds):
        if not await OutboxMessage.filter(status="pending").exists():
            return
        if await worker.run_once(100) == 0:
            clock.advance(seconds=step.total_seconds())
    raise AssertionError("the outbox never drained")


async def test_a_row_is_sent_once_and_its_answer_recorded(api, fake_wecom, clock):
    (row,) = await queue(clock, Address("app", "zhangwei"), "已受理 #1042")
    worker = OutboxWorker(api, clock, ["admin"])
    assert await worker.run_once() == 1
    assert await worker.run_once() == 0
    row = await OutboxMessage.get(id=row.id)
    assert row.status == "sent" and row.sent_at == clock.now() and row.attempts == 1
    assert row.result["msgids"] == [fake_wecom.state.calls("message/send")[0].answer["msgid"]]
    assert texts_sent(fake_wecom) == ["已受理 #1042"]


async def test_rows_sent_side_by_side_are_each_recorded(api, fake_wecom, clock):
    rows = [(await queue(clock, Address("app", userid), f"已受理 #{1042 + n}"))[0] for n, userid in enumerate("abc")]
    worker = OutboxWorker(api, clock, ["admin"])
    assert await worker.run_once() == 3  # three recipients: sent side by side, their marks written in batches
    for row in await OutboxMessage.filter(id__in=[r.id for r in rows]):
        assert (row.status, row.sent_at, row.attempts, row.claimed_until) == ("sent", clock.now(), 1, None)
        assert row.result["msgids"] and row.last_error == ""
    assert 1 <= worker.marks.batches <= 3


async def test_marks_arriving_together_are_one_commit_and_land_only_on_pending_rows(db, clock):
    rows = await queue(clock, Address("app", "zhangwei"), "一", "二", "三")
    await OutboxMessage.filter(id=rows[2].id).update(status="dead", result={"by": "another"})  # settled meanwhile
    marks = SentMarks()
    sent = {"msgids": ["m"]}
    await asyncio.gather(
        *(
            marks.mark(r, status="sent", sent_at=clock.now(), result=sent, last_error="", only_if="pending")
            for r in rows
        )
    )
    assert marks.batches == 1
    found = {r.id: r for r in await OutboxMessage.all()}
    assert [(found[r.id].status, found[r.id].result) for r in rows] == [
        ("sent", sent),
        ("sent", sent),
        ("dead", {"by": "another"}),  # a mark lands only on a row still pending
    ]


async def test_rows_not_yet_due_wait(api, fake_wecom, clock):
    await enqueue(
        Outbound(Address("app", "zhangwei"), text="早上好"),
        now=clock.now(),
        not_before=clock.now() + timedelta(hours=1),
    )
    worker = OutboxWorker(api, clock, [])
    assert await worker.run_once() == 0
    clock.advance(hours=1)
    assert await worker.run_once() == 1


async def test_an_outage_delays_sends_but_loses_none(api, fake_wecom, clock):
    texts = [f"通知{n}" for n in range(12)]
    for n, text in enumerate(texts):
        await queue(clock, Address("app", f"user{n % 4}"), text)
    fake_wecom.state.fail_next("message/send", 9, mode="http", status=503)
    worker = OutboxWorker(api, clock, ["admin"])
    await worker.run_once(100)
    assert await OutboxMessage.filter(status="sent").count() < 12
    await run_until_idle(worker, clock)
    assert Counter(texts_sent(fake_wecom)) == Counter(texts)  # every row exactly once
    assert await OutboxMessage.filter(status="sent").count() == 12
    # one recipient's messages arrived in the order they were queued
    for n in range(4):
        mine = [b["text"]["content"] for b in fake_wecom.state.bodies("message/send") if b["touser"] == f"user{n}"]
        assert mine == [t for i, t in enumerate(texts) if i % 4 == n]


async def test_failures_back_off_exponentially(api, fake_wecom, clock):
    (row,) = await queue(clock, Address("app", "zhangwei"), "x")
    fake_wecom.state.fail_next("message/send", 3, mode="http")
    worker = OutboxWorker(api, clock, [])
    start = clock.now()
    delays = []
    for _ in range(3):
        await worker.run_once()
        row = await OutboxMessage.get(id=row.id)
        delays.append(row.not_before - start)
        clock.set(row.not_before)
        start = clock.now()
    assert delays == [timedelta(seconds=10), timedelta(seconds=20), timedelta(seconds=40)]
    await worker.run_once()
    assert (await OutboxMessage.get(id=row.id)).status == "sent"


async def test_dead_letters_alert_the_admins(api, fake_wecom, clock):
    (row,) = await queue(clock, Address("webhook", "hook-key-1"), "群通知")
    fake_wecom.state.fail_next("webhook/send", 3, errcode=93000)
    worker = OutboxWorker(api, clock, ["admin1", "admin2"], max_attempts=3)
    await run_until_idle(worker, clock, step=timedelta(hours=1))
    row = await OutboxMessage.get(id=row.id)
    assert row.status == "dead" and row.attempts == 3 and "93000" in row.last_error
    alerts = fake_wecom.state.bodies("message/send")
    assert sorted(b["touser"] for b in alerts) == ["admin1", "admin2"]
    assert f"发件编号 {row.id}" in alerts[0]["text"]["content"]
    assert await requeue_dead(row.id, now=clock.now())
    await worker.run_once()
    assert (await OutboxMessage.get(id=row.id)).status == "sent"


async def test_a_dead_alert_does_not_alert_again(api, fake_wecom, clock):
    await queue(clock, Address("webhook", "k"), "x")
    fake_wecom.state.fail_next("webhook/send", 1, errcode=93000)
    fake_wecom.state.fail_next("message/send", 1, errcode=81013)
    worker = OutboxWorker(api, clock, ["admin1"], max_attempts=1)
    await run_until_idle(worker, clock)
    assert await OutboxMessage.filter(status="dead").count() == 2
    assert await OutboxMessage.all().count() == 2


async def test_member_limit_waits_instead_of_dropping(api, fake_wecom, clock):
    texts = [f"第{n}条" for n in range(35)]
    await queue(clock, Address("app", "zhangwei"), *texts)
    worker = OutboxWorker(api, clock, [])
    await worker.run_once(100)
    assert len(fake_wecom.state.calls("message/send")) == 30
    waiting = await OutboxMessage.filter(status="pending").order_by("id")
    assert len(waiting) == 5 and all(r.not_before == clock.now() + timedelta(minutes=1) for r in waiting)
    clock.advance(seconds=59)
    assert await worker.run_once(100) == 0
    clock.advance(seconds=1)
    await worker.run_once(100)
    assert texts_sent(fake_wecom) == texts
    assert not any(c.dropped for c in fake_wecom.state.sent)


async def test_members_over_their_limits_each_wait_for_their_own_minute(api, fake_wecom, clock):
    """One claim holds back rows of several members, each until their own budget frees (one statement)."""
    worker = OutboxWorker(api, clock, [])
    await queue(clock, Address("app", "zhangwei"), *[f"张{n}" for n in range(30)])
    await worker.run_once(100)
    clock.advance(seconds=20)
    await queue(clock, Address("app", "lihong"), *[f"李{n}" for n in range(30)])
    await worker.run_once(100)
    clock.advance(seconds=10)
    start = clock.now()
    await queue(clock, Address("app", "zhangwei"), "张又1", "张又2")
    await queue(clock, Address("app", "lihong"), "李又")
    await queue(clock, Address("app", "wangfang"), "王1")
    assert await worker.run_once(100) == 1  # only wangfang's, within her minute
    waiting = {r.payload["text"]: r.not_before for r in await OutboxMessage.filter(status="pending")}
    assert waiting == {
        "张又1": start + timedelta(seconds=30),
        "张又2": start + timedelta(seconds=30),
        "李又": start + timedelta(seconds=50),
    }
    clock.advance(seconds=30)
    assert await worker.run_once(100) == 2
    clock.advance(seconds=20)
    assert await worker.run_once(100) == 1
    assert not any(c.dropped for c in fake_wecom.state.sent)


async def test_member_hourly_limit_waits(api, fake_wecom, clock):
    worker = OutboxWorker(api, clock, [])
    for minute in range(34):  # 30 a minute for 33 minutes is 990; the hour allows 1000
        await queue(clock, Address("app", "busy"), *[f"{minute}-{n}" for n in range(30)])
        await worker.run_once(100)
        clock.advance(minutes=1)
    assert len(fake_wecom.state.calls("message/send")) == 1000
    assert await OutboxMessage.filter(status="pending").count() == 20
    assert not any(c.dropped for c in fake_wecom.state.sent)
    # the hour's earlier sends are added up by the database; the first minute's 30 leave the hour at minute 60,
    # and the 20 go then, not later
    clock.advance(minutes=60 - 34 - 1)
    assert await worker.run_once(100) == 0
    clock.advance(minutes=1)
    assert await worker.run_once(100) == 20
    assert len(fake_wecom.state.calls("message/send")) == 1020
    assert not any(c.dropped for c in fake_wecom.state.sent)


async def test_a_long_text_counts_as_each_of_its_pieces(api, fake_wecom, clock):
    worker = OutboxWorker(api, clock, [])
    (long,) = await queue(clock, Address("app", "busy"), "桥" * 2000)  # 6,000 bytes: three pieces of 2,048 at most
    await worker.run_once(100)
    assert (await OutboxMessage.get(id=long.id)).pieces == 3
    await queue(clock, Address("app", "busy"), *[f"第{n}条" for n in range(30)])
    await worker.run_once(100)
    assert len(fake_wecom.state.calls("message/send")) == 3 + 27  # the minute allows 30 messages in all
    clock.advance(minutes=1)
    await worker.run_once(100)
    assert len(fake_wecom.state.calls("message/send")) == 33
    assert not any(c.dropped for c in fake_wecom.state.sent)


async def test_webhook_limit_waits_instead_of_dropping(api, fake_wecom, clock):
    await queue(clock, Address("webhook", "hook-key-1"), *[f"播报{n}" for n in range(25)])
    worker = OutboxWorker(api, clock, [])
    await worker.run_once(100)
    assert len(fake_wecom.state.calls("webhook/send", ok=True)) == 20
    clock.advance(minutes=1)
    await worker.run_once(100)
    assert len(fake_wecom.state.calls("webhook/send", ok=True)) == 25
    assert fake_wecom.state.calls("webhook/send", ok=False) == []


async def test_wecom_rate_limit_answer_backs_off_without_counting_an_attempt(api, fake_wecom, clock):
    (row,) = await queue(clock, Address("app", "zhangwei"), "x")
    fake_wecom.state.fail_next("message/send", 1, errcode=45009)
    worker = OutboxWorker(api, clock, [])
    await worker.run_once()
    row = await OutboxMessage.get(id=row.id)
    assert row.status == "pending" and row.attempts == 0 and row.not_before == clock.now() + timedelta(seconds=60)
    clock.advance(seconds=30)
    assert await worker.run_once() == 0
    clock.advance(seconds=30)
    await worker.run_once()
    assert (await OutboxMessage.get(id=row.id)).status == "sent"


async def test_kf_outside_the_window_is_parked_until_the_villager_writes(api, fake_wecom, clock):
    fake_wecom.state.queue_kf_message("wkgridwhistledemo", "wmv1", "路灯坏了")
    await KfCustomer.create(external_userid="wmv1", open_kfid="wkgridwhistledemo", last_customer_message_at=clock.now())
    rows = await queue(clock, Address("kf", "wmv1"), *[f"进展{n}" for n in range(7)])
    worker = OutboxWorker(api, clock, ["admin"])
    await run_until_idle(worker, clock)
    statuses = [(await OutboxMessage.get(id=r.id)).status for r in rows]
    assert statuses == ["sent"] * 5 + ["parked"] * 2
    assert [b["msgid"] for b in fake_wecom.state.bodies("kf/send_msg")] == [idempotency_key(r) for r in rows[:5]]
    # the villager writes again: the window reopens and the parked rows go
    fake_wecom.state.queue_kf_message("wkgridwhistledemo", "wmv1", "谢谢")
    await KfCustomer.filter(external_userid="wmv1").update(
        last_customer_message_at=clock.now(), sent_since_customer_message=0
    )
    assert await unpark_kf("wmv1", now=clock.now()) == 2
    await run_until_idle(worker, clock)
    assert len(fake_wecom.state.bodies("kf/send_msg")) == 7


async def test_a_bad_row_is_dead_at_once(api, fake_wecom, clock):
    await enqueue(Outbound(Address("carrier-pigeon", "x"), text="?"), now=clock.now())
    worker = OutboxWorker(api, clock, ["admin"])
    await worker.run_once()
    assert await OutboxMessage.filter(status="dead").count() == 1
    await worker.run_once()
    assert [b["touser"] for b in fake_wecom.state.bodies("message/send")] == ["admin"]


async def test_enqueue_twice_with_one_key_keeps_the_transaction_alive(db, clock):
    async with in_transaction():
        first = await enqueue(Outbound(Address("app", "a"), text="x"), now=clock.now(), dedupe_key="remind:1")
        again = await enqueue(Outbound(Address("app", "a"), text="x"), now=clock.now(), dedupe_key="remind:1")
        other = await enqueue(Outbound(Address("app", "a"), text="y"), now=clock.now(), dedupe_key="remind:2")
    assert first is not None and again is None and other is not None
    assert await OutboxMessage.all().count() == 2


async def test_the_same_news_to_many_members_is_queued_at_once_and_a_used_key_skipped(db, clock):
    """`enqueue_each` (Reach.people): one statement per 50 rows; a member who already has the key is skipped, the
    others are queued as `enqueue` would queue them, and the transaction goes on."""
    members = [f"m{n:03d}" for n in range(120)]
    async with in_transaction():
        await enqueue(Outbound(Address("app", "m007"), text="早到的"), now=clock.now(), dedupe_key="news:m007")
        queued = await enqueue_each(
            [(Outbound(Address("app", m), text="通知"), f"news:{m}") for m in members],
            now=clock.now(),
            priority=URGENT,
            notice=True,
        )
        assert queued == 119
        again = await enqueue_each([(Outbound(Address("app", "m001"), text="通知"), "news:m001")], now=clock.now())
        assert again == 0
        await enqueue(Outbound(Address("app", "after"), text="之后"), now=clock.now(), dedupe_key="after")
    rows = {row.target: row for row in await OutboxMessage.all()}
    assert len(rows) == 121 and rows["m007"].payload["text"] == "早到的"
    assert {rows[m].payload["text"] for m in members if m != "m007"} == {"通知"}
    assert all(rows[m].priority == URGENT and rows[m].payload["notice"] for m in members if m != "m007")
    assert rows["after"].status == "pending"


async def test_prompt_rows_queued_together_wake_the_prompt_lane(db, clock, monkeypatch):
    """A batch's answers to the AI bot go in one statement; the prompt lane still hears that one is waiting."""
    monkeypatch.setattr(outbox_queue, "_last_prompt", [-math.inf])
    assert not prompt_queued_within(60)
    answers = [
        (Outbound(Address("aibot", f"https://aibot.example/r/{n}"), text="收到"), f"reply:aibot:{n}") for n in range(3)
    ]
    assert await enqueue_each(answers, now=clock.now(), priority=PROMPT) == 3
    assert prompt_queued_within(60)
    assert {row.priority for row in await OutboxMessage.all()} == {PROMPT}


async def test_racing_enqueues_of_one_key_both_commit_their_other_work(db, clock, test_db_backend):
    """Two transactions queue the same key at once; the loser's IntegrityError must not abort its transaction."""
    first_inserted = asyncio.Event()

    async def writer(name: str, wait_for: asyncio.Event | None) -> None:
        async with in_transaction() as conn:
            if wait_for is not None:
                await wait_for.wait()
            await enqueue(Outbound(Address("app", name), text="x"), now=clock.now(), dedupe_key="race")
            if wait_for is None:
                first_inserted.set()
                if test_db_backend == "postgres":
                    await _until_someone_waits_for_a_lock(conn)
            await enqueue(Outbound(Address("app", name), text="own"), now=clock.now(), dedupe_key=f"own:{name}")

    await asyncio.gather(writer("first", None), writer("second", first_inserted))
    assert await OutboxMessage.filter(dedupe_key="race").count() == 1
    assert await OutboxMessage.filter(dedupe_key__startswith="own:").count() == 2


async def _until_someone_waits_for_a_lock(conn) -> None:
    """Polls the server (not a timed wait): under a loaded machine the second writer may take a while."""
    for _ in range(3000):
        # pg_stat_activity is read once per transaction unless the snapshot is cleared: clear it each time
        await conn.execute_query("SELECT pg_stat_clear_snapshot()")
        rows = await conn.execute_query_dict(
            "SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        if rows[0]["n"]:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the second writer never blocked on the unique key")


async def test_two_workers_never_send_a_row_twice(db, wecom, clock, fake_wecom):
    texts = [f"消息{n}" for n in range(60)]
    for n, text in enumerate(texts):
        await queue(clock, Address("app", f"member{n % 7}"), text)
    async with aiohttp.ClientSession() as one, aiohttp.ClientSession() as two:
        workers = [OutboxWorker(WecomApi(s, wecom, clock, busy_delays=NO_WAIT), clock, []) for s in (one, two)]
        per_worker = [0, 0]
        for _ in range(20):
            claimed = await asyncio.gather(*(w.run_once(7) for w in workers))
            per_worker = [total + n for total, n in zip(per_worker, claimed, strict=False)]
            if sum(claimed) == 0:
                break
    assert all(per_worker) and sum(per_worker) == 60  # both worked, and no row was claimed twice
    assert Counter(texts_sent(fake_wecom)) == Counter(texts)
    assert await OutboxMessage.filter(status="sent").count() == 60


async def test_run_forever_wakes_when_told(api, fake_wecom, clock):
    worker = OutboxWorker(api, clock, [])
    wake = asyncio.Event()
    task = asyncio.create_task(worker.run_forever(wake, idle=3600))
    try:
        await queue(clock, Address("app", "zhangwei"), "醒醒")
        wake.set()
        for _ in range(500):
            if await OutboxMessage.filter(status="sent").exists():
                break
            await asyncio.sleep(0.01)
        assert texts_sent(fake_wecom) == ["醒醒"]
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
