"""A night with an urgent matter, through the sandbox with the clock by hand: the cadres on duty get the notice
with the nearest, and when nobody acknowledges, the village's 带班 is called, then the township's — each once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from bot.clock import SHANGHAI
from bot.keys import SERVICES
from handlers.shifts import tickers as shift_tickers
from handlers.urgent import tickers as urgent_tickers
from models import Request, TicketEvent

ICE = "有人掉冰窟窿里了 快来人"
# 11-17's night in the demo roster: 后道老村 带班 姜峰, 值班 赵淑琴; 白山镇 带班 张伟, 值班 李红
NIGHT = datetime(2026, 11, 17, 23, 40, tzinfo=SHANGHAI)
NEAREST = ["jiangfeng", "liuyang", "wangjun"]
ON_DUTY = ["zhaoshuqin", "lihong"]


def urgent_cards(service: Any, userid: str) -> list[dict[str, Any]]:
    return [
        b["template_card"]
        for b in service.fake.bodies("message/send")
        if userid in b["touser"].split("|")
        and b["msgtype"] == "template_card"
        and b["template_card"]["main_title"]["title"].startswith("【紧急】")
    ]


def calls(service: Any, userid: str) -> list[str]:
    return [t for t in service.texts_to(userid) if "分钟没人确认收到" in t]


async def tick(service: Any, **later: float) -> int:
    await service.later(**later)
    called = await urgent_tickers.tick(service.app[SERVICES])
    await service.settle()
    return called


@pytest.mark.clock_start(NIGHT)
async def test_nobody_acknowledges_and_the_leaders_are_called_in_turn_once(driven_service):
    service = driven_service
    await service.wecom.app_text("jiangdahai", ICE)
    await service.settle()
    request = await Request.get()
    for userid in NEAREST + ON_DUTY:
        assert len(urgent_cards(service, userid)) == 1, userid  # at once, at night
    assert urgent_cards(service, "lidawei") == []  # neither nearest nor on duty
    assert await tick(service, minutes=14) == 0  # not yet
    assert await tick(service, minutes=1) == 1
    (call,) = calls(service, "jiangfeng")  # the village's 带班 (the secretary, who has the card already)
    assert call == (
        f"【紧急】#{request.number} 后道老村三屯3网格：已经15分钟没人确认收到。您是后道老村现在的带班领导，"
        "请马上处置，并在通知上点“收到”。已通知：王军、刘洋、赵淑琴、李红。"  # everyone alerted but himself
    )
    assert len(urgent_cards(service, "jiangfeng")) == 1
    assert calls(service, "zhangwei") == []
    assert await tick(service, minutes=10) == 0  # called once, however often the ticker runs
    assert await tick(service, minutes=5) == 1
    (call,) = calls(service, "zhangwei")
    assert "您是白山镇现在的带班领导" in call and "已通知：王军、姜峰、刘洋、赵淑琴、李红。" in call
    (card,) = urgent_cards(service, "zhangwei")
    for _ in range(3):  # a restart or a second process finds both calls made
        assert await urgent_tickers.tick(service.app[SERVICES]) == 0
    await service.settle()
    assert len(calls(service, "jiangfeng")) == 1 and len(calls(service, "zhangwei")) == 1
    events = await TicketEvent.filter(request_id=request.id, kind="urgent_call").prefetch_related("actor")
    assert [(e.actor.userid, e.data["level"]) for e in events] == [("jiangfeng", "village"), ("zhangwei", "township")]
    # the township leader called can acknowledge on the card he was sent
    await service.wecom.app_card_click("zhangwei", card["button_list"][0]["key"], card["task_id"])
    await service.settle()
    assert "已确认收到" in service.texts_to("zhangwei")[-1]


@pytest.mark.clock_start(NIGHT)
async def test_one_tap_by_the_cadre_on_duty_stops_the_calls(driven_service):
    service = driven_service
    await service.wecom.app_text("jiangdahai", ICE)
    await service.settle()
    (card,) = urgent_cards(service, "zhaoshuqin")
    await service.later(minutes=3)
    await service.wecom.app_card_click("zhaoshuqin", card["button_list"][0]["key"], card["task_id"])
    await service.settle()
    assert "已确认收到" in service.texts_to("zhaoshuqin")[-1]
    assert await tick(service, minutes=40) == 0
    assert calls(service, "jiangfeng") == [] and calls(service, "zhangwei") == []


async def test_the_next_shift_receives_a_hand_over_once(driven_service, clock):
    service = driven_service
    await service.wecom.app_text("jiangdahai", "三屯路灯坏了好几天了 晚上走路看不见")
    await service.later(minutes=30)
    await service.wecom.app_text("jiangdahai", ICE)
    await service.settle()
    numbers = [r.number for r in await Request.all().order_by("number")]
    clock.set(datetime(2026, 11, 16, 17, 59, tzinfo=SHANGHAI))
    assert await shift_tickers.handover_tick(service.app[SERVICES]) == 0  # the day shift is not over
    clock.set(datetime(2026, 11, 16, 18, 3, tzinfo=SHANGHAI))
    for _ in range(2):
        await shift_tickers.handover_tick(service.app[SERVICES])
    await service.settle()
    handovers = [t for t in service.texts_to("wangjun") if t.startswith("交班")]  # 后道老村's 值班 tonight
    first, second = numbers
    assert handovers == [
        "\n".join(
            [
                "交班：后道老村 11-16 白班",
                "本班新来 2 件",
                f"  #{first} 三屯路灯坏了好几天了 晚上走路看…",
                f"  #{second} {ICE}",
                "还没办完 2 件，其中紧急 1 件",
                f"  #{second} {ICE}",
                f"  #{first} 三屯路灯坏了好几天了 晚上走路看…",
                "等部门：应急管理局 1 件",
            ]
        )
    ]
    assert len([t for t in service.texts_to("liuyang") if t.startswith("交班：后道老村")]) == 1  # and its 带班
    assert len([t for t in service.texts_to("lihong") if t.startswith("交班：白山镇")]) == 1
    clock.set(datetime(2026, 11, 16, 21, 0, tzinfo=SHANGHAI))  # too late: stale news is no hand-over
    assert await shift_tickers.handover_tick(service.app[SERVICES]) == 0


async def test_a_matter_that_can_wait_hears_at_night_who_is_on_duty_and_when(driven_service, clock):
    service = driven_service
    clock.set(datetime(2026, 11, 17, 22, 10, tzinfo=SHANGHAI))
    await service.wecom.app_text("jiangdahai", "三屯路灯坏了好几天了 晚上走路看不见")
    await service.settle()
    (answer,) = service.texts_to("jiangdahai")
    assert answer.endswith(
        "现在是夜间，后道老村今晚值班的是赵淑琴，白山镇今晚值班的是李红。"
        "不急的事明天 07:30 上班后办理；如有危险，请直接说“紧急”，或拨打110、119、120。"
    )
    clock.set(datetime(2026, 11, 18, 9, 0, tzinfo=SHANGHAI))  # by day: no such sentence
    await service.wecom.app_text("fengbaolin", "村里垃圾箱满了没人清")
    await service.settle()
    assert all("现在是夜间" not in t for t in service.texts_to("fengbaolin"))
