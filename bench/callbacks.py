"""Callback intake benchmark (not a test): how fast the service answers WeCom's callbacks.

    /work/venv/bin/python bench/callbacks.py [--requests 4000] [--concurrency 64] [--pg postgres://USER@HOST:PORT/]

For each database (SQLite; PostgreSQL when --pg is given or GRIDWHISTLE_TEST_PG_URL is set) it starts
the real application (`create_app`: verify, decrypt, parse, INSERT the inbox row, answer) in a child
process, with the inbox worker marking rows done, and fires distinct encrypted app callbacks from many
concurrent senders. Beside it, in the same run and on the same machine, a bare aiohttp handler that
reads the body and answers 200 — the floor any aiohttp service pays. Prints callbacks per second and
p50/p99 answer latency for each.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import socket
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp  # noqa: E402
import asyncpg  # noqa: E402
from aiohttp import web  # noqa: E402

from bot.channels.crypto import WecomCrypto  # noqa: E402
from config.settings import load_settings  # noqa: E402


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- the servers, each in a child process ------------------------------------------------------------


def _serve_service(database_url: str, port: int, ready: multiprocessing.Queue) -> None:
    from bot import inbox
    from bot.app import create_app
    from bot.clock import Clock

    settings = load_settings(database={"url": database_url})
    app = create_app(settings, process=inbox.mark_done(Clock()), load_org=False, background=False)
    _run(app, port, ready)


def _serve_bare(port: int, ready: multiprocessing.Queue) -> None:
    async def handler(request: web.Request) -> web.Response:
        await request.read()
        return web.Response()

    app = web.Application(client_max_size=1024 * 1024)
    app.router.add_post("/wecom/app", handler)
    _run(app, port, ready)


def _run(app: web.Application, port: int, ready: multiprocessing.Queue) -> None:
    async def main() -> None:
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        ready.put("ready")
        await asyncio.Event().wait()

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass


# -- the load -----------------------------------------------------------------------------------------


def _callbacks(n: int) -> list[tuple[dict[str, str], str]]:
    """n distinct, properly encrypted text callbacks, made before the clock starts."""
    settings = load_settings()
    wecom = settings.wecom
    crypto = WecomCrypto(wecom.app.token, wecom.app.encoding_aes_key, wecom.corp_id)
    run = uuid.uuid4().int % 10**9
    out = []
    for i in range(n):
        plain = (
            f"<xml><ToUserName><![CDATA[{wecom.corp_id}]]></ToUserName><FromUserName><![CDATA[villager{i % 500}]]>"
            f"</FromUserName><CreateTime>{1700000000 + i}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[村口路灯坏了三天了，晚上看不见路 {i}]]></Content><MsgId>{run}{i:07d}</MsgId>"
            f"<AgentID>{wecom.app.agent_id}</AgentID></xml>"
        )
        sealed = crypto.seal(plain, timestamp=1700000000 + i, nonce=str(i))
        body = f"<xml><ToUserName><![CDATA[{wecom.corp_id}]]></ToUserName><Encrypt><![CDATA[{sealed.encrypt}]]></Encrypt></xml>"
        out.append(({"msg_signature": sealed.signature, "timestamp": sealed.timestamp, "nonce": sealed.nonce}, body))
    return out


async def _fire(url: str, callbacks: list[tuple[dict[str, str], str]], concurrency: int) -> tuple[float, list[float]]:
    latencies: list[float] = []
    queue = iter(callbacks)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def sender() -> None:
            for query, body in queue:
                start = time.perf_counter()
                async with http.post(url, params=query, data=body) as response:
                    await response.read()
                    if response.status != 200:
                        raise RuntimeError(f"answer {response.status}")
                latencies.append(time.perf_counter() - start)

        began = time.perf_counter()
        await asyncio.gather(*(sender() for _ in range(concurrency)))
        wall = time.perf_counter() - began
    return wall, latencies


def _measure(target, args: tuple, requests: int, concurrency: int, warmup: int) -> tuple[float, float, float]:
    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Queue()
    port = _free_port()
    proc = ctx.Process(target=target, args=(*args, port, ready), daemon=True)
    proc.start()
    try:
        ready.get(timeout=60)
        url = f"http://127.0.0.1:{port}/wecom/app"
        callbacks = _callbacks(requests + warmup)
        asyncio.run(_fire(url, callbacks[:warmup], min(concurrency, 8)))
        wall, latencies = asyncio.run(_fire(url, callbacks[warmup:], concurrency))
    finally:
        proc.terminate()
        proc.join(10)
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return len(latencies) / wall, statistics.median(latencies) * 1000, p99 * 1000


async def _pg_database(base: str) -> tuple[str, str]:
    name = f"gw_bench_{uuid.uuid4().hex[:8]}"
    admin = base.rstrip("/") + "/postgres"
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return base.rstrip("/") + "/" + name, admin


async def _drop_pg(admin: str, url: str) -> None:
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
    finally:
        await conn.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument(
        "--pg",
        default=os.environ.get("GRIDWHISTLE_TEST_PG_URL", ""),
        help="PostgreSQL server URL without a database, e.g. postgres://postgres@127.0.0.1:5432/",
    )
    args = parser.parse_args()
    from models.migrate import upgrade

    rows = []
    print(
        f"{args.requests} callbacks, {args.concurrency} concurrent senders, {os.cpu_count()} CPUs, "
        f"Python {sys.version.split()[0]}",
        flush=True,
    )
    rows.append(("bare aiohttp handler", *_measure(_serve_bare, (), args.requests, args.concurrency, args.warmup)))
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite://{tmp}/bench.sqlite3"
        asyncio.run(upgrade(url))
        rows.append(
            ("gridwhistle, SQLite", *_measure(_serve_service, (url,), args.requests, args.concurrency, args.warmup))
        )
    if args.pg:
        url, admin = asyncio.run(_pg_database(args.pg))
        try:
            asyncio.run(upgrade(url))
            rows.append(
                (
                    "gridwhistle, PostgreSQL",
                    *_measure(_serve_service, (url,), args.requests, args.concurrency, args.warmup),
                )
            )
        finally:
            asyncio.run(_drop_pg(admin, url))
    print(f"{'':26}{'callbacks/s':>12}{'p50 ms':>9}{'p99 ms':>9}")
    for name, rate, p50, p99 in rows:
        print(f"{name:26}{rate:12.0f}{p50:9.1f}{p99:9.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
