"""Duty rosters end to end through the sandbox: the demo county's roster sheet, `谁值班` for anyone, the roster
keepers' `值班 今天|本周|排班`, and tomorrow's open posts reported to the township once, with the clock by hand."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.clock import SHANGHAI
from bot.keys import SERVICES
from handlers.shifts import tickers as shift_tickers
from models import DutySlot

NIGHT = datetime(2026, 11, 18, 23, 40, tzinfo=SHANGHAI)
BAISHAN_KEEPERS = ["zhangwei", "lihong", "wanggang"]


async def test_anyone_asks_who_is_on_duty_by_day(driven_service):
    await driven_service.wecom.app_text("jiangdahai", "谁值班")
    await driven_service.settle()
    assert driven_service.texts_to("jiangdahai")[-1] == (
        "现在是 11-16 白班（08:00—18:00）：\n后道老村：带班 姜峰，值班 赵淑琴\n白山镇：带班 张伟，值班 李红"
    )


@pytest.mark.clock_start(NIGHT)
async def test_after_midnight_it_is_still_the_night_shift_and_an_open_post_says_so(driven_service, clock):
    await driven_service.wecom.app_text("jiangdahai", "谁值班")
    await driven_service.settle()
    assert driven_service.texts_to("jiangdahai")[-1] == (
        "现在是 11-18 夜班（18:00—08:00）：\n后道老村：带班 姜峰，值班 （未排）\n白山镇：带班 王刚，值班 张伟"
    )
    clock.set(datetime(2026, 11, 19, 3, 0, tzinfo=SHANGHAI))  # the small hours belong to the night before
    await driven_service.wecom.app_text("jiangdahai", "谁值班")
    await driven_service.settle()
    assert driven_service.texts_to("jiangdahai")[-1].startswith("现在是 11-18 夜班（18:00—08:00）")


async def test_a_secretary_fills_a_gap_and_the_cadre_put_on_duty_is_told(driven_service):
    wecom = driven_service.wecom
    await wecom.app_text("jiangfeng", "值班 排班 11-18 夜班 值班 王军")
    await driven_service.settle()
    assert driven_service.texts_to("jiangfeng")[-1] == "已排好 11-18：\n后道老村 夜班：带班 姜峰，值班 王军"
    assert driven_service.texts_to("wangjun") == ["您已排在 11-18 夜班（18:00 起），后道老村值班。"]
    assert await DutySlot.filter(day="2026-11-18", shift="night", area__code="houdaolao").count() == 2
    # the same again changes nothing and tells nobody twice
    await wecom.app_text("jiangfeng", "值班 排班 11-18 夜班 值班 王军")
    await driven_service.settle()
    assert len(driven_service.texts_to("wangjun")) == 1
    # a village secretary keeps only their village's roster; the township's committee keeps all of it
    await wecom.app_text("jiangfeng", "值班 排班 明天 白班 白山镇 带班 张伟")
    await driven_service.settle()
    assert driven_service.texts_to("jiangfeng")[-1] == "没找到“白山镇”。您能排班的是：后道老村。"
    await wecom.app_text("zhangwei", "值班 排班 明天 白班 红旗 带班 黄薇 值班 杨淑兰")
    await driven_service.settle()
    assert driven_service.texts_to("zhangwei")[-1] == "已排好 11-17：\n红旗农场 白班：带班 黄薇，值班 杨淑兰"


async def test_bad_roster_commands_get_a_polite_answer(driven_service):
    wecom = driven_service.wecom
    before = await DutySlot.all().count()
    for text, answer in [
        ("值班 排班 11-18 早班 值班 王军", "排班请这样写"),
        ("值班 排班 11-18 夜班 值班 王小二", "白山镇没有叫“王小二”的干部"),
        ("值班 排班 13-40 夜班 值班 王军", "排班请这样写"),
        ("值班 排班 11-18 夜班 值班 姜大海", "白山镇没有叫“姜大海”的干部"),  # a villager is not put on duty
    ]:
        await wecom.app_text("jiangfeng", text)
        await driven_service.settle()
        assert driven_service.texts_to("jiangfeng")[-1].startswith(answer), text
    await wecom.app_text("jiangdahai", "值班 今天")
    await driven_service.settle()
    assert driven_service.texts_to("jiangdahai")[-1].startswith("值班表由乡镇党委委员和村书记、第一书记排定")
    assert await DutySlot.all().count() == before


async def test_the_township_reads_today_and_the_week(driven_service):
    await driven_service.wecom.app_text("zhangwei", "值班 今天")
    await driven_service.settle()
    assert driven_service.texts_to("zhangwei")[-1].splitlines() == [
        "11-16（周一）",
        "白山镇 白班：带班 张伟，值班 李红",
        "白山镇 夜班：带班 李红，值班 王刚",
        "红旗农场 白班：带班 齐国庆，值班 鲁秀萍",
        "红旗农场 夜班：带班 黄薇，值班 杨淑兰",
        "后道老村 白班：带班 姜峰，值班 赵淑琴",
        "后道老村 夜班：带班 刘洋，值班 王军",
    ]
    before = len(driven_service.texts_to("zhangwei"))
    await driven_service.wecom.app_text("zhangwei", "值班 本周")
    await driven_service.settle()
    week = "\n".join(driven_service.texts_to("zhangwei")[before:]).splitlines()  # a long reply comes in parts
    assert len(week) == 7 * 7 and week[-7] == "11-22（周日）"
    assert "后道老村 夜班：带班 姜峰，值班 （未排）" in week  # the 18th's night


async def test_tomorrows_gap_is_reported_to_the_township_once(driven_service, clock):
    services = driven_service.app[SERVICES]
    clock.set(datetime(2026, 11, 17, 15, 0, tzinfo=SHANGHAI))
    assert await shift_tickers.tick(services) == 0  # before the report hour, a gap may still be filled
    clock.set(datetime(2026, 11, 17, 16, 0, tzinfo=SHANGHAI))
    results = [await shift_tickers.tick(services) for _ in range(2)]
    await driven_service.settle()
    assert results[1] == 0  # a second run (or process) finds every report queued
    for userid in BAISHAN_KEEPERS:
        assert driven_service.texts_to(userid) == [
            "白山镇 明天（11-18）还有班没排上：\n后道老村：夜班值班\n"
            "请发“值班 排班 日期 班次 村名 带班 姓名 值班 姓名”补上。"
        ]
    # a township that keeps no roster is not asked every day; a village cadre hears nothing
    assert driven_service.texts_to("chenjing") == [] and driven_service.texts_to("jiangfeng") == []
    # once 龙兴镇 starts one, its open posts are reported
    await driven_service.wecom.app_text("chenjing", "值班 排班 11-19 白班 带班 陈静")
    await driven_service.settle()
    await shift_tickers.tick(services)
    await driven_service.settle()
    (report,) = [t for t in driven_service.texts_to("chenjing") if "还有班没排上" in t]
    assert report.splitlines()[:2] == [
        "龙兴镇 明天（11-18）还有班没排上：",
        "龙兴镇：白班带班、白班值班、夜班带班、夜班值班",
    ]


async def test_a_gap_filled_in_time_is_not_reported(driven_service, clock):
    await driven_service.wecom.app_text("liuyang", "值班 排班 11-18 夜班 值班 王军")
    await driven_service.settle()
    clock.set(datetime(2026, 11, 17, 17, 0, tzinfo=SHANGHAI))
    await shift_tickers.tick(driven_service.app[SERVICES])
    await driven_service.settle()
    for userid in BAISHAN_KEEPERS:
        assert driven_service.texts_to(userid) == []


def cards(service, userid: str) -> list[dict]:
    return [
        b["template_card"]
        for b in service.fake.bodies("message/send")
        if userid in b["touser"].split("|") and b["msgtype"] == "template_card"
    ]


async def tap(service, userid: str, card: dict) -> None:
    await service.wecom.app_card_click(userid, card["button_list"][0]["key"], card["task_id"])
    await service.settle()


async def test_a_swap_happens_only_when_both_tap(driven_service):
    service, wecom = driven_service, driven_service.wecom
    # the demo: 11-17 白班 后道老村 值班 李大伟 (lidawei); 11-17 夜班 值班 赵淑琴 (zhaoshuqin)
    await wecom.app_text("lidawei", "换班 11-17 白班 赵淑琴 11-17 夜班")
    await service.settle()
    (mine,) = cards(service, "lidawei")
    assert mine["main_title"]["title"] == "换班待您确认"
    assert (
        mine["main_title"]["desc"] == "赵淑琴替李大伟：11-17 白班 后道老村值班；李大伟替赵淑琴：11-17 夜班 后道老村值班"
    )
    assert cards(service, "zhaoshuqin") == []  # nothing reaches the other before the asker confirms
    await tap(service, "zhaoshuqin", mine)  # the other cannot confirm for the asker
    assert service.texts_to("zhaoshuqin")[-1] == "这个换班需要当事人本人确认。"
    await tap(service, "lidawei", mine)
    await service.later(seconds=20)
    await tap(service, "lidawei", mine)  # a second tap (another device) sends nothing twice
    (theirs,) = cards(service, "zhaoshuqin")
    assert theirs["main_title"]["title"] == "李大伟想和您换班"
    assert service.texts_to("lidawei")[-1] == "已请赵淑琴确认，对方同意后值班表才会改。"
    held = await DutySlot.filter(area__code="houdaolao", day="2026-11-17", post="duty").prefetch_related("person")
    assert {s.shift: s.person.userid for s in held}["day"] == "lidawei"  # not yet
    await tap(service, "zhaoshuqin", theirs)
    made = "换班已生效：李大伟和赵淑琴，11-17 白班 后道老村值班，对换 11-17 夜班 后道老村值班。"
    assert service.texts_to("zhaoshuqin")[-1] == made
    assert service.texts_to("lidawei").count(made) == 1
    assert service.texts_to("jiangfeng").count(made) == 1 and service.texts_to("liuyang").count(made) == 1
    held = await DutySlot.filter(area__code="houdaolao", day="2026-11-17", post="duty").prefetch_related("person")
    assert {s.shift: s.person.userid for s in held} == {"day": "zhaoshuqin", "night": "lidawei"}
    await service.later(seconds=20)
    await tap(service, "zhaoshuqin", theirs)  # again: already done, nothing moves back
    assert service.texts_to("zhaoshuqin")[-1] == "这个班已经换好了。"
    assert service.texts_to("lidawei").count(made) == 1


async def test_a_swap_the_roster_overtook_is_void(driven_service):
    service, wecom = driven_service, driven_service.wecom
    await wecom.app_text("lidawei", "换班 11-17 白班 王军")
    await service.settle()
    await tap(service, "lidawei", cards(service, "lidawei")[0])
    (theirs,) = cards(service, "wangjun")
    await wecom.app_text("jiangfeng", "值班 排班 11-17 白班 值班 张桂荣")  # the secretary re-plans meanwhile
    await service.settle()
    await tap(service, "wangjun", theirs)
    assert service.texts_to("wangjun")[-1] == "值班表已经变了，这次换班作废。请重新发“换班”。"
    slot = await DutySlot.get(area__code="houdaolao", day="2026-11-17", shift="day", post="duty").prefetch_related(
        "person"
    )
    assert slot.person.userid == "zhangguirong"
    await wecom.app_text("jiangdahai", "换班 11-17 白班 王军")
    await service.settle()
    assert service.texts_to("jiangdahai")[-1] == "11-17 白班您没有排班，换不了。发“值班 本周”或问村书记看看。"
