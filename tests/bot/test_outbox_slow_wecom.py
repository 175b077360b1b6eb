"""The outbox on a slow WeCom and after a crash: a send WeCom took is never doubled where WeCom keeps an
idempotency key, a single-use code refused after an unanswered attempt counts as delivered, a refused card
update gives way to its fresh card, and a claim is renewed while sending but lapses soon after a crash.

The sandbox really is slow here (it takes the call, then answers late); the client's timeout is set below
that delay, so each test is as long as a fraction of a second, not as long as WeCom's real timeout.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import time, timedelta

import aiohttp
import pytest

from bot.calendar import QuietHours
from bot.channels.types import Address, Card, NewGroup, Outbound
from bot.channels.wecom_api import TIMED_OUT, WecomApi
from bot.clock import Clock
from bot.outbox import LEASE, OutboxWorker, enqueue, held_back, unanswered, unanswered_sends
from bot.reach import Reach
from bot.sandbox.fake_wecom import RESPONSE_URL_USED
from models import KfCustomer, OutboxMessage

NO_WAIT = (0.0, 0.0, 0.0)
LATE = 0.6  # the sandbox answers this many seconds late …
IMPATIENT = 0.2  # … to a client that waits only this long


@pytest.fixture
async def impatient(api, http, wecom, clock) -> WecomApi:
    """A client that gives up before the slowed sandbox answers (only that: its token is already fetched)."""
    await api.token()
    return WecomApi(http, wecom, clock, timeout=IMPATIENT, busy_delays=NO_WAIT)


async def until_taken(fake, path: str, count: int = 1) -> None:
    """Wait (polling, not a fixed sleep) until the sandbox has taken `count` calls of `path`."""
    await _until(lambda: len(fake.state.calls(path)) >= count, f"the sandbox never took {count} call(s) of {path}")


async def until_arrived(fake, path: str, count: int) -> None:
    """Wait until `count` calls of `path` reached the sandbox (taken or still being slowed)."""
    await _until(lambda: fake.state.arrived[path] >= count, f"{count} call(s) of {path} never arrived")


async def _until(condition, failure: str) -> None:
    for _ in range(1000):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(failure)


async def send_again(api: WecomApi, clock, row_id: int) -> OutboxMessage:
    """Move the clock to the row's retry and run a worker with a patient client once."""
    row = await OutboxMessage.get(id=row_id)
    clock.set(row.not_before)
    await OutboxWorker(api, clock, ["admin"]).run_once()
    return await OutboxMessage.get(id=row_id)


def contents(bodies) -> list[str]:
    return [b.get("text", b.get("markdown", {})).get("content") for b in bodies]


# -- the send timeout ---------------------------------------------------------------------------------


async def test_a_slow_acceptance_within_the_timeout_is_one_send(api, fake_wecom, clock):
    fake_wecom.state.slow("webhook/send", LATE)
    row = await enqueue(Outbound(Address("webhook", "hook-1"), text="停电通知"), now=clock.now())
    await OutboxWorker(api, clock, ["admin"]).run_once()
    row = await OutboxMessage.get(id=row.id)
    assert row.status == "sent" and row.attempts == 1 and unanswered(row.result) == 0
    assert contents(fake_wecom.state.delivered("webhook/send")) == ["停电通知"]


async def test_an_app_message_sent_again_after_a_timeout_is_kept_once(api, impatient, fake_wecom, clock):
    fake_wecom.state.slow("message/send", LATE, times=1)
    row = await enqueue(Outbound(Address("app", "zhangwei"), text="请签收 #1042"), now=clock.now())
    worker = OutboxWorker(impatient, clock, ["admin"])
    await worker.run_once()
    row = await OutboxMessage.get(id=row.id)
    assert row.status == "pending" and unanswered(row.result) == 1 and f"errcode {TIMED_OUT}" in row.last_error
    await until_taken(fake_wecom, "message/send")  # WeCom took it, late
    row = await send_again(api, clock, row.id)
    assert row.status == "sent" and unanswered(row.result) == 1
    calls = fake_wecom.state.calls("message/send")
    assert len(calls) == 2 and calls[1].body["enable_duplicate_check"] == 1 and calls[1].duplicate
    assert contents(fake_wecom.state.delivered("message/send")) == ["请签收 #1042"]
    assert row.result["msgids"] == [calls[0].answer["msgid"]]  # WeCom's answer for the message it kept


