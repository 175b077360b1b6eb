"""What WeCom takes only for seconds — the AI bot's welcome on entering, a clicked card's update — is handled and
sent ahead of any backlog: the inbox hands such a row to a task of its own at once, and the outbox worker's
prompt lane sends PROMPT rows while the main lane is still busy with the rest."""

from __future__ import annotations

import asyncio
from datetime import time

from bot import inbox
from bot.calendar import QuietHours
from bot.channels.types import Address, Inbound, Outbound
from bot.outbox import PROMPT, OutboxWorker, enqueue
from bot.reach import Reach
from models import InboxMessage, OutboxMessage

BACKLOG = 150
BATCH = 50  # rows the worker claims at once
SLOW = 1.0  # seconds the sandbox takes to answer each message/send: each batch of the backlog takes that long


async def until(condition, failure: str, seconds: float = 20.0) -> None:
    async with asyncio.timeout(seconds):
        while not await condition():
            await asyncio.sleep(0.01)


async def test_a_card_update_overtakes_a_backlog_of_sends(api, fake_wecom, clock):
    for n in range(BACKLOG):  # one notice each to many members: sent in batches, each batch as slow as WeCom
        await enqueue(Outbound(to=Address("app", f"member{n}"), text=f"通知 {n}"), now=clock.now())
    fake_wecom.state.slow("message/send", SLOW)
    worker = OutboxWorker(api, clock, [])
    wake = asyncio.Event()
    task = asyncio.create_task(worker.run_forever(wake, idle=3600, limit=BATCH))
    try:
        wake.set()
        await until(lambda: _arrived(fake_wecom, "message/send", 1), "the backlog never started")
        reach = Reach(clock, QuietHours(time(22), time(7)))
        await reach.card_update(["zhangwei"], response_code="code-1", replace_name="已收到", dedupe_key="u:1")
        assert (await OutboxMessage.get(dedupe_key="u:1")).priority == PROMPT
        wake.set()
        await until(lambda: _arrived(fake_wecom, "message/update_template_card", 1), "the update never went")
        # it went while the first batch was still with WeCom, not in the next batch (that would make 2 × 50 - 1)
        assert fake_wecom.state.arrived["message/send"] <= BATCH
    finally:
        task.cancel()
        await asyncio.wait([task])


async def _arrived(fake, path: str, count: int) -> bool:
    return fake.state.arrived[path] >= count


async def test_an_ai_bot_entry_is_handled_ahead_of_a_backlog(county, dispatcher, clock):
    for n in range(150):
        await inbox.record(_inbound(f"m{n}", "jiangdahai", "text", f"帮助 {n}", clock), f"m{n}")
    worker = inbox.InboxWorker(dispatcher.process, clock, workers=1)
    worker.start()
    try:
        entering = _inbound("enter-1", "wangjun", "enter", "", clock)
        row_id = await inbox.record(entering, "enter-1")
        assert row_id is not None and entering.timely
        worker.stored(row_id, entering)

        async def entered() -> bool:
            return await InboxMessage.filter(id=row_id, status="done").exists()

        await until(entered, "the entry was never handled")
        waiting = await InboxMessage.filter(status="pending").count()
        assert waiting > 50  # it did not wait for the backlog
        welcome = await OutboxMessage.get(dedupe_key=f"reply:aibot:{row_id}")
        assert welcome.priority == PROMPT and "王军" in welcome.payload["text"]
        await worker.until_idle()
        assert await InboxMessage.filter(status="done").count() == 151
    finally:
        await worker.stop()


def _inbound(message_id: str, sender: str, kind: str, text: str, clock) -> Inbound:
    return Inbound(
        channel="aibot",
        message_id=message_id,
        sender=sender,
        conversation="",
        kind=kind,
        text=text,
        received_at=clock.now(),
        reply={"response_url": f"http://127.0.0.1:9/aibot/response?code={message_id}"},
    )
