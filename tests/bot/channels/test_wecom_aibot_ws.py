"""The AI bot over the long connection, end to end: the real service dials the sandbox's WebSocket, messages and
card clicks pushed there are handled by the real dispatcher, and the answers go back over the socket through
the outbox (sent by hand here, by a worker that holds the socket)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
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


async def test_a_connection_dropped_mid_burst_loses_nothing_and_doubles_nothing(process: SocketService) -> None:
    fake = process.fake
    fake.drop_after(7)  # the 7th frame may or may not have arrived: WeCom pushes it again on the next connection
    msgids = [fake.push_text("jiangdahai", f"帮助 {n}") for n in range(20)]
    await stored(20)
    await fake.wait_for(lambda: not fake.queue)
    assert fake.subscriptions == 2  # it came back by itself
    rows = await InboxMessage.filter(channel="aibot").order_by("id").values_list("message_key", flat=True)
    assert rows == msgids  # each once, in the order pushed
    await process.settle()
    answers = fake.sent("aibot_respond_msg")
    assert len(answers) == 20 and len({a.req_id for a in answers}) == 20
    assert not fake.refused
    link = await AibotLink.get(bot_id=BOT_ID)
    assert link.state == "up" and link.reconnects == 1


async def test_answers_wait_in_the_outbox_while_the_socket_is_down(process: SocketService, clock: ManualClock) -> None:
    fake = process.fake
    fake.push_text("jiangdahai", "帮助")
    await stored(1)
    await process.app[INBOX].until_idle()
    await fake.drop()
    await fake.wait_for(lambda: not process.socket.ready)
    assert await process.worker.run_once() == 0  # nothing to send it over: not an attempt, not lost
    row = await OutboxMessage.get(status="pending")
    assert row.attempts == 0
    await process.socket.until_up()
    clock.advance(seconds=2)
    await process.settle()
    (answer,) = fake.sent("aibot_respond_msg")
    await row.refresh_from_db()
    assert row.status == "sent" and answer.connection == 2


async def test_unanswered_pings_mean_a_dead_connection(
    settings: Settings, clock: ManualClock, fake_wecom: RunningFakeWecom
) -> None:
    assert fake_wecom.state.aibot_ws is not None
    fake = fake_wecom.state.aibot_ws
    fake.allow(BOT_ID, SECRET)
    service = await start_process(socket_settings(settings, fake_wecom, ping_seconds=0.05), clock, fake_wecom)
    try:
        await service.socket.until_up()
        await fake.wait_for(lambda: fake.pings >= 2)
        assert fake.subscriptions == 1  # answered pings keep it
        fake.mute_pings()
        await fake.wait_for(lambda: fake.subscriptions == 2)
    finally:
        await service.stop()


async def test_a_displaced_connection_stays_down_tells_the_admins_and_a_restart_brings_it_back(
    settings: Settings, clock: ManualClock, fake_wecom: RunningFakeWecom
) -> None:
    assert fake_wecom.state.aibot_ws is not None
    fake = fake_wecom.state.aibot_ws
    fake.allow(BOT_ID, SECRET)
    bot_settings = socket_settings(settings, fake_wecom, elect_seconds=0.05)
    first = await start_process(bot_settings, clock, fake_wecom)
    try:
        await first.socket.until_up()
        await fake.displace()  # another program subscribed for the bot
        await fake.wait_for(lambda: first.socket.displaced)
        msgid = fake.push_text("jiangdahai", "帮助")
        with pytest.raises(TimeoutError):  # it does not dial back (that would kick the other one off)
            await fake.wait_for(lambda: fake.subscriptions > 1, timeout=0.5)
        assert (await AibotLink.get(bot_id=BOT_ID)).state == "displaced"
        alert = await OutboxMessage.get(dedupe_key__startswith="aibot-displaced:")
        assert alert.target == "admin1" and "顶替" in alert.payload["text"]
        assert not await InboxMessage.filter(message_key=msgid).exists()
    finally:
        await first.stop()
    second = await start_process(bot_settings, clock, fake_wecom)  # the admin restarts the service
    try:
        await second.socket.until_up()
        await stored(1)  # what WeCom held meanwhile arrives
        assert (await AibotLink.get(bot_id=BOT_ID)).state == "up"
    finally:
        await second.stop()


async def test_an_outage_longer_than_the_setting_tells_the_admins_once_and_healthz_says_so(
    settings: Settings, clock: ManualClock, fake_wecom: RunningFakeWecom
) -> None:
    # WeCom refuses the subscription (a wrong secret): the connection never comes up
    service = await start_process(socket_settings(settings, fake_wecom, outage_alert_seconds=120), clock, fake_wecom)
    try:
        async with asyncio.timeout(10):
            while await AibotLink.get_or_none(bot_id=BOT_ID) is None:
                await asyncio.sleep(0.02)
        assert not await service.socket.check_outage()  # not long enough yet
        clock.advance(seconds=121)
        assert await service.socket.check_outage()
        assert not await service.socket.check_outage()  # once per outage
        (alert,) = await OutboxMessage.filter(dedupe_key__startswith="aibot-outage:")
        assert alert.target == "admin1" and "断开" in alert.payload["text"]
        site = web.TCPSite(service.runner, "127.0.0.1", 0)
        await site.start()
        port = service.runner.addresses[0][1]
        async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/healthz") as response:
            health = await response.json()
        assert response.status == 200 and not health["ok"]
        assert health["aibot_long_connection"]["up"] is False
        assert any("aibot long connection: down for" in p for p in health["problems"])
    finally:
        await service.stop()


@pytest.fixture
def on_postgres(test_db_backend: str) -> None:
    if test_db_backend != "postgres":
        pytest.skip("several processes share the socket's leadership on PostgreSQL (GRIDWHISTLE_TEST_DB=postgres)")


async def test_a_second_process_takes_over_without_displacing_a_live_leader(
    on_postgres: None, settings: Settings, clock: ManualClock, fake_wecom: RunningFakeWecom
) -> None:
    assert fake_wecom.state.aibot_ws is not None
    fake = fake_wecom.state.aibot_ws
    fake.allow(BOT_ID, SECRET)
    bot_settings = socket_settings(settings, fake_wecom, elect_seconds=0.05)
    first = await start_process(bot_settings, clock, fake_wecom)
    await first.socket.until_up()
    # (started once the first is up: two services in one test process share tortoise's connections, and the
    # second's start renews them — the first, caught writing its state, would reconnect and count twice)
    second = await start_process(bot_settings, clock, fake_wecom)
    try:
        with pytest.raises(TimeoutError):  # the second keeps trying the lock, and never dials the live leader off
            await fake.wait_for(lambda: fake.subscriptions > 1, timeout=0.5)
        assert first.socket.ready and not second.socket.ready
        # a message's answer: the process without the socket leaves it to the leader
        fake.push_text("jiangdahai", "帮助")
        await stored(1)
        await first.app[INBOX].until_idle()
        await second.app[INBOX].until_idle()
        assert await OutboxMessage.filter(status="pending").count() == 1
        assert await second.worker.run_once() == 0
        assert await first.worker.run_once() == 1
        assert len(fake.sent("aibot_respond_msg")) == 1
        await first.socket.stop()  # the leader's process ends: its socket closes, its lock goes with its session
        await second.socket.until_up()
        fake.push_text("jiangdahai", "帮助 再来")
        await stored(2)
        await second.settle()
        answers = fake.sent("aibot_respond_msg")
        assert len(answers) == 2 and answers[1].connection == 2
        assert fake.displacements == 0 and fake.subscriptions == 2
        link = await AibotLink.get(bot_id=BOT_ID)
        assert link.state == "up" and link.holder == second.socket.holder
    finally:
        await second.stop()
        await first.stop()


async def test_a_leader_whose_database_session_dies_hands_over_and_is_not_taken_for_displaced(
    on_postgres: None, settings: Settings, clock: ManualClock, fake_wecom: RunningFakeWecom
) -> None:
    assert fake_wecom.state.aibot_ws is not None
    fake = fake_wecom.state.aibot_ws
    fake.allow(BOT_ID, SECRET)
    bot_settings = socket_settings(settings, fake_wecom, elect_seconds=0.05)
    first = await start_process(bot_settings, clock, fake_wecom)
    await first.socket.until_up()
    # (started once the first is up: two services in one test process share tortoise's connections, and the
    # second's start renews them — the first, caught writing its state, would reconnect and count twice)
    second = await start_process(bot_settings, clock, fake_wecom)
    try:
        lock_session = first.socket.leadership._conn
        assert lock_session is not None
        lock_session.terminate()  # PostgreSQL ends the leader's session (its lock with it); its socket lives on
        await second.socket.until_up()  # the successor subscribes, and WeCom closes the old connection
        await fake.wait_for(lambda: not first.socket.ready)
        assert not first.socket.displaced  # its lock was gone: that was its successor, not a stranger
        link = await AibotLink.get(bot_id=BOT_ID)
        assert link.state == "up" and link.holder == second.socket.holder
        assert not await OutboxMessage.filter(dedupe_key__startswith="aibot-displaced:").exists()
        fake.push_text("jiangdahai", "帮助")
        await stored(1)
        await second.settle()
        assert len(fake.sent("aibot_respond_msg")) == 1
        with pytest.raises(TimeoutError):  # the old leader stands by: it asks for the lock, never dials the new one off
            await fake.wait_for(lambda: fake.subscriptions > 2, timeout=0.5)
        await second.socket.stop()  # and when the new leader goes, it takes over again
        await first.socket.until_up()
    finally:
        await second.stop()
        await first.stop()


async def test_entering_the_chat_is_welcomed_over_the_socket_by_name(process: SocketService) -> None:
    fake = process.fake
    fake.push_enter("jiangdahai")
    await stored(1)
    await process.settle()
    (welcome,) = fake.sent("aibot_respond_welcome_msg")
    text = welcome.body["markdown"]["content"] if "markdown" in welcome.body else welcome.body["text"]["content"]
    assert text.startswith("姜大海，您好") and "直接在这儿说" in text
    assert not fake.refused


async def test_a_displaced_bot_is_taken_back_by_a_command_without_a_restart(
    settings: Settings, clock: ManualClock, fake_wecom: RunningFakeWecom, gridwhistle: Any, tmp_path: Path
) -> None:
    assert fake_wecom.state.aibot_ws is not None
    fake = fake_wecom.state.aibot_ws
    fake.allow(BOT_ID, SECRET)
    service = await start_process(socket_settings(settings, fake_wecom, elect_seconds=0.05), clock, fake_wecom)
    config = tmp_path / "admin.toml"
    config.write_text(
        f'[database]\nurl = "{settings.database.url}"\n\n[wecom.aibot]\nbot_id = "{BOT_ID}"\n', encoding="utf-8"
    )
    try:
        await service.socket.until_up()
        await fake.displace()
        await fake.wait_for(lambda: service.socket.displaced)
        fake.push_text("jiangdahai", "帮助")  # WeCom holds it for whoever subscribes next
        code, out, _ = await gridwhistle("aibot", "status", "--config", str(config))
        assert code == 0 and "displaced" in out and "gridwhistle aibot resume" in out
        code, out, _ = await gridwhistle("aibot", "resume", "--config", str(config))
        assert code == 0 and "may dial again" in out
        await fake.wait_for(lambda: fake.subscriptions == 2)  # the same process, no restart
        await service.socket.until_up()
        await stored(1)
        code, out, _ = await gridwhistle("aibot", "resume", "--config", str(config))
        assert code == 0 and "not displaced" in out
        code, out, _ = await gridwhistle("aibot", "status", "--config", str(config))
        assert f"aibot {BOT_ID}: up" in out and "reconnects 1" in out
    finally:
        await service.stop()


async def test_a_welcome_pushed_behind_a_burst_is_stored_and_handled_first(process: SocketService) -> None:
    fake = process.fake
    for n in range(120):
        fake.push_text("jiangdahai", f"帮助 {n}")
    entered = fake.push_enter("wangjun")
    async with asyncio.timeout(20):
        while not await InboxMessage.filter(message_key=entered, status="done").exists():
            await asyncio.sleep(0.01)
    # read off the socket behind 120 pushes, it was stored and handled while most of them still waited
    assert await InboxMessage.filter(channel="aibot", status="done").count() < 60
    await process.settle()
    (sent,) = fake.sent("aibot_respond_welcome_msg")
    assert "王军" in str(sent.body)
    assert len(fake.sent("aibot_respond_msg")) == 120
