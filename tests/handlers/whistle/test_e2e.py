"""Blowing the whistle and reporting for duty end to end: the real service (create_app, dispatcher, demo
county) on loopback, WeCom played by the sandbox's callback client, assertions on what the fake WeCom API
received (message/send, message/update_template_card, appchat/create, appchat/send)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.keys import SERVICES
from bot.sandbox.harness import DrivenService
from bot.scheduler import Scheduler
from handlers.whistle import tickers as whistle_tickers
from models import Assignment, Request, RoutingCorrection, Ticket, TicketEvent

FLOOD = "三屯那个桥塌了一半，车过不去，河水漫进猪圈了"  # transport, urgent: whistled at once
BRIDGE = "三屯那个桥塌了一半，车过不去"  # transport, normal: a confirmation card first
BAISHAN = ["zhangwei", "lihong", "wanggang"]
LIAISONS = {
    "transport": ["liutao", "mabin"],
    "water": ["hanxue"],
    "agriculture": ["fengjun", "caolin"],
    "finance": ["fuyu"],
    "development_reform": ["shenkai"],
}


class Sandbox(DrivenService):
    def sends(self, *, to: list[str] | None = None, msgtype: str | None = None) -> list[dict[str, Any]]:
        return [
            b
            for b in self.fake.bodies("message/send")
            if (to is None or b["touser"].split("|") == to) and (msgtype is None or b["msgtype"] == msgtype)
        ]

    def cards_to(self, userids: list[str]) -> list[dict[str, Any]]:
        return [b["template_card"] for b in self.sends(to=userids, msgtype="template_card")]

    def updates_for(self, userids: list[str]) -> list[dict[str, Any]]:
        return [b for b in self.fake.bodies("message/update_template_card") if b["userids"] == userids]


@pytest.fixture
def sandbox(driven_service: DrivenService) -> Sandbox:
    service = driven_service
    return Sandbox(service.app, service.wecom, service.fake, service.worker, service.clock)


@pytest.fixture
async def scheduler(sandbox, settings, clock) -> AsyncIterator[Scheduler]:
    """The real scheduler with the whistle's ticker registered as the service does; tests call run_due()."""
    scheduler = Scheduler(clock=clock, database_url=settings.database.url)
    whistle_tickers.register(scheduler, sandbox.app[SERVICES])
    await scheduler.start()  # elects; with a ManualClock no timers run
    try:
        yield scheduler
    finally:
        await scheduler.stop()


def button(card: dict[str, Any], text: str) -> str:
    return next(b["key"] for b in card["button_list"] if b["text"] == text)


