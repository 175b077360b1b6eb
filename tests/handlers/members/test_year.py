"""A simulated 2026 for serving Party members of two units (交通运输局, 白山镇) in three grids, through the
sandbox: the clock steps to each tick hour, the members' and the 实事 tickers run (each twice: a second process,
a double fire), people act in chat, the service is down once. Registration, a claim, an answer, monthly reports
to member, unit secretary and village secretaries (each once), year-end grades and the year's report."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

import pytest

from bot.clock import SHANGHAI
from bot.keys import SERVICES
from handlers.members import tickers
from handlers.tasks import tickers as tasks_reminders
from models import OutboxMessage, Request

pytestmark = pytest.mark.clock_start(datetime(2026, 1, 1, 8, 0, tzinfo=SHANGHAI))

ROSTER = ["gaojianguo", "zhoudianming", "hezheng", "zhengxiaoyan", "fenglei"]  # config/demo/members.csv
DOWN = (datetime(2026, 4, 30, 18, tzinfo=SHANGHAI), datetime(2026, 5, 3, 12, tzinfo=SHANGHAI))


def at(month: int, day: int, hour: int) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=SHANGHAI)


def cards(service, userid: str) -> list[dict]:
    return [
        b["template_card"]
        for b in service.fake.bodies("message/send")
        if userid in b["touser"].split("|") and b["msgtype"] == "template_card"
    ]


async def tap(service, userid: str, title_part: str) -> None:
    card = next(c for c in reversed(cards(service, userid)) if title_part in c["main_title"]["title"])
    await service.wecom.app_card_click(userid, card["button_list"][0]["key"], card["task_id"])


async def say(service, userid: str, text: str) -> None:
    await service.wecom.app_text(userid, text)


async def number_of_request(_service, text: str) -> int:
    return (await Request.get(text=text)).number


ACTIONS = [
    (at(1, 10, 9), lambda s: say(s, "liutao", "进网格 后道老村3网格 特长 电工")),
    (at(1, 10, 13), lambda s: tap(s, "jiangfeng", "刘涛")),
    (at(3, 5, 9), lambda s: say(s, "jiangdahai", "家里电表老跳闸，插座也不通电了，麻烦找人给看看")),
    (at(3, 5, 17), lambda s: tap(s, "liutao", "电工")),  # offered at 13:00 to both electricians of the grid
    (at(3, 6, 9), lambda s: tap(s, "zhoudianming", "电工")),  # too late: 刘涛 has it
    (at(3, 20, 9), lambda s: say(s, "liutao", "实事 完成 1 换了空气开关")),
    (at(6, 10, 9), lambda s: say(s, "jiangdahai", "我家孩子转学的手续咋办")),
    (at(6, 10, 13), lambda s: answer(s)),
    (at(12, 28, 9), lambda s: say(s, "gaojianguo", "考评 周电明 优秀")),
    (at(12, 28, 9), lambda s: say(s, "jiangfeng", "考评 周电明 称职")),
    (at(12, 28, 9), lambda s: say(s, "zhangwei", "考评 郑晓燕 优秀")),
    (at(12, 28, 9), lambda s: say(s, "jiangfeng", "考评 郑晓燕 基本称职")),
]


async def answer(service) -> None:
    number = await number_of_request(service, "我家孩子转学的手续咋办")
    await say(service, "zhengxiaoyan", f"答复 #{number} 带户口本去镇中心校开转学证明")


@pytest.fixture
async def year(driven_service, clock):
    service = driven_service
    services = service.app[SERVICES]
    actions = sorted(ACTIONS, key=lambda a: a[0])
    day = datetime(2026, 1, 1, tzinfo=SHANGHAI)
    while day.year == 2026:
        for hour in (9, 13, 17):
            now = day.replace(hour=hour)
            if DOWN[0] <= now < DOWN[1]:
                continue
            clock.set(now)
            while actions and actions[0][0] <= now:
                await actions.pop(0)[1](service)
                await service.settle()
            for _ in range(2):  # the same run twice queues nothing the second time
                monthly = await tickers.monthly_tick(services)
                offers = await tickers.offer_tick(services)
                reminders = await tasks_reminders.tick(services)
            assert (monthly, offers, reminders) == (Counter(), 0, Counter()), now
            await service.settle()
        day += timedelta(days=1)
    assert not actions
    return service


async def test_a_year_of_serving_party_members(year, gridwhistle, config_file):
    service = year
    # 双报告: every member (the roster's five and 刘涛, confirmed 01-10) a summary each month for January…November
    for userid in [*ROSTER, "liutao"]:
        monthly = [t for t in service.texts_to(userid) if "报到情况（双报告）" in t]
        assert [t[:7] for t in monthly] == [f"2026-{m:02d}" for m in range(1, 12)], userid
    april = await OutboxMessage.get(dedupe_key="members:monthly:2026-04:member:fenglei")
    assert april.created_at.astimezone(SHANGHAI) == at(5, 3, 13)  # the service was down on the 1st: once, on return
    march = next(t for t in service.texts_to("liutao") if t.startswith("2026-03"))
    assert "实事登记 1 件、完成 1 件，认领诉求 1 件" in march
    # the unit's secretary: one message a month with each of the unit's members (刘涛 took transport's secretary)
    unit = [t for t in service.texts_to("gaojianguo") if "本单位在职党员" in t]
    assert len(unit) == 11 and all(("周电明" in t and "何正" in t and "刘涛" in t) for t in unit)
    assert len([t for t in service.texts_to("zhangwei") if "本单位在职党员" in t]) == 11
    # the village's secretaries: the members serving their village only
    village = [t for t in service.texts_to("qiguoqing") if "到本村报到" in t]
    assert len(village) == 11 and all("何正" in t and "冯磊" in t and "周电明" not in t for t in village)
    assert len([t for t in service.texts_to("jiangfeng") if "到本村报到" in t]) == 11
    # the offer went once to each electrician of the grid; the claim is 刘涛's
    assert len([c for c in cards(service, "liutao") if "电工" in c["main_title"]["title"]]) == 1
    assert len([c for c in cards(service, "zhoudianming") if "电工" in c["main_title"]["title"]]) == 1
    assert "已由刘涛认领" in "\n".join(service.texts_to("zhoudianming"))
    # 实事 reminders reach members like every cadre, none twice
    for userid in [*ROSTER, "liutao"]:
        reminders = [t for t in service.texts_to(userid) if t.startswith("实事")]
        assert reminders and len(reminders) == len(set(reminders)), userid

    code, out, err = await gridwhistle("report", "members", "--year", "2026", "--config", str(config_file))
    assert code == 0, err
    lines = out.splitlines()
    zhou = next(line for line in lines if "周电明" in line).split()
    assert zhou[-4:] == ["优秀", "称职", "87.5", "称职"]  # 0.5 × 95 + 0.5 × 80
    zheng = next(line for line in lines if "郑晓燕" in line).split()
    assert zheng[-4:] == ["优秀", "基本称职", "80.0", "称职"] and zheng[-6] == "1"  # one answer
    liu = next(line for line in lines if "刘涛" in line).split()
    assert liu[-4:] == ["-", "-", "-", "-"]  # not graded yet
    assert "2026年 在职党员-单位" in out and "2026年 在职党员-村" in out