async def test_a_kf_message_sent_again_after_a_timeout_is_kept_once(api, impatient, fake_wecom, clock, wecom):
    fake_wecom.state.queue_kf_message(wecom.kf.open_kfid, "wm-villager", "你好")
    await KfCustomer.create(
        external_userid="wm-villager", open_kfid=wecom.kf.open_kfid, last_customer_message_at=clock.now()
    )
    fake_wecom.state.slow("kf/send_msg", LATE, times=1)
    row = await enqueue(Outbound(Address("kf", "wm-villager"), text="收到，已转给网格员"), now=clock.now())
    worker = OutboxWorker(impatient, clock, [])
    await worker.run_once()
    await until_taken(fake_wecom, "kf/send_msg")
    row = await send_again(api, clock, row.id)
    assert row.status == "sent"
    first, second = fake_wecom.state.calls("kf/send_msg")
    assert first.body["msgid"] == second.body["msgid"]  # the idempotency key really goes out
    assert fake_wecom.state.kf_customers["wm-villager"]["sent"] == 1  # and WeCom counted one message


async def test_a_webhook_sent_again_after_a_timeout_shows_twice_and_is_counted(api, impatient, fake_wecom, clock):
    """A webhook has no idempotency key: a slow acceptance past the timeout shows twice; the count says so."""
    fake_wecom.state.slow("webhook/send", LATE, times=1)
    row = await enqueue(Outbound(Address("webhook", "hook-1"), text="明天上午停水"), now=clock.now())
    worker = OutboxWorker(impatient, clock, [])
    await worker.run_once()
    await until_taken(fake_wecom, "webhook/send")
    row = await send_again(api, clock, row.id)
    assert row.status == "sent" and unanswered(row.result) == 1
    assert contents(fake_wecom.state.delivered("webhook/send")) == ["明天上午停水"] * 2
    assert await unanswered_sends() == {"webhook": {"unanswered": 1, "maybe_doubled": 1}}


async def test_a_stalled_webhook_is_sent_again_once(api, impatient, fake_wecom, clock):
    """A request lost on the way (nothing taken) is sent again and shows once; it is still counted as unknown."""
    fake_wecom.state.fail_next("webhook/send", 1, mode="stall", delay=LATE)
    row = await enqueue(Outbound(Address("webhook", "hook-1"), text="明天上午停水"), now=clock.now())
    worker = OutboxWorker(impatient, clock, [])
    await worker.run_once()
    row = await send_again(api, clock, row.id)
    assert row.status == "sent"
    assert contents(fake_wecom.state.delivered("webhook/send")) == ["明天上午停水"]


# -- single-use sends: AI-bot response_url, card updates --------------------------------------------------


async def test_a_response_url_refused_after_a_timeout_counts_as_delivered(api, impatient, fake_wecom, clock):
    url = fake_wecom.state.response_url()
    fake_wecom.state.slow("aibot/response", LATE, times=1)
    row = await enqueue(Outbound(Address("aibot", url), text="收到，已转给网格员"), now=clock.now())
    worker = OutboxWorker(impatient, clock, ["admin"])
    await worker.run_once()
    await until_taken(fake_wecom, "aibot/response")
    row = await send_again(api, clock, row.id)
    assert row.status == "sent" and str(RESPONSE_URL_USED) in row.last_error
    calls = fake_wecom.state.calls("aibot/response")
    assert [c.ok for c in calls] == [True, False]  # the late one got through; the retry was refused
    await worker.run_once()
    assert fake_wecom.state.calls("message/send") == []  # no dead letter, no alarm


async def test_a_response_url_refused_outright_is_dead_at_once(api, fake_wecom, clock):
    url = fake_wecom.state.response_url()
    await enqueue(Outbound(Address("aibot", url), text="先来的"), now=clock.now())
    row = await enqueue(Outbound(Address("aibot", url), text="后来的"), now=clock.now())
    worker = OutboxWorker(api, clock, ["admin"])
    await worker.run_once()
    row = await OutboxMessage.get(id=row.id)
    assert row.status == "dead" and row.attempts == 1  # a spent URL cannot be retried into working
    await worker.run_once()
    assert [b["touser"] for b in fake_wecom.state.bodies("message/send")] == ["admin"]


