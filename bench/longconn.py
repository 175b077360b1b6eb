"""The AI bot's long connection against the sandbox (not a test): throughput and recovery.

    .venv/bin/python bench/longconn.py [--messages 2000] [--drops 5]

On a fresh SQLite database it starts the sandbox fake WeCom and the real application in long-connection
mode (`create_app`, the socket dialling the sandbox's /aibot/ws), with a stand-in for the dispatcher that
answers every message (so each message is: frame pushed → inbox row → answer queued → outbox → one
`aibot_respond_msg` frame → WeCom's acknowledgement). It reports:

- messages per second over the one connection, pushed in one burst until every answer is acknowledged;
  beside it, in the same run, the same number of messages through the callback mode (encrypted POSTs to
  /wecom/aibot, 8 at a time, answered through response_url) as the baseline;
- the time from a dropped connection (cut without a close frame) to the first message after it handled,
  with the share of it that is the deliberate back-off before dialling again (0.5–1 s: jitter);
- a welcome (enter_chat) pushed behind a backlog of messages: the time until its welcome frame reached WeCom
  (which takes it only within 5 s), beside the time the backlog before it took to be answered.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp  # noqa: E402
from aiohttp import web  # noqa: E402

from bot.app import create_app  # noqa: E402
from bot.channels.crypto import WecomCrypto  # noqa: E402
from bot.channels.types import Address, Inbound, Outbound  # noqa: E402
from bot.clock import Clock  # noqa: E402
from bot.keys import AIBOT_SOCKET, OUTBOX_WAKE  # noqa: E402
from bot.outbox import NORMAL, PROMPT, enqueue  # noqa: E402
from bot.sandbox.aibot_ws import ws_url  # noqa: E402
from bot.sandbox.fake_wecom import create_fake_wecom, start_fake_wecom  # noqa: E402
from config.settings import load_settings  # noqa: E402
from models import InboxMessage  # noqa: E402
from models.migrate import upgrade  # noqa: E402

BOT_ID, SECRET = "aibbench", "bench-secret"


def answering(clock: Clock, app: web.Application):  # type: ignore[no-untyped-def]
    """A dispatcher stand-in: mark the row done and queue one answer where the message came from."""

    async def process(row_id: int) -> None:
        row = await InboxMessage.get(id=row_id)
        if row.status != "pending":
            return
        inbound = Inbound.from_json(row.payload)
        target = str(inbound.reply.get("response_url") or "")
        priority = PROMPT if inbound.timely else NORMAL  # as the dispatcher's answer
        await enqueue(
            Outbound(to=Address("aibot", target), text="收到"),
            now=clock.now(),
            dedupe_key=f"r:{row_id}",
            priority=priority,
        )
        await InboxMessage.filter(id=row_id).update(status="done", processed_at=clock.now())
        app[OUTBOX_WAKE].set()

    return process


async def start(mode: str, database_url: str, fake_base: str, api_base: str):  # type: ignore[no-untyped-def]
    clock = Clock()
    aibot = {"mode": mode, "bot_id": BOT_ID, "secret": SECRET, "ws_url": ws_url(fake_base)}
    settings = load_settings(database={"url": database_url}, wecom={"api_base": api_base, "aibot": aibot})
    holder: dict[str, web.Application] = {}

    async def process(row_id: int) -> None:
        await answering(clock, holder["app"])(row_id)

    app = create_app(settings, clock=clock, process=process, load_org=False, migrate=False, background=True)
    holder["app"] = app
    runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return app, runner, settings, f"http://127.0.0.1:{runner.addresses[0][1]}"


async def until(predicate, timeout: float = 600.0, every: float = 0.005) -> None:  # type: ignore[no-untyped-def]
    async with asyncio.timeout(timeout):
        while not await predicate():
            await asyncio.sleep(every)


async def socket_burst(fake, n: int) -> float:  # type: ignore[no-untyped-def]
    before = len(fake.sent("aibot_respond_msg"))
    started = time.perf_counter()
    for i in range(n):
        fake.push_text("zhangsan", f"路灯坏了 {i}")

    async def done() -> bool:
        return len(fake.sent("aibot_respond_msg")) - before >= n

    await until(done)
    return n / (time.perf_counter() - started)


async def callback_burst(fake, service_url: str, settings, n: int) -> float:  # type: ignore[no-untyped-def]
    crypto = WecomCrypto(settings.wecom.aibot.token, settings.wecom.aibot.encoding_aes_key, "")
    before = len(fake.calls("aibot/response", ok=True))
    tag = time.perf_counter_ns()  # the warm-up's msgids must not make the burst's look like retries
    bodies = []
    for i in range(n):
        message = {
            "msgid": f"cb{tag}-{i}",
            "aibotid": BOT_ID,
            "chattype": "single",
            "from": {"userid": "zhangsan"},
            "response_url": fake.response_url(),
            "msgtype": "text",
            "text": {"content": f"路灯坏了 {i}"},
        }
        sealed = crypto.seal(json.dumps(message, ensure_ascii=False), timestamp=int(time.time()), nonce=str(i))
        query = {"msg_signature": sealed.signature, "timestamp": sealed.timestamp, "nonce": sealed.nonce}
        bodies.append((query, json.dumps({"encrypt": sealed.encrypt})))
    queue: asyncio.Queue = asyncio.Queue()
    for item in bodies:
        queue.put_nowait(item)
    started = time.perf_counter()
    async with aiohttp.ClientSession() as http:

        async def sender() -> None:
            while not queue.empty():
                query, body = queue.get_nowait()
                async with http.post(f"{service_url}/wecom/aibot", params=query, data=body) as response:
                    assert response.status == 200, response.status

        await asyncio.gather(*(sender() for _ in range(8)))

    async def done() -> bool:
        return len(fake.calls("aibot/response", ok=True)) - before >= n

    await until(done)
    return n / (time.perf_counter() - started)


async def recovery(app, fake, drops: int) -> list[tuple[float, float]]:  # type: ignore[no-untyped-def]
    """(seconds from the drop to the next message handled, of which the back-off) per drop."""
    socket = app[AIBOT_SOCKET]
    figures = []
    for i in range(drops):
        await socket.until_up()
        delays: list[float] = []
        original = socket._delay

        def recording(failures: int, original=original, delays=delays) -> float:
            delays.append(original(failures))
            return delays[-1]

        socket._delay = recording
        started = time.perf_counter()
        await fake.drop()
        msgid = fake.push_text("zhangsan", f"断线后 {i}")

        async def handled(msgid: str = msgid) -> bool:
            return await InboxMessage.filter(message_key=msgid, status="done").exists()

        await until(handled, timeout=120)
        figures.append((time.perf_counter() - started, sum(delays)))
        socket._delay = original
    return figures


async def welcome_behind(fake, backlog: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """(seconds from an enter_chat pushed behind `backlog` messages to its welcome frame, seconds until the
    backlog's last answer was acknowledged)."""
    answered = len(fake.sent("aibot_respond_msg"))
    started = time.perf_counter()
    for i in range(backlog):
        fake.push_text(f"villager{i % 200}", f"路灯坏了 {i}")
    fake.push_enter("zhangsan")

    async def welcomed() -> bool:
        return bool(fake.sent("aibot_respond_welcome_msg"))

    async def cleared() -> bool:
        return len(fake.sent("aibot_respond_msg")) - answered >= backlog

    await until(welcomed)
    welcome = time.perf_counter() - started
    await until(cleared)
    return welcome, time.perf_counter() - started


async def _stage(mode: str, messages: int, drops: int) -> tuple[float, list[tuple[float, float]]]:
    """One mode on a database and a sandbox of its own (each stage runs in a process of its own)."""
    with tempfile.TemporaryDirectory() as tmp:
        database_url = f"sqlite://{tmp}/bench.sqlite3"
        await upgrade(database_url)
        fake = await start_fake_wecom(create_fake_wecom("wwgridwhistledemo", {"1000002": "gridwhistle-demo-secret"}))
        assert fake.state.aibot_ws is not None
        fake.state.aibot_ws.allow(BOT_ID, SECRET)
        try:
            app, runner, settings, url = await start(mode, database_url, fake.base_url, fake.api_base)
            try:
                if mode == "callback":
                    await callback_burst(fake.state, url, settings, 50)  # warm-up
                    return await callback_burst(fake.state, url, settings, messages), []
                await app[AIBOT_SOCKET].until_up()
                await socket_burst(fake.state.aibot_ws, 50)  # warm-up
                rate = await socket_burst(fake.state.aibot_ws, messages)
                figures = await recovery(app, fake.state.aibot_ws, drops)
                await app[AIBOT_SOCKET].until_up()
                return rate, [*figures, await welcome_behind(fake.state.aibot_ws, messages)]
            finally:
                await runner.cleanup()
        finally:
            await fake.close()


def stage(mode: str, messages: int, drops: int) -> tuple[float, list[tuple[float, float]]]:
    """Run one stage in a child process of its own (a fresh ORM, loop and sandbox): its figures."""
    command = [sys.executable, __file__, "--stage", mode, "--messages", str(messages), "--drops", str(drops)]
    done = subprocess.run(command, capture_output=True, text=True, check=True, timeout=1800)
    rate, figures = json.loads(done.stdout.strip().splitlines()[-1])
    return rate, [tuple(f) for f in figures]


def main(messages: int, drops: int) -> None:
    socket_rate, figures = stage("long_connection", messages, drops)
    callback_rate, _ = stage("callback", messages, 0)
    print(f"messages answered per second, {messages} in one burst (SQLite):")
    print(f"  long connection (one socket)       {socket_rate:8.0f}/s")
    print(f"  callback mode (baseline, 8 POSTs)  {callback_rate:8.0f}/s   ratio {socket_rate / callback_rate:.2f}")
    figures, (welcome, backlog) = figures[:-1], figures[-1]
    print(f"a welcome pushed behind {messages} messages (WeCom takes it only within 5 s):")
    print(f"  welcome frame sent after {welcome:.2f} s; the backlog before it answered after {backlog:.2f} s")
    totals = [t for t, _ in figures]
    backoffs = [b for _, b in figures]
    print(f"dropped connection → next message handled, {drops} drops:")
    print(f"  median {statistics.median(totals):.2f} s, max {max(totals):.2f} s")
    print(f"  of which the back-off before dialling again: median {statistics.median(backoffs):.2f} s;")
    print(
        f"  the rest (reconnect, subscribe, push, store, handle): median {statistics.median(t - b for t, b in figures):.3f} s"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--drops", type=int, default=5)
    parser.add_argument("--stage", choices=("long_connection", "callback"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stage:
        logging.basicConfig(level=logging.ERROR)
        print(json.dumps(asyncio.run(_stage(args.stage, args.messages, args.drops))), flush=True)
        os._exit(0)  # the figures are out; do not wait for the sandbox's last sockets to wind down
    main(args.messages, args.drops)
