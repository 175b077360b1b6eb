"""The loop as people live it, end to end through the sandbox: the department's card says who to call back,
the liaison's notes reach the villager before the question that rates them, and every copy of a card follows
the truth whether the liaison typed or tapped."""

from __future__ import annotations

from typing import Any

import pytest

from bot.sandbox.harness import DrivenService
from models import Assignment, Request, Ticket, TicketEvent

FLOOD = "三屯那个桥塌了一半，车过不去，河水漫进猪圈了"  # transport, urgent: whistled at once
TRANSPORT = ["liutao", "mabin"]
GRID3_CHAT = "wrkSFfCgAAhoudaolao3"
GRID3_WEBHOOK = "00000000-demo-4a00-8000-houdaolao003"
COMBINE = {"minutes": 3}  # past [requests] hearback_combine_seconds


class Loop(DrivenService):
    def sent_to(self, userid: str) -> list[dict[str, Any]]:
        return [b for b in self.fake.bodies("message/send") if userid in b["touser"].split("|")]

    def cards_to(self, userids: list[str]) -> list[dict[str, Any]]:
        return [
            b["template_card"]
            for b in self.fake.bodies("message/send")
            if b["touser"].split("|") == userids and b["msgtype"] == "template_card"
        ]

    def updates_for(self, userids: list[str]) -> list[dict[str, Any]]:
        return [b for b in self.fake.bodies("message/update_template_card") if b["userids"] == userids]

    def webhook_texts(self, key: str) -> list[str]:
        return [
            c.body["text"]["content"] for c in self.fake.calls("webhook/send", ok=True) if c.params.get("key") == key
        ]


@pytest.fixture
def loop(driven_service: DrivenService) -> Loop:
    service = driven_service
    return Loop(service.app, service.wecom, service.fake, service.worker, service.clock)


def fields(card: dict[str, Any]) -> dict[str, str]:
    return {f["keyname"]: f["value"] for f in card.get("horizontal_content_list", [])}


def buttons(card: dict[str, Any]) -> list[str]:
    return [b["text"] for b in card["button_list"]]


def key_of(card: dict[str, Any], text: str) -> str:
    return next(b["key"] for b in card["button_list"] if b["text"] == text)


async def test_the_department_card_says_who_to_call_back(loop):
    await loop.wecom.app_image("jiangdahai", b"\x89PNG photo of the bridge")
    await loop.wecom.app_text("jiangdahai", FLOOD)
    await loop.settle()
    ticket = await Ticket.get()
    (card,) = loop.cards_to(TRANSPORT)
    assert card["main_title"]["title"] == f"哨单 #{ticket.number}｜主办｜紧急"
    shown = fields(card)
    assert shown["反映人"].startswith("姜大海，姜大海户")
    assert shown["电话"] == "13800000062"  # in full: the card is in each liaison's own chat
    assert shown["地点"].startswith("后道老村")
    assert shown["分工"] == "主办 交通运输局；协办 无"
    assert shown["照片"] == "村民发来1张"
    assert "前签收" in shown["时限"] and "前办结" in shown["时限"]
    assert card["main_title"]["desc"] == FLOOD  # the villager's own punctuation


async def test_the_liaisons_notes_reach_the_villager_before_the_rating_card(loop):
    await loop.wecom.app_text("jiangdahai", FLOOD)
    await loop.settle()
    ticket = await Ticket.get()
    await loop.wecom.app_text("liutao", f"进展 #{ticket.number} 已到现场，先拉了警戒线")
    await loop.settle()
    assert "会转告" in loop.sent_to("liutao")[-1]["text"]["content"]  # not "已转告": the news is still waiting
    await loop.wecom.app_text("liutao", f"办结 #{ticket.number} 新栏杆已装好，两侧加了反光条")
    await loop.later(**COMBINE)
    to_villager = [b for b in loop.sent_to("jiangdahai") if b["msgtype"] in ("text", "template_card")]
    news = [b["text"]["content"] for b in to_villager if b["msgtype"] == "text" and "新进展" in b["text"]["content"]]
    (combined,) = news  # 签收, 进展 and 办结 in one message
    assert "交通运输局进展：已到现场，先拉了警戒线" in combined
    assert "交通运输局已办结：新栏杆已装好，两侧加了反光条" in combined  # full-width punctuation kept
    kinds = [b["msgtype"] for b in to_villager]
    assert kinds[-2:] == ["text", "template_card"]  # the question comes after the news it rates
    assert to_villager[-1]["template_card"]["main_title"]["title"].startswith("请评价")