def fresh_card() -> Outbound:
    card = Card(task_id="t1042b", title="诉求 #1042 已办结", fields=(("地点", "王家屯"),))
    return Outbound(Address("app", "liu|wang"), card=card)


def card_update(code: str) -> Outbound:
    return Outbound(Address("app", "liu|wang"), card_update={"response_code": code, "replace_name": "已办结"})


async def test_a_refused_card_update_is_final_and_sends_the_fresh_card(api, fake_wecom, clock):
    code = fake_wecom.state.new_response_code()
    fake_wecom.state.response_codes[code] = True  # used already (another click, another process)
    row = await enqueue(
        card_update(code),
        now=clock.now(),
        dedupe_key="card-update:x",
        fallback=fresh_card(),
        fallback_key="card:t1042b",
    )
    worker = OutboxWorker(api, clock, ["admin"])
    await worker.run_once()
    row = await OutboxMessage.get(id=row.id)
    assert row.status == "refused" and row.attempts == 1 and str(RESPONSE_URL_USED) in row.last_error
    await worker.run_once()
    cards = fake_wecom.state.delivered("message/send")
    assert [c["template_card"]["task_id"] for c in cards] == ["t1042b"] and cards[0]["touser"] == "liu|wang"
    fresh = await OutboxMessage.get(dedupe_key="card:t1042b")  # found by its key, as any card is
    assert fresh.status == "sent" and fresh.result["response_code"]
    assert await OutboxMessage.filter(status="pending").count() == 0
    assert await held_back(clock.now()) == []


async def test_a_refused_card_update_without_a_fresh_card_is_settled_quietly(api, fake_wecom, clock):
    row = await enqueue(card_update("never-issued"), now=clock.now(), dedupe_key="card-update:y")
    worker = OutboxWorker(api, clock, ["admin"])
    await worker.run_once()
    await worker.run_once()
    assert (await OutboxMessage.get(id=row.id)).status == "refused"
    assert fake_wecom.state.calls("message/send") == []  # no alarm
    clock.advance(hours=2)
    assert await held_back(clock.now()) == [] and await worker.run_once() == 0  # never retried


async def test_a_card_update_refused_after_a_timeout_counts_as_done(api, impatient, fake_wecom, clock):
    code = fake_wecom.state.new_response_code()
    fake_wecom.state.slow("message/update_template_card", LATE, times=1)
    row = await enqueue(card_update(code), now=clock.now(), fallback=fresh_card())
    worker = OutboxWorker(impatient, clock, [])
    await worker.run_once()
    await until_taken(fake_wecom, "message/update_template_card")
    row = await send_again(api, clock, row.id)
    assert row.status == "sent"
    await worker.run_once()
    assert fake_wecom.state.calls("message/send") == []  # the update got through: no fresh card


async def test_only_card_updates_take_a_fallback(db, clock):
    with pytest.raises(ValueError):
        await enqueue(Outbound(Address("app", "liu"), text="x"), now=clock.now(), fallback=fresh_card())


async def test_held_back_counts_only_what_will_be_sent(api, fake_wecom, clock):
    later = clock.now() + timedelta(hours=1)
    waiting = await enqueue(Outbound(Address("app", "liu"), text="明早提醒"), now=clock.now(), not_before=later)
    refused = await enqueue(card_update("never-issued"), now=clock.now())
    fake_wecom.state.fail_next("webhook/send", 1, mode="http")
    retrying = await enqueue(Outbound(Address("webhook", "k"), text="群通知"), now=clock.now())
    await OutboxWorker(api, clock, []).run_once()
    assert (await OutboxMessage.get(id=refused.id)).status == "refused"
    assert [row.id for row in await held_back(clock.now())] == [retrying.id, waiting.id]


# -- leases: renewed while sending, lapsing soon after a crash -----------------------------------------------


