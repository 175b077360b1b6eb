"""Villagers' requests end to end: the real service (create_app, dispatcher, routing table, demo county) on
loopback, WeCom played by the sandbox's callback client, and assertions on what the fake WeCom API received."""

from __future__ import annotations

from typing import Any

import pytest

from bot.keys import WECOM_API
from bot.sandbox.harness import DrivenService
from models import Assignment, Attachment, Request, Ticket, TicketEvent

GRID3_CHAT = "wrkSFfCgAAhoudaolao3"
GRID3_WEBHOOK = "00000000-demo-4a00-8000-houdaolao003"
COMBINE = {"minutes": 3}  # past [requests] hearback_combine_seconds


class Story(DrivenService):
    """The service, WeCom's side of it, and what WeCom received."""

    def app_cards(self, userid: str) -> list[dict[str, Any]]:
        return [
            b["template_card"]
            for b in self.fake.bodies("message/send")
            if userid in b["touser"].split("|") and b["msgtype"] == "template_card"
        ]

    def aibot_texts(self) -> list[str]:
        return [b["markdown"]["content"] for b in self.fake.bodies("aibot/response")]

    def webhook_texts(self, key: str) -> list[str]:
        return [
            c.body["text"]["content"] for c in self.fake.calls("webhook/send", ok=True) if c.params.get("key") == key
        ]

    def kf_texts(self, external_userid: str) -> list[str]:
        return [b["text"]["content"] for b in self.fake.bodies("kf/send_msg") if b["touser"] == external_userid]


@pytest.fixture
def story(driven_service: DrivenService) -> Story:
    service = driven_service
    return Story(service.app, service.wecom, service.fake, service.worker, service.clock)


async def kf_villager(story: Story, external_userid: str, grid: str) -> None:
    """A villager opens the grid's customer-service link (its scene names the grid)."""
    await story.wecom.kf_enter_session(external_userid, grid)
    await story.settle()


async def test_each_channel_records_and_answers_where_the_villager_spoke(story):
    await story.wecom.app_text("jiangdahai", "三屯那个桥塌了一半，车过不去")
    await story.wecom.aibot_text("fengbaolin", "路灯不亮了好几天了", chatid=GRID3_CHAT)
    await story.wecom.app_voice("wangshufen", "我家自来水停了三天了")
    await kf_villager(story, "wmLIU", "wenhua-2")
    await story.wecom.kf_text("wmLIU", "我家低保咋还没发")
    await story.settle()
    # Different villagers land in different inbox lanes on PostgreSQL: ids need not follow arrival.
    by_text = {request.text: request for request in await Request.all()}
    bridge = by_text["三屯那个桥塌了一半，车过不去"]
    light = by_text["路灯不亮了好几天了"]
    water = by_text["我家自来水停了三天了"]
    subsidy = by_text["我家低保咋还没发"]
    assert len(by_text) == 4
    assert (bridge.channel, bridge.primary) == ("app", "transport")
    assert (light.channel, light.primary) == ("aibot", "power")
    assert (water.channel, water.text) == ("app", "我家自来水停了三天了")
    assert (subsidy.channel, (await subsidy.area).code) == ("kf", "wenhua-2")
    (answer,) = story.texts_to("jiangdahai")
    assert f"#{bridge.number}" in answer and "交通运输局" in answer and "1个工作日内" in answer
    (answer,) = story.aibot_texts()
    assert f"#{light.number}" in answer and "供电公司" in answer
    assert f"#{water.number}" in story.texts_to("wangshufen")[0]
    (answer,) = story.kf_texts("wmLIU")
    assert f"#{subsidy.number}" in answer and "我是 姓名 屯名" in answer
    # not requests: an answer with a way to insist in 1:1 and kf, silence in the group
    await story.wecom.aibot_text("fengbaolin", "收到", chatid=GRID3_CHAT)
    await story.wecom.app_text("jiangdahai", "好的")
    await story.settle()
    assert len(story.aibot_texts()) == 1
    assert "报事" in story.texts_to("jiangdahai")[-1]


