"""The whole thing on one machine: the fake WeCom API, the service pointed at it, and the demo page.

`running_demo(settings)` starts the fake WeCom API on an unused loopback port, composes the service
with `create_app` (migrations, the org file, routing, workers, scheduler) with `[wecom] api_base` set
to the fake, mounts the page (bot/sandbox/demo_page.py) on the service at /demo, and listens on
`[server] host:port`. Leaving the context stops the service first, then the fake.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from aiohttp import web

from bot.app import create_app
from bot.clock import Clock
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
        settings = settings.model_copy(update={"wecom": wecom.model_copy(update={"api_base": fake.api_base})})
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
