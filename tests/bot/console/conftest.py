"""The console under test: the real service on loopback with the demo county and a month of seeded
matters, WeCom played by the sandbox (its sign-in too), and HTTP clients that sign in as someone."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import quote

import aiohttp
import pytest
from aiohttp import web

from bot import inbox
from bot.app import create_app
from bot.clock import ManualClock
from bot.sandbox.fake_wecom import RunningFakeWecom
from config.paths import DEMO_INDEX_FILE
from config.settings import Settings
from tests.bot.console.seed import seed_month


@dataclass
class Console:
    url: str
    fake: RunningFakeWecom
    app: web.Application
    clock: ManualClock

    def play_url(self, userid: str, path: str = "/console/") -> str:
        """The demo page's 控制台 link for a person: the fake WeCom remembers whom it plays, then the console."""
        return f"{self.fake.base_url}/_sandbox/play?userid={userid}&next={quote(self.url + path, safe='')}"


@pytest.fixture
async def console(settings: Settings, fake_wecom: RunningFakeWecom, clock: ManualClock) -> AsyncIterator[Console]:
    wecom = settings.wecom.model_copy(
        update={"api_base": fake_wecom.api_base, "oauth_base": fake_wecom.base_url, "sso_base": fake_wecom.base_url}
    )
    port = unused_port()
    server = settings.server.model_copy(update={"port": port, "public_url": f"http://127.0.0.1:{port}"})
    index = settings.index.model_copy(update={"file": DEMO_INDEX_FILE})  # the 指数 page has the demo's index
    app = create_app(
        settings.model_copy(update={"wecom": wecom, "server": server, "index": index}),
        clock=clock,
        process=inbox.mark_done(clock),
        migrate=False,
        load_org=True,
        background=False,
    )
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        await seed_month(clock.now())
        yield Console(f"http://127.0.0.1:{runner.addresses[0][1]}", fake_wecom, app, clock)
    finally:
        await runner.cleanup()


def unused_port() -> int:
    """A free loopback port, known before the service starts: WeCom's redirect URI names it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


SignIn = Callable[[str], Awaitable[aiohttp.ClientSession]]


@pytest.fixture
async def signed_in(console: Console) -> AsyncIterator[SignIn]:
    """`await signed_in("zhangwei")`: an HTTP client that went through the sandbox's WeCom sign-in as that person."""
    sessions: list[aiohttp.ClientSession] = []

    async def sign_in(userid: str) -> aiohttp.ClientSession:
        http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))  # cookies for 127.0.0.1
        sessions.append(http)
        async with http.get(console.play_url(userid)) as response:
            await response.read()
        return http

    try:
        yield sign_in
    finally:
        for http in sessions:
            await http.close()
