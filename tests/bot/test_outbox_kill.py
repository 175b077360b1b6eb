"""kill -9 of a process sending outbox rows: another process sends them once its lease lapses (under a minute),
and WeCom keeps each app message once. The dying worker is a real process on the same database."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import textwrap
from collections import Counter
from datetime import datetime, timedelta

from bot.channels.types import Address, Outbound
from bot.channels.wecom_api import WecomApi
from bot.clock import SHANGHAI, ManualClock
from bot.outbox import LEASE, OutboxWorker, enqueue, unanswered
from models import OutboxMessage

# A worker process on the service's real clock, for the test to kill while its sends are in flight.
WORKER = textwrap.dedent(
    """
    import asyncio, sys
    import aiohttp
    from bot.channels.wecom_api import WecomApi
    from bot.clock import Clock
    from bot.outbox import OutboxWorker
    from config.settings import WecomSettings
    from models.db import open_db

    async def main(url, api_base):
        await open_db(url)
        async with aiohttp.ClientSession() as session:
            api = WecomApi(session, WecomSettings(api_base=api_base), Clock())
            await OutboxWorker(api, Clock(), []).run_once()

    asyncio.run(main(sys.argv[1], sys.argv[2]))
    """
)


async def test_rows_of_a_killed_worker_go_out_within_a_minute_and_once(db, http, wecom, fake_wecom):
    now = datetime.now(SHANGHAI)
    texts = ["请签收 #1041", "请签收 #1042"]
    for n, text in enumerate(texts):
        await enqueue(Outbound(Address("app", f"liaison{n}"), text=text), now=now)
    fake_wecom.state.slow("message/send", 2, times=2)
    process = await asyncio.create_subprocess_exec(sys.executable, "-c", WORKER, db, fake_wecom.api_base)
    try:
        for _ in range(3000):  # both sends are out (the sandbox holds their answers) …
            if fake_wecom.state.arrived["message/send"] >= 2:
                break
            await asyncio.sleep(0.01)
        else:
            raise AssertionError("the worker process never sent")
        os.kill(process.pid, signal.SIGKILL)  # … and the process dies before it hears them
    finally:
        await process.wait()
    killed_at = datetime.now(SHANGHAI)
    rows = await OutboxMessage.all()
    assert [r.status for r in rows] == ["pending", "pending"] and all(r.claimed_until for r in rows)
    lapses = max(r.claimed_until for r in rows)
    assert lapses <= killed_at + LEASE and LEASE <= timedelta(minutes=1)  # free again within a minute

    clock = ManualClock(lapses - timedelta(seconds=1))  # just before the lease ends …
    worker = OutboxWorker(WecomApi(http, wecom, clock), clock, [])
    assert await worker.run_once() == 0
    clock.advance(seconds=1)  # … and when it has
    assert await worker.run_once() == 2
    for _ in range(3000):  # the sandbox has taken the dead process's sends too
        if len(fake_wecom.state.calls("message/send")) >= 4:
            break
        await asyncio.sleep(0.01)
    rows = await OutboxMessage.all()
    assert [r.status for r in rows] == ["sent", "sent"] and [unanswered(r.result) for r in rows] == [1, 1]
    delivered = [b["text"]["content"] for b in fake_wecom.state.delivered("message/send")]
    assert Counter(delivered) == Counter(texts)  # sent twice each, kept once each by the duplicate check
