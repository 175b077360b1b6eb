"""The WeCom sandbox on an unused loopback port, and the outbound client pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.channels.wecom_api import WecomApi
from bot.clock import ManualClock
from bot.sandbox.fake_wecom import RunningFakeWecom, running_fake_wecom
from config.settings import WecomSettings

NO_WAIT = (0.0, 0.0, 0.0)  # retry errcode -1 at once: the tests never sleep


@pytest.fixture
async def fake_wecom(clock: ManualClock) -> AsyncIterator[RunningFakeWecom]:
    defaults = WecomSettings()
    async with running_fake_wecom(defaults.corp_id, {str(defaults.app.agent_id): defaults.app.secret},
                                  clock=clock) as running:
        yield running


@pytest.fixture
def wecom(fake_wecom: RunningFakeWecom) -> WecomSettings:
    return WecomSettings(api_base=fake_wecom.api_base)


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def api(db: str, http: aiohttp.ClientSession, wecom: WecomSettings, clock: ManualClock) -> WecomApi:
    return WecomApi(http, wecom, clock, busy_delays=NO_WAIT)