async def test_a_burst_of_five_short_messages_with_a_photo_is_one_request(story):
    for piece in ["路", "坏了", "三屯那个桥", "塌了一半", "车过不去"]:
        await story.wecom.app_text("jiangdahai", piece)
        await story.later(seconds=30)
    await story.wecom.app_image("jiangdahai", b"\xff\xd8bridge")
    await story.settle()
    (request,) = await Request.all()
    assert request.text == "路 坏了 三屯那个桥 塌了一半 车过不去" and request.primary == "transport"
    assert await Attachment.filter(request_id=request.id).count() == 1
    answers = story.texts_to("jiangdahai")
    # 路 alone asks nothing yet (the villager is told how to report); from 坏了 on it is one request.
    assert len(answers) == 6 and "报事" in answers[0] and all(f"#{request.number}" in a for a in answers[1:])


async def test_a_follow_up_is_answered_with_the_status(story):
    await story.wecom.app_text("jiangdahai", "三屯那个桥塌了一半，车过不去")
    await story.later(days=2)
    await story.wecom.app_voice("jiangdahai", "我上回说的那个事咋还没信儿")
    await story.settle()
    (request,) = await Request.all()
    answer = story.texts_to("jiangdahai")[-1]
    assert f"#{request.number}" in answer and "交通运输局" in answer


async def whistle_and_sign(story: Story, request: Request) -> Ticket:
    """The township confirms the proposed whistle; the transport liaison reports for duty."""
    await story.wecom.app_card_click("zhangwei", f"whistle:confirm:{request.number}", f"gw-confirm-{request.number}")
    await story.settle()
    ticket = await Ticket.get(request_id=request.id)
    await story.wecom.app_text("liutao", f"签收 #{ticket.number}")
    await story.settle()
    return ticket


async def test_three_households_same_matter_merged_and_each_hears_back_on_their_own_channel(story):
    await story.wecom.app_text("jiangdahai", "三屯桥塌了，车过不去")
    await story.later(hours=2)
    await story.wecom.aibot_text("fengbaolin", "三屯那个桥塌了 拖拉机过不去", chatid=GRID3_CHAT)
    await kf_villager(story, "wmYANG", "houdaolao-4")
    await story.later(hours=2)
    await story.wecom.kf_text("wmYANG", "桥塌了咋整 车过不去")
    await story.settle()
    first, second, third = await Request.all().order_by("id")
    assert second.merged_into_id == first.id and third.merged_into_id == first.id
    assert "已有3户" in story.kf_texts("wmYANG")[-1] and f"#{first.number}" in story.kf_texts("wmYANG")[-1]
    await whistle_and_sign(story, first)
    await story.later(**COMBINE)
    assert any("交通运输局" in t and "签收" in t for t in story.texts_to("jiangdahai"))
    assert any("签收" in t for t in story.webhook_texts(GRID3_WEBHOOK))
    assert any("签收" in t for t in story.kf_texts("wmYANG"))


async def test_a_relayed_request_reaches_the_villager(story):
    await story.wecom.app_text("wangjun", "代报 姜大海 三屯桥塌了一半，车过不去")
    await story.settle()
    (request,) = await Request.all()
    assert request.channel == "relay" and (await request.relayed_by).userid == "wangjun"
    assert any(f"#{request.number}" in t and "姜大海" in t for t in story.texts_to("wangjun"))
    await story.later(**COMBINE)
    assert any("王军替您登记了" in t for t in story.texts_to("jiangdahai"))