async def test_the_bridge_story_end_to_end(sandbox):
    # a villager reports the washed-out bridge flooding the pig pen: urgent, to transport at once
    await sandbox.wecom.app_text("jiangdahai", FLOOD)
    await sandbox.settle()
    request = await Request.get()
    ticket = await Ticket.get()
    (card,) = sandbox.cards_to(LIAISONS["transport"])
    assert card["card_type"] == "button_interaction" and f"#{ticket.number}" in card["main_title"]["title"]
    assert any("已自动吹哨" in t for t in sandbox.texts_to("zhangwei"))
    # the township blows the whistle for four more departments
    await sandbox.wecom.app_text("zhangwei", f"吹哨 #{request.number} 水务局 农业局 财政局 发改局 现场会商")
    await sandbox.settle()
    assert any("已增派" in t for t in sandbox.texts_to("zhangwei"))
    cards = {code: sandbox.cards_to(users)[-1] for code, users in LIAISONS.items()}
    # the primary's card, sent before the others were added, now names them as 协办 (updated in place)
    (refreshed,) = sandbox.updates_for(LIAISONS["transport"])
    split = dict((f["keyname"], f["value"]) for f in refreshed["template_card"]["horizontal_content_list"])["分工"]
    assert split == "主办 交通运输局；协办 水务局、农业农村局、财政局、发展和改革局"
    assert "协办 交通运输局" not in str(cards["water"]) and "主办 交通运输局；协办 水务局" in str(cards["water"])
    (create,) = sandbox.fake.bodies("appchat/create")
    assert create["chatid"] == f"gwticket{ticket.number}" and create["owner"] == "zhangwei"
    # the joint chat: the township, both village secretaries (双书记) and every department's liaisons
    assert set(create["userlist"]) == {
        "zhangwei",
        "jiangfeng",
        "liuyang",
        *[u for us in LIAISONS.values() for u in us],
    }
    assert sandbox.fake.chats[create["chatid"]]["userlist"] == create["userlist"]
    # every department reports for duty by its card; each click updates the card for all its liaisons
    for code, users in LIAISONS.items():
        await sandbox.wecom.app_card_click(users[-1], button(cards[code], "签收"), cards[code]["task_id"])
        await sandbox.later(minutes=4)
        update = sandbox.updates_for(users)[-1]
        assert [b["text"] for b in update["template_card"]["button_list"]] == ["办结", "进展"]
        cards[code] = update["template_card"]
    assert sandbox.fake.calls("message/update_template_card", ok=False) == []
    # and finishes by the updated card's 办结
    for code, users in LIAISONS.items():
        await sandbox.wecom.app_card_click(users[0], button(cards[code], "办结"), cards[code]["task_id"])
        await sandbox.later(minutes=30)
        done = sandbox.updates_for(users)[-1]["template_card"]["button_list"]
        assert [b["text"][:3] for b in done] == ["已办结"]
    assert (await Ticket.get(id=ticket.id)).status == "resolved"
    chat_posts = [b["text"]["content"] for b in sandbox.fake.bodies("appchat/send")]
    assert len(chat_posts) == 1 + 5 + 5 + 1 and "各部门均已办结" in chat_posts[-1]
    # the villager hears back and rates it on the rating card
    await sandbox.later(minutes=3)
    assert any("交通运输局已签收" in t for t in sandbox.texts_to("jiangdahai"))
    (rating,) = sandbox.cards_to(["jiangdahai"])
    await sandbox.wecom.app_card_click("jiangdahai", button(rating, "满意"), rating["task_id"])
    await sandbox.settle()
    assert (await Request.get(id=request.id)).status == "closed"
    assert await TicketEvent.filter(request_id=request.id, kind="rated").count() == 1


async def test_an_unconfirmed_whistle_goes_after_the_time_out(sandbox, scheduler):
    await sandbox.wecom.app_text("jiangdahai", BRIDGE)
    await sandbox.settle()
    (confirm,) = sandbox.cards_to(BAISHAN)
    assert [b["text"] for b in confirm["button_list"]] == ["确认吹哨", "改派"]
    await sandbox.later(minutes=119)
    await scheduler.run_due()
    await sandbox.settle()
    assert await Ticket.all().count() == 0 and sandbox.cards_to(LIAISONS["transport"]) == []
    await sandbox.later(minutes=2)
    await scheduler.run_due()
    await scheduler.run_due()
    await sandbox.settle()
    ticket = await Ticket.get()
    assert len(sandbox.cards_to(LIAISONS["transport"])) == 1
    assert len([t for t in sandbox.texts_to("lihong") if "已自动吹哨" in t and f"#{ticket.number}" in t]) == 1
    # the confirmation card greyed out for all three members, with the code WeCom gave when it was sent
    (update,) = sandbox.updates_for(BAISHAN)
    assert update["button"]["replace_name"] == "已吹哨（超时自动）"


