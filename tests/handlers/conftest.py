"""Driving handlers through the real dispatcher: store an inbox row as a channel would, process it,
and read what was queued in the outbox (the sandbox tests then check what WeCom receives)."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.app import create_app
from bot.calendar import CalendarHolder
from bot.channels.types import Inbound
from bot.keys import SETTINGS, WECOM_API
from bot.outbox import OutboxWorker
from bot.sandbox.callbacks import CallbackClient
from bot.sandbox.fake_wecom import RunningFakeWecom, running_fake_wecom
from bot.sandbox.harness import DrivenService
from bot.dispatch import Dispatcher
from config.settings import DEMO_ORG_FILE, ROUTING_TABLE
from config.subcommands import Subcommands
from config.policy import load_policy
from config.texts import CommandWords, Texts
from handlers.features import routers
from handlers.core.context import Services
from models import InboxMessage, OutboxMessage
from nlp.holder import RouterHolder
from nlp.names import county_names

_ids = itertools.count(1)


@pytest.fixture(scope="session")
def routing() -> RouterHolder:
    """The shipped routing table with the demo county's names, built once per test session."""
    return RouterHolder.load(ROUTING_TABLE, county_names(DEMO_ORG_FILE))


@pytest.fixture
def services(clock, routing) -> Services:
    return Services(
        clock=clock, texts=Texts.load(), commands=CommandWords.load(), policy=load_policy(),
        calendar=CalendarHolder.load(), router=lambda: routing.router, admins=("admin",), subcommands=Subcommands.load_all(),
    )


@pytest.fixture
def dispatcher(db, services) -> Dispatcher:
    return Dispatcher(services, routers())


@pytest.fixture
def say(dispatcher, clock):
    """`await say("app", "zhangwei", "吹哨 #1001 交通局")` → the outbox rows that message produced."""

    async def send(channel: str, sender: str, text: str = "", *, conversation: str = "", kind: str = "text",
                   reply: dict[str, Any] | None = None, extra: dict[str, Any] | None = None) -> list[OutboxMessage]:
        message_id = f"test-{next(_ids)}"
        if channel == "aibot" and reply is None:
            reply = {"response_url": f"http://127.0.0.1:9/aibot/response?code={message_id}"}
        if channel == "kf" and reply is None:
            reply = {"open_kfid": "wkgridwhistledemo"}
        inbound = Inbound(channel=channel, message_id=message_id, sender=sender, conversation=conversation,
                          kind=kind, text=text, received_at=clock.now(), reply=reply or {}, extra=extra or {})
        before = await OutboxMessage.all().order_by("-id").first()
        row = await InboxMessage.create(channel=channel, message_key=message_id, payload=inbound.to_json(),
                                        received_at=clock.now())
        await dispatcher.process(row.id)
        return await OutboxMessage.filter(id__gt=before.id if before else 0).order_by("id")

    return send


@pytest.fixture
async def fake_wecom(settings, clock) -> AsyncIterator[RunningFakeWecom]:
    app = settings.wecom.app
    async with running_fake_wecom(settings.wecom.corp_id, {str(app.agent_id): app.secret}, clock=clock) as running:
        yield running


@pytest.fixture
async def service(settings, clock, fake_wecom):
    """The real service on loopback, pointed at the fake WeCom, driven by hand (bot/sandbox/harness.py): the
    outbox is sent only on `settle()`, so tests decide when WeCom receives."""
    settings = settings.model_copy(update={"wecom": settings.wecom.model_copy(update={"api_base": fake_wecom.api_base})})
    app = create_app(settings, clock=clock, migrate=False, load_org=True, background=False)
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        async with aiohttp.ClientSession() as http:
            wecom = CallbackClient(http, f"http://127.0.0.1:{runner.addresses[0][1]}", app[SETTINGS].wecom, clock,
                                   fake_wecom.state)
            yield DrivenService(app, wecom, fake_wecom.state, OutboxWorker(app[WECOM_API], clock, ()), clock)
    finally:
        await runner.cleanup()