async def test_a_village_matter_closed_and_rated_with_retries_mid_story(story):
    await story.wecom.app_text("jiangdahai", "老王家把柴火垛堆我家门口了，说了也不挪", repeats=2)
    await story.settle()
    (request,) = await Request.all()
    assert request.status == "kept_in_grid"
    assert len(story.texts_to("jiangdahai")) == 1
    (card,) = story.app_cards("wangjun")
    assert len(story.app_cards("jiangfeng")) == 1
    close = card["button_list"][0]["key"]
    await story.wecom.app_card_click("wangjun", close, card["task_id"], repeats=3)
    await story.later(**COMBINE)
    await request.refresh_from_db()
    assert request.status == "resolved"
    (rating,) = story.app_cards("jiangdahai")
    assert [b["key"] for b in rating["button_list"]][0] == f"rate:{request.id}:satisfied"
    assert len([t for t in story.texts_to("jiangdahai") if "村里已经办好了" in t]) == 1
    await story.wecom.app_card_click("jiangdahai", f"rate:{request.id}:satisfied", rating["task_id"], repeats=3)
    await story.settle()
    await request.refresh_from_db()
    assert request.status == "closed" and request.satisfaction == "satisfied"
    assert await TicketEvent.filter(request_id=request.id, kind="rated").count() == 1
    assert len([t for t in story.texts_to("jiangdahai") if "谢谢" in t]) == 1
    updates = story.fake.bodies("message/update_template_card")
    (update,) = [u for u in updates if u["userids"] == ["jiangdahai"]]  # the card shows the rating, once
    assert update["button"]["replace_name"] == "已评价：满意"
    # the village's cards say who closed it, once each however often the button was pressed
    closed = sorted(u["userids"][0] for u in updates if u["button"]["replace_name"] == "已办结（王军）")
    assert "wangjun" in closed and "jiangfeng" in closed and len(closed) == len(set(closed))


async def test_an_unhappy_rating_reopens_the_ticket_to_the_same_department_marked_urged(story):
    await kf_villager(story, "wmSUN", "houdaolao-3")
    await story.wecom.kf_text("wmSUN", "三屯那个桥塌了一半，车过不去")
    await story.settle()
    (request,) = await Request.all()
    ticket = await whistle_and_sign(story, request)
    await story.wecom.app_text("liutao", f"办结 #{ticket.number} 已经铺了钢板能过车了")
    await story.later(**COMBINE)
    await request.refresh_from_db()
    assert request.status == "resolved"
    assert any("满意" in t and "已办结" in t for t in story.kf_texts("wmSUN"))
    cards_before = len(story.app_cards("liutao"))
    await story.wecom.kf_text("wmSUN", "不满意 钢板一走就晃", repeats=2)
    await story.settle()
    await request.refresh_from_db()
    assert request.status == "reopened" and request.satisfaction == "unsatisfied"
    part = await Assignment.get(ticket_id=ticket.id)
    assert part.urged and part.state == "notified"
    assert len(story.app_cards("liutao")) > cards_before
    assert "重新交办" in story.kf_texts("wmSUN")[-1]
    assert await TicketEvent.filter(request_id=request.id, kind="rated").count() == 1


async def test_a_photo_gets_a_local_copy_from_media_get(story, tmp_path):
    from bot.media_copies import copy_pending

    await story.wecom.app_text("jiangdahai", "三屯那个桥塌了一半，车过不去")
    await story.later(minutes=5)
    await story.wecom.app_image("jiangdahai", b"\xff\xd8the-bridge")
    await story.settle()
    (attachment,) = await Attachment.all()
    assert attachment.local_path == ""
    assert await copy_pending(story.app[WECOM_API], tmp_path / "media") == 1
    await attachment.refresh_from_db()
    assert attachment.local_path.endswith(".jpg")
    with open(attachment.local_path, "rb") as copy:
        assert copy.read() == b"\xff\xd8the-bridge"
    assert await copy_pending(story.app[WECOM_API], tmp_path / "media") == 0


async def test_a_kf_villager_names_themselves_once_and_the_grid_member_confirms_with_one_tap(story):
    await kf_villager(story, "wmXU", "wenhua-1")
    await story.wecom.kf_text("wmXU", "路灯不亮了好几天了")
    await story.settle()
    assert "我是 姓名 屯名" in story.kf_texts("wmXU")[-1]
    await story.wecom.kf_text("wmXU", "我是 许春花 东屯")
    await story.settle()
    (card,) = story.app_cards("zhouyuhua")  # 文化村1网格's grid member
    yes = card["button_list"][0]["key"]
    await story.wecom.app_card_click("zhouyuhua", yes, card["task_id"], repeats=2)
    await story.settle()
    assert any("许春花" in t for t in story.kf_texts("wmXU"))
    (request,) = await Request.all()
    assert (await request.household).code == "wenhua-1-015" and (await request.sender).userid == "xuchunhua"
    await story.wecom.kf_text("wmXU", "我的诉求")
    await story.settle()
    assert f"#{request.number}" in story.kf_texts("wmXU")[-1]
