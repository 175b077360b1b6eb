"""Danger reaches the nearest at once, end to end through the sandbox: the grid member, the village secretary and
the first secretary of where it happened get a card at night as by day, and each acknowledges it with one tap."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.sandbox.harness import DrivenService
from models import Request, TicketEvent

ICE = "有人掉冰窟窿里了 快来人"
NEAREST = ["jiangfeng", "liuyang", "wangjun"]  # houdaolao's secretary and first secretary, grid 3's member
NIGHT = datetime(2026, 11, 18, 23, 40, tzinfo=ZoneInfo("Asia/Shanghai"))  # inside the quiet hours


def cards(service: DrivenService, userid: str) -> list[dict[str, Any]]:
    return [
        b["template_card"]
        for b in service.fake.bodies("message/send")
        if userid in b["touser"].split("|") and b["msgtype"] == "template_card"
    ]


def replies(service: DrivenService, userid: str) -> list[str]:
    sent = service.fake.bodies("message/send")
    return [b["text"]["content"] for b in sent if userid in b["touser"].split("|") and b["msgtype"] == "text"]


@pytest.mark.clock_start(NIGHT)
async def test_at_night_the_nearest_cadres_get_the_urgent_matter_at_once(driven_service):
    service = driven_service
    await service.wecom.app_text("jiangdahai", ICE)
    await service.settle()  # no time passes: nothing waits for the morning
    request = await Request.get()
    assert request.urgency == "urgent" and request.primary == "emergency"
    for userid in NEAREST:
        (card,) = cards(service, userid)
        assert card["main_title"]["title"] == f"【紧急】#{request.number} 后道老村三屯3网格"
        assert card["main_title"]["desc"] == ICE
        shown = {f["keyname"]: f["value"] for f in card["horizontal_content_list"]}
        assert shown["反映人"] == "姜大海" and shown["电话"] == "13800000062"
        assert shown["已报"] == "乡镇党委、应急管理局"
        assert [b["text"] for b in card["button_list"]] == ["收到"]
        assert card["task_id"] == f"gw-urgent-{request.number}-{userid}"  # one card made, each cadre's own task
    assert cards(service, "lidawei") == []  # another grid's member is not the nearest
    assert any("已自动吹哨" in t for t in replies(service, "zhangwei"))  # beside the township …
    (department,) = cards(service, "duxiaodong")  # … and the department
    assert department["main_title"]["title"].startswith(f"哨单 #{request.number + 1}｜主办")


async def test_one_tap_acknowledges_once_and_the_card_says_so(driven_service):
    service = driven_service
    await service.wecom.app_text("jiangdahai", ICE)
    await service.settle()
    request = await Request.get()
    (card,) = cards(service, "wangjun")
    key = card["button_list"][0]["key"]
    await service.wecom.app_card_click("wangjun", key, card["task_id"])
    await service.settle()
    assert "已确认收到" in replies(service, "wangjun")[-1]
    (update,) = [b for b in service.fake.bodies("message/update_template_card") if b["userids"] == ["wangjun"]]
    assert update["button"]["replace_name"] == "已收到（王军）"
    # a second tap (the card on another device) records nothing more, and says so
    await service.later(seconds=20)
    await service.wecom.app_card_click("wangjun", key, card["task_id"])
    await service.settle()
    assert "已经确认收到" in replies(service, "wangjun")[-1]
    acks = await TicketEvent.filter(request_id=request.id, kind="urgent_ack").prefetch_related("actor")
    assert [a.actor.name for a in acks] == ["王军"]
    # someone the notice was not for cannot acknowledge it
    await service.wecom.app_card_click("lidawei", key, card["task_id"])
    await service.settle()
    assert "不是发给您的" in replies(service, "lidawei")[-1]
    assert await TicketEvent.filter(request_id=request.id, kind="urgent_ack").count() == 1


async def test_a_matter_that_is_not_urgent_goes_to_nobody_at_night(driven_service):
    service = driven_service
    await service.wecom.app_text("jiangdahai", "村口的路灯坏了一个多月了，晚上黑")
    await service.settle()
    assert all(cards(service, userid) == [] for userid in NEAREST)