async def test_a_crashed_workers_rows_go_out_within_a_minute_and_once(db, wecom, clock, fake_wecom):
    assert LEASE <= timedelta(minutes=1)
    texts = ["请签收 #1041", "请签收 #1042"]
    for n, text in enumerate(texts):
        await enqueue(Outbound(Address("app", f"liaison{n}"), text=text), now=clock.now())
    fake_wecom.state.slow("message/send", LATE, times=2)
    async with aiohttp.ClientSession() as one, aiohttp.ClientSession() as two:
        dying = OutboxWorker(WecomApi(one, wecom, clock, busy_delays=NO_WAIT), clock, [])
        other = OutboxWorker(WecomApi(two, wecom, clock, busy_delays=NO_WAIT), clock, [])
        task = asyncio.create_task(dying.run_once())
        await until_arrived(fake_wecom, "message/send", 2)  # both sends are out …
        task.cancel()  # … and the worker dies before it hears the answers: nothing of it runs again
        with pytest.raises(asyncio.CancelledError):
            await task
        await until_taken(fake_wecom, "message/send", 2)  # WeCom takes them all the same
        assert await other.run_once() == 0  # the dead worker's lease still holds
        clock.advance(seconds=LEASE.total_seconds() - 1)
        assert await other.run_once() == 0
        clock.advance(seconds=1)
        assert await other.run_once() == 2
    rows = await OutboxMessage.all()
    assert [r.status for r in rows] == ["sent", "sent"] and [unanswered(r.result) for r in rows] == [1, 1]
    assert Counter(contents(fake_wecom.state.delivered("message/send"))) == Counter(texts)
    assert len(fake_wecom.state.calls("message/send")) == 4  # sent twice, kept once by the duplicate check
    assert await unanswered_sends() == {"app": {"unanswered": 2, "maybe_doubled": 0}}


async def test_a_slow_send_keeps_its_lease_against_a_second_worker(db, wecom, fake_wecom):
    """Two workers on one database, a real clock, a lease shorter than WeCom's answer: the heartbeat keeps it."""
    clock = Clock()
    texts = ["群通知一", "群通知二"]
    for n, text in enumerate(texts):
        await enqueue(Outbound(Address("webhook", f"hook-{n}"), text=text), now=clock.now())
    fake_wecom.state.slow("webhook/send", 2.5)
    lease, heartbeat = timedelta(seconds=1.2), 0.1
    async with aiohttp.ClientSession() as one, aiohttp.ClientSession() as two:
        workers = [
            OutboxWorker(WecomApi(s, wecom, clock, busy_delays=NO_WAIT), clock, [], lease=lease, heartbeat=heartbeat)
            for s in (one, two)
        ]
        first = asyncio.create_task(workers[0].run_once())
        await until_arrived(fake_wecom, "webhook/send", 2)
        stolen = 0
        while not first.done():  # the second worker keeps trying while the first one's sends are slow
            stolen += await workers[1].run_once()
            await asyncio.sleep(0.05)
        assert await first == 2 and stolen == 0
    assert Counter(contents(fake_wecom.state.delivered("webhook/send"))) == Counter(texts)
    assert len(fake_wecom.state.calls("webhook/send")) == 2
    assert [r.status for r in await OutboxMessage.all()] == ["sent", "sent"]


async def test_reach_queues_the_fresh_card_with_the_update(api, fake_wecom, clock):
    reach = Reach(clock, QuietHours(time(22), time(7)))
    card = fresh_card().card
    assert await reach.card_update(
        ["liu", "wang"],
        response_code="never-issued",
        replace_name="已办结",
        dedupe_key="card-update:z",
        fresh_card=card,
        fresh_card_key="card:t1042b",
    )
    await OutboxWorker(api, clock, []).run_once()
    await OutboxWorker(api, clock, []).run_once()
    assert [b["template_card"]["task_id"] for b in fake_wecom.state.delivered("message/send")] == ["t1042b"]
    assert (await OutboxMessage.get(dedupe_key="card:t1042b")).target == "liu|wang"


async def test_a_group_made_by_an_unanswered_attempt_is_used_not_made_again(api, impatient, fake_wecom, clock):
    fake_wecom.state.slow("appchat/create", LATE, times=1)
    group = NewGroup(name="#1042 联办", owner="liu", members=("liu", "wang", "zhao"))
    to = Address("appchat", "t1042")
    row = await enqueue(Outbound(to, text="联办群已建", create_group=group), now=clock.now())
    worker = OutboxWorker(impatient, clock, ["admin"])
    await worker.run_once()
    await until_taken(fake_wecom, "appchat/create")
    row = await send_again(api, clock, row.id)
    assert row.status == "sent" and row.result["chatid"] == "t1042"
    assert [c.ok for c in fake_wecom.state.calls("appchat/create")] == [True, False]  # the second: it exists
    assert contents(fake_wecom.state.delivered("appchat/send")) == ["联办群已建"]