async def test_a_return_and_a_reassignment_end_to_end(sandbox):
    await sandbox.wecom.app_text("jiangdahai", BRIDGE)
    await sandbox.settle()
    request = await Request.get()
    await sandbox.wecom.app_card_click("lihong", f"whistle:confirm:{request.number}", f"gw-confirm-{request.number}")
    await sandbox.settle()
    ticket = await Ticket.get()
    (card,) = sandbox.cards_to(LIAISONS["transport"])
    await sandbox.wecom.app_card_click("liutao", button(card, "退单"), card["task_id"])
    await sandbox.settle()
    assert "原因" in sandbox.texts_to("liutao")[-1]
    await sandbox.wecom.app_text("liutao", f"退单 #{ticket.number} 这座桥归水务局管护")
    await sandbox.settle()
    # no click code for a text command: the card is updated with the code its send returned
    (update,) = sandbox.updates_for(LIAISONS["transport"])
    assert [b["text"] for b in update["template_card"]["button_list"]] == ["已退单（刘涛）"]
    assert any("被交通运输局（刘涛）退回" in t and "改派" in t for t in sandbox.texts_to("wanggang"))
    await sandbox.wecom.app_text("zhangwei", f"改派 #{ticket.number} 水务局 桥归水务局管护")
    await sandbox.settle()
    (water,) = sandbox.cards_to(["hanxue"])
    assert "主办" in water["main_title"]["title"]
    assert any("已改派" in t for t in sandbox.texts_to("zhangwei"))
    assert (await RoutingCorrection.get()).corrected == "water"
    await sandbox.wecom.app_card_click("hanxue", button(water, "签收"), water["task_id"])
    await sandbox.settle()
    assert (await Assignment.get(ticket=ticket, department__code="water")).state == "on_duty"


async def test_a_missed_deadline_brings_a_warning_then_a_notice_to_the_township(sandbox, scheduler):
    await sandbox.wecom.app_text("jiangdahai", FLOOD)
    await sandbox.settle()
    ticket = await Ticket.get()
    await sandbox.later(minutes=19)
    await scheduler.run_due()
    await sandbox.settle()
    assert not any("提醒" in t for t in sandbox.texts_to("liutao"))
    await sandbox.later(minutes=2)  # 10 minutes before the 30-minute deadline
    await scheduler.run_due()
    await scheduler.run_due()
    await sandbox.settle()
    warnings = [
        b for b in sandbox.sends(to=LIAISONS["transport"], msgtype="text") if "【提醒】" in b["text"]["content"]
    ]
    assert len(warnings) == 1 and "还没有签收" in warnings[0]["text"]["content"]
    await sandbox.later(minutes=10)
    await scheduler.run_due()
    await scheduler.run_due()
    await sandbox.settle()
    notices = [b for b in sandbox.sends(to=BAISHAN, msgtype="text") if "超过签收时限" in b["text"]["content"]]
    assert len(notices) == 1 and f"#{ticket.number}" in notices[0]["text"]["content"]
    # the township urges; the liaisons are told, the card carries the mark from then on
    await sandbox.wecom.app_text("wanggang", f"督办 #{ticket.number} 立即到场")
    await sandbox.settle()
    assert any(t.startswith("【督办】") and "立即到场" in t for t in sandbox.texts_to("mabin"))
    assert (await Assignment.get(ticket=ticket)).urged


async def test_unauthorised_commands_end_to_end(sandbox):
    await sandbox.wecom.app_text("jiangdahai", FLOOD)
    await sandbox.settle()
    ticket = await Ticket.get()
    (card,) = sandbox.cards_to(LIAISONS["transport"])
    await sandbox.wecom.app_text("jiangdahai", f"督办 #{ticket.number}")
    await sandbox.wecom.app_text("chenjing", f"改派 #{ticket.number} 水务局")
    await sandbox.wecom.app_card_click("hanxue", button(card, "签收"), card["task_id"])  # a forwarded card
    await sandbox.settle()
    assert "党委委员" in sandbox.texts_to("jiangdahai")[-1]
    assert "不属于您所在的乡镇" in sandbox.texts_to("chenjing")[-1]
    assert "联络员" in sandbox.texts_to("hanxue")[-1]
    assert sandbox.fake.bodies("message/update_template_card") == []
    assert (await Assignment.get(ticket=ticket)).state == "notified"
    assert await TicketEvent.filter(ticket=ticket, kind="refused").count() == 3
