"""The whole thing on one machine: the fake WeCom API, the service pointed at it, and the demo page.

`running_demo(settings)` starts the fake WeCom API on an unused loopback port, composes the service
with `create_app` (migrations, the org file, routing, workers, scheduler) with `[wecom] api_base` set
to the fake, mounts the page (bot/sandbox/demo_page.py) on the service at /demo, and listens on
`[server] host:port`. Leaving the context stops the service first, then the fake.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from aiohttp import web

from bot.app import create_app
from bot.clock import Clock
from bot.sandbox.aibot_ws import ws_url as aibot_ws_url
from bot.sandbox.demo_page import PREFIX, DemoState, add_demo_page, prime_kf
from bot.sandbox.fake_wecom import RunningFakeWecom, create_fake_wecom, start_fake_wecom
from config.errors import ConfigError
from config.paths import DEMO_POWERS_FILE
from config.settings import PowersSettings, Settings


@dataclass
class RunningDemo:
    service_url: str
    fake: RunningFakeWecom
    state: DemoState

    @property
    def page_url(self) -> str:
        return f"{self.service_url}{PREFIX}/"


@asynccontextmanager
async def running_demo(
    settings: Settings, *, clock: Clock | None = None, background: bool = True
) -> AsyncIterator[RunningDemo]:
    """The demo, started; `background=False` leaves the scheduler and outbox worker off (the page's
    requests still send what is due, so tests see every answer without waiting on timers)."""
    clock = clock or Clock()
    wecom = settings.wecom
    fake = await start_fake_wecom(
        create_fake_wecom(wecom.corp_id, {str(wecom.app.agent_id): wecom.app.secret}, clock=clock)
    )
    try:
        # the fake plays WeCom's API and its web sign-in (the console's 控制台 link signs in as the person played)
        wecom = wecom.model_copy(
            update={"api_base": fake.api_base, "oauth_base": fake.base_url, "sso_base": fake.base_url}
        )
        if wecom.aibot.long_connection:  # the bot dials the sandbox's long-connection endpoint
            assert fake.state.aibot_ws is not None
            fake.state.aibot_ws.allow(wecom.aibot.bot_id, wecom.aibot.secret)
            aibot = wecom.aibot.model_copy(update={"ws_url": aibot_ws_url(fake.base_url)})
            wecom = wecom.model_copy(update={"aibot": aibot})
        settings = settings.model_copy(update={"wecom": wecom})
        if settings.powers.file is None:  # the demo county answers from its example small-powers list
            settings = settings.model_copy(update={"powers": PowersSettings(file=DEMO_POWERS_FILE)})
        host, port = settings.server.host, settings.server.port
        service_url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::', '') else host}:{port}"
        app = create_app(settings, clock=clock, background=background)
        state = DemoState(service=app, fake=fake.state, service_url=service_url)
        add_demo_page(app, state)
        runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await runner.setup()
        try:
            try:
                await web.TCPSite(runner, host, port).start()
            except OSError as exc:
                raise ConfigError(
                    f"[server] port {port}: cannot listen on {host}:{port} ({exc.strerror}); "
                    "choose another port with --port N"
                ) from None
            await prime_kf(state)
            yield RunningDemo(service_url, fake, state)
        finally:
            await runner.cleanup()
    finally:
        await fake.close()


def archivable(url: str) -> Path | None:
    """The demo database's file when it is a SQLite file (the only kind 重置演示 starts over), else None."""
    if not url.startswith("sqlite://") or ":memory:" in url:
        return None
    return Path(url.removeprefix("sqlite://").split("?", 1)[0])


def archive_database(url: str, now: datetime) -> Path | None:
    """Move the SQLite file (and its -wal/-shm) aside as FILE.reset-YYYYmmdd-HHMMSS; the next start makes a new one."""
    path = archivable(url)
    if path is None or not path.exists():
        return None
    target = path.with_name(f"{path.name}.reset-{now:%Y%m%d-%H%M%S}")
    for suffix in ("", "-wal", "-shm"):
        source = path.with_name(path.name + suffix)
        if source.exists():
            source.rename(target.with_name(target.name + suffix))
    return target


async def serve_demo(
    settings: Settings,
    stop: asyncio.Event,
    *,
    clock: Clock | None = None,
    on_start: Callable[[RunningDemo], None] = lambda demo: None,
) -> None:
    """Run the demo until `stop`; each 重置演示 stops it, archives its database and starts it again."""
    clock = clock or Clock()
    while True:
        async with running_demo(settings, clock=clock) as demo:
            on_start(demo)
            waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(demo.state.reset.wait())]
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            for wait in waits:
                wait.cancel()
        if stop.is_set():
            return
        archive_database(settings.database.url, clock.now())
