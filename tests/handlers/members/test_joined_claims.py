"""One 实事 gathering several claimed requests, through the sandbox: a claim joins an open 实事 by the offer's
"并入实事 N" button or by `实事 并入 N #R`; `实事 撤销 N #R` gives one request back and keeps the 实事; its 完成
resolves every request it still holds, each villager hearing it once; the counts stay right (one 实事, its claims)."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.clock import SHANGHAI
from bot.keys import SERVICES
from handlers.members import tickers
from handlers.tasks.service import tallies
from models import PracticalTask, Request, TicketEvent
from models.members_queries import work_of
from tests.handlers.members.test_e2e import cards, tap

pytestmark = pytest.mark.clock_start(datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI))


async def _report(service, userid: str, text: str) -> Request:
    await service.wecom.app_text(userid, text)
    await service.settle()
    return await Request.filter(sender__userid=userid).order_by("-id").first()


async def test_one_task_gathers_claims_gives_one_back_and_resolves_the_rest(driven_service, clock):
    service, wecom = driven_service, driven_service.wecom
    services = service.app[SERVICES]
    first = await _report(service, "jiangdahai", "家里电表老跳闸，插座也不通电了，麻烦找人给看看")
    await wecom.app_text("zhoudianming", f"实事 认领 #{first.number}")
    await service.settle()
    assert f"已认领诉求 #{first.number}，登记为实事 1" in service.texts_to("zhoudianming")[-1]

    second = await _report(service, "fengbaolin", "我家院里的电线老化了，下雨就漏电，想找个电工看看")
    assert await tickers.offer_tick(services) == 1
    await service.settle()
    (offer,) = [c for c in cards(service, "zhoudianming") if f"#{second.number}" in c["main_title"]["title"]]
    assert [b["text"] for b in offer["button_list"]] == ["我来认领", "并入实事 1"]
    await tap(service, "zhoudianming", offer, button=1)
    assert service.texts_to("zhoudianming")[-1] == (
        f"已认领诉求 #{second.number}，并入实事 1：家里电表老跳闸，插座也不通电了，麻烦找人给看看（这件实事现有 2 个诉求）。"
    )
    await second.refresh_from_db()
    assert second.status == "claimed"
    await service.later(minutes=1)
    await tap(service, "zhoudianming", offer, button=1)  # a second tap, a minute on: already claimed
    assert service.texts_to("zhoudianming")[-1] == f"诉求 #{second.number} 已由周电明认领为实事。"

    third = await _report(service, "jiangxiaoyu", "屯口路灯线被风刮断了，晚上黑")
    await wecom.app_text("zhoudianming", f"实事 并入 1 #{third.number}")
    await wecom.app_text("zhoudianming", "实事 并入 7 #1")  # no such 实事
    await wecom.app_text("zhoudianming", "实事 并入 1")  # no request
    await service.settle()
    replies = service.texts_to("zhoudianming")
    assert replies[-3].endswith("（这件实事现有 3 个诉求）。")
    assert replies[-2] == "没有找到您今年的第 7 件实事。发「实事 列表」查看编号。"
    assert replies[-1].startswith("请这样写：实事 并入 实事编号 #诉求编号")
    assert await PracticalTask.filter(cadre__userid="zhoudianming").count() == 1  # one 实事 holds all three
    await wecom.app_text("zhoudianming", "实事 列表")
    await service.settle()
    listing = service.texts_to("zhoudianming")[-1].splitlines()
    assert listing[1].startswith("1. 家里电表老跳闸") and listing[2].strip() == (
        f"含诉求 #{first.number}、#{second.number}、#{third.number}"
    )

    await wecom.app_text("zhoudianming", f"实事 撤销 1 #{third.number} 路灯归乡里统一修")
    await wecom.app_text("zhoudianming", f"实事 撤销 1 #{third.number}")  # not his any more
    await service.settle()
    assert service.texts_to("zhoudianming")[-2] == (
        f"已把诉求 #{third.number} 交回网格，第 1 件实事（家里电表老跳闸，插座也不通电了，麻烦找人给看看）照常办理。"
    )
    assert service.texts_to("zhoudianming")[-1] == f"第 1 件实事里没有诉求 #{third.number}。发「实事 列表」查看。"
    await third.refresh_from_db()
    task = await PracticalTask.get(cadre__userid="zhoudianming")
    assert (third.status, task.status) == ("kept_in_grid", "registered")
    unclaimed = await TicketEvent.get(request=third, kind="unclaimed")
    assert (unclaimed.reason, unclaimed.data) == ("路灯归乡里统一修", {"task": task.id})

    # the month so far: one 实事, two claims held (the one given back does not count)
    start = clock.now().replace(day=1, hour=0)
    work = (await work_of([task.cadre_id], start, clock.now()))[task.cadre_id]
    assert (work.registered, work.claims) == (1, 2)
    assert (await tallies(2026, [task.cadre_id]))[task.cadre_id].registered == 1

    await wecom.app_text("zhoudianming", "实事 完成 1 换了空气开关、重拉了院里的线", repeats=2)  # a WeCom retry
    await service.later(minutes=3)
    for request in (first, second):
        await request.refresh_from_db()
        assert request.status == "resolved"
    await third.refresh_from_db()
    assert third.status == "kept_in_grid"  # given back before: the 完成 leaves it with the grid
    for villager in ("jiangdahai", "fengbaolin"):
        done = [t for t in service.texts_to(villager) if "已办结" in t]
        assert len(done) == 1 and "在职党员周电明（交通运输局）：换了空气开关、重拉了院里的线" in done[0], villager
        assert cards(service, villager), villager  # asked to rate it, as after a department's 办结
    assert not [t for t in service.texts_to("jiangxiaoyu") if "已办结" in t]
    assert any("已交回村里网格处理" in t for t in service.texts_to("jiangxiaoyu"))

    await wecom.app_text("zhoudianming", "我的报到")
    await service.settle()
    assert "实事登记 1 件、完成 1 件，认领诉求 2 件" in service.texts_to("zhoudianming")[-1]


async def test_cancelling_a_task_gives_back_every_request_it_holds(driven_service):
    service, wecom = driven_service, driven_service.wecom
    first = await _report(service, "jiangdahai", "家里电表老跳闸，插座也不通电了，麻烦找人给看看")
    second = await _report(service, "fengbaolin", "我家院里的电线老化了，下雨就漏电，想找个电工看看")
    await wecom.app_text("zhengxiaoyan", f"实事 认领 #{first.number}")
    await wecom.app_text("zhengxiaoyan", f"实事 并入 1 #{second.number}")
    await wecom.app_text("zhengxiaoyan", "实事 撤销 1 不会修电")
    await service.later(minutes=3)
    for request in (first, second):
        await request.refresh_from_db()
        assert request.status == "kept_in_grid"
    for villager in ("jiangdahai", "fengbaolin"):
        assert len([t for t in service.texts_to(villager) if "已交回村里网格处理" in t]) == 1, villager
    await wecom.app_text("zhengxiaoyan", "我的报到")
    await service.settle()
    assert "实事登记 0 件、完成 0 件，认领诉求 0 件" in service.texts_to("zhengxiaoyan")[-1]


async def test_a_closed_task_takes_no_more_claims(driven_service):
    service, wecom = driven_service, driven_service.wecom
    first = await _report(service, "jiangdahai", "家里电表老跳闸，插座也不通电了，麻烦找人给看看")
    second = await _report(service, "fengbaolin", "我家院里的电线老化了，下雨就漏电，想找个电工看看")
    await wecom.app_text("zhoudianming", f"实事 认领 #{first.number}")
    await wecom.app_text("zhoudianming", "实事 完成 1 修好了")
    await wecom.app_text("zhoudianming", f"实事 并入 1 #{second.number}")
    await service.settle()
    assert service.texts_to("zhoudianming")[-1] == "第 1 件实事已经完成了，不能再改。"
    await second.refresh_from_db()
    assert second.status != "claimed"
