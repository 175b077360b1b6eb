"""Fixtures for the service's edges: one running instance of the service on loopback (`service`), and the
outbound WeCom client (`api`) pointed at the sandbox (`fake_wecom`, in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot import inbox
from bot.app import create_app
from bot.channels.wecom_api import WecomApi
from bot.clock import ManualClock
from bot.keys import INBOX, KF
from bot.sandbox.fake_wecom import RunningFakeWecom
from config.settings import Settings, WecomSettings

NO_WAIT = (0.0, 0.0, 0.0)  # retry errcode -1 at once: the tests never sleep


@dataclass
class Service:
    """One running instance of the service on loopback; `stop()` is a process ending, `start()` a new one.

    By default its inbox rows are only marked done (no dispatcher) and no org is loaded; `start(**options)`
    passes other create_app options.
    """

    settings: Settings
    clock: ManualClock
    options: dict[str, Any]
    runner: web.AppRunner | None = None
    base_url: str = ""

    @property
    def app(self) -> web.Application:
        assert self.runner is not None
        return self.runner.app

    async def start(self, **options: Any) -> Service:
        opts = {
            "process": inbox.mark_done(self.clock),
            "load_org": False,
            "background": False,
            "migrate": False,
            **self.options,
            **options,
        }
        app = create_app(self.settings, clock=self.clock, **opts)
        self.runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.base_url = f"http://127.0.0.1:{self.runner.addresses[0][1]}"
        return self

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None

    async def settled(self) -> None:
        """Wait (without sleeping) until kf pulls and the inbox worker have nothing left to do."""
        await self.app[KF].until_idle()
        await self.app[INBOX].until_idle()


@pytest.fixture
async def service(service_settings: Settings, clock: ManualClock) -> AsyncIterator[Service]:
    svc = Service(service_settings, clock, {})
    await svc.start()
    try:
        yield svc
    finally:
        await svc.stop()


@pytest.fixture
def wecom(settings: Settings, fake_wecom: RunningFakeWecom) -> WecomSettings:
    """The WeCom settings of `settings`, pointed at the sandbox."""
    return settings.wecom.model_copy(update={"api_base": fake_wecom.api_base})


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def api(db: str, http: aiohttp.ClientSession, wecom: WecomSettings, clock: ManualClock) -> WecomApi:
    """The outbound WeCom client against the sandbox, retrying errcode -1 without waiting."""
    return WecomApi(http, wecom, clock, busy_delays=NO_WAIT)
