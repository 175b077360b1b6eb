"""包保 and 走访 through the real dispatcher with the demo county; the overdue-visit ticker over a winter."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta

import pytest

from bot.clock import SHANGHAI
from handlers.visits import tickers as visits_reminders
from models import Area, CarePair, Household, OutboxMessage, Person, Request, Visit

pytestmark = pytest.mark.clock_start(datetime(2026, 1, 1, 8, 0, tzinfo=SHANGHAI))  # the county is loaded on this day


def text_of(rows: list[OutboxMessage]) -> str:
    return "\n".join(row.payload["text"] for row in rows)


async def twin_household() -> Household:
    """A second 李长顺 in the same village (三屯), with a phone on the roster."""
    grid = await Area.get(code="houdaolao-3")
    twin = await Household.create(code="houdaolao-3-031", head="李长顺", grid=grid, address="三屯31号", tags=["低保"])
    await Person.create(name="李长顺", mobile="13912345678", household=twin)
    return twin


async def test_secretary_pairs_and_a_shared_name_is_asked_back(county, say):
    twin = await twin_household()
    reply = text_of(await say("app", "jiangfeng", "包保 设置 李长顺 王军"))
    assert "本村有不止一户户主叫「李长顺」，是哪一户？" in reply
    assert "1. 李长顺，前屯前屯3号，电话 未登记" in reply and "2. 李长顺，三屯三屯31号，电话 139****5678" in reply
    assert "13912345678" not in reply
    reply = text_of(await say("app", "jiangfeng", "包保 设置 李长顺 王军 2"))
    assert "已设置包保：三屯 李长顺（低保）由王军包保走访。" in reply
    assert (await CarePair.get(household=twin).prefetch_related("cadre")).cadre.userid == "wangjun"
    first = await Household.get(code="houdaolao-1-003")
    assert (await CarePair.get(household=first).prefetch_related("cadre")).cadre.userid == "lidawei"  # unchanged
    assert "没有权限" in text_of(await say("app", "lidawei", "包保 设置 李长顺 王军 1"))
    assert "没有找到干部「张三」" in text_of(await say("app", "jiangfeng", "包保 设置 赵德福 张三"))
    assert "请这样设置包保" in text_of(await say("app", "jiangfeng", "包保 设置 赵德福"))


async def test_diary_entry_list_and_to_request(county, say, clock):
    reply = text_of(await say("app", "jiangfeng", "走访 赵德福 身体还行，家里的自来水管冻裂了，没水吃"))
    assert "已记入民情日记第 1 条：前屯 赵德福" in reply
    entry = await Visit.get(id=1).prefetch_related("household", "cadre")
    assert entry.household.code == "houdaolao-1-012" and entry.cadre.userid == "jiangfeng"
    listing = text_of(await say("app", "jiangfeng", "走访 列表"))
    assert "我的包保户（2 户）" in listing and "赵德福（前屯，低保）最近走访 01-01，本期已走访" in listing
    assert "高玉珍（三屯，低保、残疾）最近走访 无记录，本期请在 01-31 前走访" in listing
    reply = text_of(await say("app", "jiangfeng", "走访 转诉求 1"))
    request = await Request.get(channel="visit")
    assert f"第 1 条民情日记已转为诉求 #{request.number}" in reply
    assert request.household_id == entry.household.id and "水管冻裂" in request.text
    assert (await Visit.get(id=1)).request_id == request.id
    assert f"已经转为诉求 #{request.number}" in text_of(await say("app", "jiangfeng", "走访 转诉求 1"))
    assert "没有找到您的第 1 条" in text_of(await say("app", "qiguoqing", "走访 转诉求 1"))
    assert "没有找到户主「无名氏」" in text_of(await say("app", "jiangfeng", "走访 无名氏 好"))
    assert "请这样记民情日记" in text_of(await say("app", "jiangfeng", "走访 赵德福"))
    assert "单聊" in text_of(await say("aibot", "jiangfeng", "走访 赵德福 好", conversation="wrkSFfCgAAhoudaolao1"))


async def test_overdue_visits_remind_the_cadre_once_and_twice_tell_the_secretary(county, say, clock, services):
    """Jan–Apr 2026, the ticker twice at 09:00 and 13:00 each day; 李长顺 (独居老人: weekly in winter) is
    visited every week but the weeks of 01-19 and 01-26."""
    skipped = {date(2026, 1, 19), date(2026, 1, 26)}
    day = date(2026, 1, 1)
    while day < date(2026, 5, 1):
        for hour in (9, 13):
            clock.set(datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI))
            if hour == 13 and day.weekday() == 2 and day - timedelta(days=2) not in skipped:
                await say("app", "lidawei", "走访 李长顺 身体好，煤够")
            for _ in range(2):
                await visits_reminders.tick(services)
        day += timedelta(days=1)
    household = await Household.get(code="houdaolao-1-003")
    rows = await OutboxMessage.filter(dedupe_key__startswith=f"visits:{household.id}:").order_by("id")
    assert [(r.dedupe_key.split(":", 2)[2], r.target, r.created_at.astimezone(SHANGHAI).date()) for r in rows] == [
        ("2026-01-19:cadre", "lidawei", date(2026, 1, 26)),
        ("2026-01-26:cadre", "lidawei", date(2026, 2, 2)),
        ("2026-01-26:secretary:jiangfeng", "jiangfeng", date(2026, 2, 2)),
        ("2026-01-26:secretary:liuyang", "liuyang", date(2026, 2, 2)),  # the first secretary too (双书记)
    ]
    assert "李长顺（前屯，独居老人）01-19 至 01-25 应走访一次" in rows[0].payload["text"]
    assert "李大伟包保的 李长顺（前屯，独居老人）已连续两期没有走访记录" in rows[2].payload["text"]
    everything = await OutboxMessage.filter(dedupe_key__startswith="visits:")
    assert len({r.dedupe_key for r in everything}) == len(everything)
    per_kind = Counter("secretary" if ":secretary:" in r.dedupe_key else "cadre" for r in everything)
    # The 19 other paired households are never visited: one reminder per period ended (pairing on 01-01), the
    # secretary from the second on. 7 独居老人: 13 winter weeks (01-05 … 03-30) + the fortnight of 04-06;
    # 2 五保: 7 fortnights (01-12 … 04-06); 10 低保/残疾/留守儿童: January, February, March. Each village
    # tell goes to both secretaries (双书记).
    assert per_kind == {"cadre": 2 + 7 * 14 + 2 * 7 + 10 * 3, "secretary": 2 * (1 + 7 * 13 + 2 * 6 + 10 * 2)}
