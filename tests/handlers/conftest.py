"""The real service on loopback driven by hand, for the features' end-to-end tests (`say`, `county` and the
other shared fixtures are in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from bot.app import create_app
from bot.clock import ManualClock
from bot.keys import SETTINGS, WECOM_API
from bot.outbox import OutboxWorker
from bot.sandbox.callbacks import CallbackClient
from bot.sandbox.fake_wecom import RunningFakeWecom
from bot.sandbox.harness import DrivenService
from config.settings import Settings


@pytest.fixture
async def driven_service(
    service_settings: Settings, clock: ManualClock, fake_wecom: RunningFakeWecom
) -> AsyncIterator[DrivenService]:
    """The real service on loopback with the demo county, pointed at the fake WeCom, driven by hand
    (bot/sandbox/harness.py): the outbox is sent only on `settle()`, so tests decide when WeCom receives."""
    app = create_app(service_settings, clock=clock, migrate=False, load_org=True, background=False)
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        async with aiohttp.ClientSession() as http:
            wecom = CallbackClient(
                http, f"http://127.0.0.1:{runner.addresses[0][1]}", app[SETTINGS].wecom, clock, fake_wecom.state
            )
            yield DrivenService(app, wecom, fake_wecom.state, OutboxWorker(app[WECOM_API], clock, ()), clock)
    finally:
        await runner.cleanup()
