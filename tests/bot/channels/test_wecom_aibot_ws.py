"""The AI bot over the long connection, end to end: the real service dials the sandbox's WebSocket, messages and
card clicks pushed there are handled by the real dispatcher, and the answers go back over the socket through
the outbox (sent by hand here, by a worker that holds the socket)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web

from bot.app import create_app
from bot.channels.wecom_aibot_ws import AibotSocket
from bot.clock import ManualClock
from bot.keys import AIBOT_SOCKET, INBOX, SETTINGS, WECOM_API
from bot.outbox import OutboxWorker
from bot.sandbox.aibot_ws import FakeAibotSocket, Received, ws_url
from bot.sandbox.fake_wecom import RunningFakeWecom
from config.settings import Settings
from models import AibotLink, InboxMessage, OutboxMessage, Request, TicketEvent

BOT_ID, SECRET = "aibgridwhistle", "demo-bot-secret"
ICE = "有人掉冰窟窿里了 快来人"
NIGHT = datetime(2026, 11, 18, 23, 40, tzinfo=ZoneInfo("Asia/Shanghai"))


def socket_settings(settings: Settings, fake: RunningFakeWecom, **aibot: Any) -> Settings:
    wecom = settings.wecom
    bot = wecom.aibot.model_copy(
        update={"mode": "long_connection", "bot_id": BOT_ID, "secret": SECRET, "ws_url": ws_url(fake.base_url), **aibot}
    )
    return settings.model_copy(
        update={
            "wecom": wecom.model_copy(update={"api_base": fake.api_base, "aibot": bot}),
            "alerts": settings.alerts.model_copy(update={"admins": ["admin1"]}),
        }
    )


@dataclass
class SocketService:
    """One process of the service in long-connection mode; the outbox is sent on `settle()`."""

    app: web.Application
    runner: web.AppRunner
    fake: FakeAibotSocket
    worker: OutboxWorker

    @property
    def socket(self) -> AibotSocket:
        return self.app[AIBOT_SOCKET]

    async def settle(self) -> None:
        await self.app[INBOX].until_idle()
        while await self.worker.run_once():
            pass

    async def stop(self) -> None:
        await self.runner.cleanup()


async def start_process(settings: Settings, clock: ManualClock, fake: RunningFakeWecom) -> SocketService:
    app = create_app(settings, clock=clock, migrate=False, load_org=True, background=False)
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    assert fake.state.aibot_ws is not None
    worker = OutboxWorker(app[WECOM_API], clock, app[SETTINGS].alerts.admins, socket=app[AIBOT_SOCKET])
    return SocketService(app, runner, fake.state.aibot_ws, worker)


@pytest.fixture
def bot_settings(settings: Settings, fake_wecom: RunningFakeWecom) -> Settings:
    assert fake_wecom.state.aibot_ws is not None
    fake_wecom.state.aibot_ws.allow(BOT_ID, SECRET)
    return socket_settings(settings, fake_wecom)


@pytest.fixture
async def process(
    bot_settings: Settings, clock: ManualClock, fake_wecom: RunningFakeWecom
) -> AsyncIterator[SocketService]:
    service = await start_process(bot_settings, clock, fake_wecom)
    try:
        await service.socket.until_up()
        yield service
    finally:
        await service.stop()


def cards_to(fake: FakeAibotSocket, userid: str) -> list[dict[str, Any]]:
    return [
        r.body["template_card"]
        for r in fake.sent("aibot_send_msg")
        if r.body["chatid"] == userid and r.body["msgtype"] == "template_card"
    ]


def texts(received: list[Received]) -> list[str]:
    return [r.body["markdown"]["content"] for r in received if r.body.get("msgtype") == "markdown"]


async def stored(count: int) -> None:
    """Until `count` aibot rows are in the inbox (the socket stores each frame as it arrives); fails after 10 s."""
    async with asyncio.timeout(10):
        while await InboxMessage.filter(channel="aibot").count() < count:
            await asyncio.sleep(0.02)


@pytest.mark.clock_start(NIGHT)
async def test_a_message_and_a_card_click_end_to_end_over_the_socket(process: SocketService) -> None:
    fake = process.fake
    msgid = fake.push_text("jiangdahai", ICE)
    await stored(1)
    await process.settle()
    row = await InboxMessage.get(channel="aibot", message_key=msgid)
    assert row.status == "done" and row.payload["text"] == ICE
    request = await Request.get()
    assert request.urgency == "urgent" and request.channel == "aibot"
    # the villager's answer: the message's own req_id, once
    (answer,) = fake.sent("aibot_respond_msg")
    assert "已" in answer.body["markdown"]["content"]
    # the nearest cadre's card comes from the AI bot, in their 1:1 chat with it (no app callback needed)
    (card,) = cards_to(fake, "wangjun")
    assert card["main_title"]["title"].startswith(f"【紧急】#{request.number}")
    # wangjun taps 收到 on the AI bot's card: the click arrives as a frame, the card is replaced for him
    fake.push_click("wangjun", card["button_list"][0]["key"], card["task_id"])
    await stored(2)
    await process.settle()
    (update,) = fake.sent("aibot_respond_update_msg")
    assert update.body["response_type"] == "update_template_card" and update.body["userids"] == ["wangjun"]
    assert update.body["template_card"]["button_list"][0]["text"] == "已收到（王军）"
    said = [r for r in fake.sent("aibot_send_msg") if r.body["chatid"] == "wangjun" and r.body["msgtype"] == "markdown"]
    assert "已确认收到" in texts(said)[-1]
    acks = await TicketEvent.filter(request_id=request.id, kind="urgent_ack").prefetch_related("actor")
    assert [a.actor.name for a in acks] == ["王军"]
    assert not fake.refused
    link = await AibotLink.get(bot_id=BOT_ID)
    assert link.state == "up" and link.reconnects == 0
    assert await OutboxMessage.filter(status="pending").count() == 0