async def test_in_a_group_the_note_is_masked_and_the_question_follows_in_the_same_message(loop):
    await loop.wecom.aibot_text("fengbaolin", FLOOD, chatid=GRID3_CHAT)
    await loop.settle()
    ticket = await Ticket.get()
    await loop.wecom.app_text("liutao", f"办结 #{ticket.number} 便桥已通，有事打13912345678")
    await loop.later(**COMBINE)
    (*_, last) = loop.webhook_texts(GRID3_WEBHOOK)
    assert "交通运输局已办结：便桥已通，有事打139****5678" in last and "13912345678" not in last
    assert last.index("便桥已通") < last.index("满意")


async def test_a_typed_command_updates_the_card_and_a_stale_click_refreshes_it(loop):
    await loop.wecom.app_text("jiangdahai", FLOOD)
    await loop.settle()
    ticket = await Ticket.get()
    (card,) = loop.cards_to(TRANSPORT)
    await loop.wecom.app_text("liutao", f"报到 #{ticket.number}")
    await loop.settle()
    (signed,) = loop.updates_for(TRANSPORT)  # with the code the card's send returned
    assert buttons(signed["template_card"]) == ["办结", "进展"]
    await loop.wecom.app_text("liutao", f"办结 #{ticket.number} 便桥已架通")
    await loop.settle()
    # that code is spent: a fresh card tells both liaisons it is done
    fresh = loop.cards_to(TRANSPORT)[-1]
    assert buttons(fresh) == ["已办结（刘涛）"]
    # mabin taps 办结 on the old card: he is told, and that card is brought up to date with his click's code
    await loop.wecom.app_card_click("mabin", key_of(card, "签收"), card["task_id"])
    await loop.settle()
    assert "已办结，不用再操作" in loop.sent_to("mabin")[-1]["text"]["content"]
    refreshed = loop.updates_for(TRANSPORT)[-1]["template_card"]
    assert buttons(refreshed) == ["已办结（刘涛）"] and refreshed["task_id"] == card["task_id"]
    assert loop.fake.calls("message/update_template_card", ok=False) == []
    assert await TicketEvent.filter(ticket_id=ticket.id, kind="done").count() == 1
    # the status button only says where it stands
    await loop.wecom.app_card_click("mabin", key_of(refreshed, "已办结（刘涛）"), card["task_id"])
    await loop.settle()
    assert "已办结" in loop.sent_to("mabin")[-1]["text"]["content"]
    assert (await Assignment.get(ticket_id=ticket.id)).state == "done"


async def test_the_urged_card_after_unsatisfied_carries_the_villagers_reason(loop):
    await loop.wecom.app_text("jiangdahai", FLOOD)
    await loop.settle()
    ticket = await Ticket.get()
    await loop.wecom.app_text("liutao", f"办结 #{ticket.number} 新栏杆已装好")
    await loop.later(**COMBINE)
    await loop.wecom.app_text("jiangdahai", "不满意 栏杆还是歪的，一碰就晃")
    await loop.settle()
    assert (await Request.get()).status == "reopened"
    urged = loop.cards_to(TRANSPORT)[-1]
    assert "督办" in urged["main_title"]["title"]
    assert urged["main_title"]["desc"].startswith("群众不满意：栏杆还是歪的，一碰就晃。")


async def test_the_joint_group_never_shows_a_phone_in_full(loop):
    await loop.wecom.app_text("jiangdahai", FLOOD)
    await loop.settle()
    request = await Request.get()
    await loop.wecom.app_text("zhangwei", f"吹哨 #{request.number} 水务局 农业农村局 现场会商")
    await loop.settle()
    ticket = await Ticket.get()
    await loop.wecom.app_text("liutao", f"进展 #{ticket.number} 已联系村民，电话13800000062，住三屯17号")
    await loop.settle()
    posts = [b["text"]["content"] for b in loop.fake.bodies("appchat/send")]
    (progress,) = [p for p in posts if p.startswith("交通运输局进展")]
    assert "138****0062" in progress and "13800000062" not in progress and "17号" not in progress
    # … while each liaison's own card carries the number in full, to call back
    assert fields(loop.cards_to(["hanxue"])[-1])["电话"] == "13800000062"


async def test_a_card_update_wecom_refuses_is_replaced_by_a_fresh_card(loop):
    await loop.wecom.app_text("jiangdahai", FLOOD)
    await loop.settle()
    ticket = await Ticket.get()
    (card,) = loop.cards_to(TRANSPORT)
    loop.fake.fail_next("message/update_template_card", errcode=40078)  # the code spent or unknown to WeCom
    await loop.wecom.app_text("liutao", f"报到 #{ticket.number}")
    await loop.settle()
    # refused once, not retried; the same state goes as a fresh card with a task id of its own
    assert len(loop.fake.calls("message/update_template_card")) == 1
    fresh = loop.cards_to(TRANSPORT)[-1]
    assert buttons(fresh) == ["办结", "进展"] and fresh["task_id"] != card["task_id"]
    await loop.settle()
    assert len(loop.cards_to(TRANSPORT)) == 2
