"""The village tier end to end through the sandbox, the clock by hand: a county department's matter that is not
urgent goes to the village first (both secretaries and that shift's 值班), who keep it the same day (村办结) or send
it up (上报乡镇) to the township's confirmation card; a matter not closed the same day reminds the village, then
tells the township, each once; the township may whistle it at the village stage; urgent matters go everywhere."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from openpyxl import load_workbook

from bot.clock import SHANGHAI
from bot.keys import SERVICES
from handlers.village import tickers as village_tickers
from models import Assignment, Request, Ticket, TicketEvent
from models.resolution_shares import where_resolved

pytestmark = pytest.mark.village_tier

BRIDGE = "三屯那个桥塌了一半，车过不去"
ICE = "有人掉冰窟窿里了 快来人"
# 11-16's day shift in the demo roster: 后道老村 值班 赵淑琴; the secretaries are 姜峰 and 刘洋 (第一书记)
VILLAGE = ["jiangfeng", "liuyang", "zhaoshuqin"]
TOWNSHIP = ["zhangwei", "lihong", "wanggang"]


def cards(service: Any, userid: str, title: str) -> list[dict[str, Any]]:
    return [
        b["template_card"]
        for b in service.fake.bodies("message/send")
        if userid in b["touser"].split("|")
        and b["msgtype"] == "template_card"
        and b["template_card"]["main_title"]["title"].startswith(title)
    ]


async def report(service: Any, text: str = BRIDGE) -> Request:
    await service.wecom.app_text("jiangdahai", text)
    await service.settle()
    return await Request.get(merged_into_id=None)


async def tick(service: Any, at: datetime) -> dict[str, int]:
    service.clock.set(at)
    done = await village_tickers.tick(service.app[SERVICES])
    await service.settle()
    return done


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI)


def replaced(service: Any, userid: str) -> list[str]:
    """What the buttons of `userid`'s cards were changed into."""
    updates = service.fake.bodies("message/update_template_card")
    return [b["button"]["replace_name"] for b in updates if b["userids"] == [userid] and "button" in b]


async def kinds(request: Request) -> list[str]:
    return [e.kind for e in await TicketEvent.filter(request_id=request.id).order_by("id")]


async def test_a_matter_kept_in_the_village_within_the_day(driven_service):
    service = driven_service
    request = await report(service)
    assert (request.status, request.primary) == ("at_village", "transport")
    (answer,) = service.texts_to("jiangdahai")  # truthful: the village has it, not a department yet
    assert answer.startswith(
        f"收到！您反映的事已登记，编号 #{request.number}，先交给咱村村书记、第一书记和值班干部办理"
    )
    assert "交通运输局" not in answer
    for userid in VILLAGE:
        (card,) = cards(service, userid, f"村里先办 #{request.number}")
        assert [b["text"] for b in card["button_list"]] == ["村办结", "上报乡镇"]
        fields = {f["keyname"]: f["value"] for f in card["horizontal_content_list"]}
        assert fields["可能涉及"] == "交通运输局" and fields["当天办结时限"] == "11-16 20:00"
    assert cards(service, "wangjun", "村里先办") == []  # the grid member is not the village tier
    for userid in TOWNSHIP:  # no confirmation card yet, no department card
        assert cards(service, userid, "") == []
    assert await Ticket.all().count() == 0
    # the first secretary keeps it: a tap on 村办结 closes it and the villager is asked to rate it
    (card,) = cards(service, "liuyang", "村里先办")
    await service.later(hours=3)
    await service.wecom.app_card_click("liuyang", card["button_list"][0]["key"], card["task_id"])
    await service.settle()
    await request.refresh_from_db()
    assert request.status == "resolved"
    assert service.texts_to("liuyang")[-1] == f"#{request.number} 已办结，已请村民评价。"
    assert "已办结：村里已经办好了。" in service.texts_to("jiangdahai")[-1]
    # every village card's buttons now say who kept it (each person's card has a code of its own)
    for userid in VILLAGE:
        assert replaced(service, userid) == ["已办结（刘洋）"]
    # the same-day check has nothing to say about it
    assert await tick(service, at(16, 17)) == {"reminded": 0, "township_told": 0, "taken_over": 0, "digest": 0}
    assert await tick(service, at(16, 20)) == {"reminded": 0, "township_told": 0, "taken_over": 0, "digest": 0}
    assert "village_reminded" not in await kinds(request)


async def test_not_closed_the_same_day_reminds_then_tells_the_township_once(driven_service):
    service = driven_service
    request = await report(service)
    assert (await tick(service, at(16, 16, 59)))["reminded"] == 0  # (today's digest goes now: the matter is open)
    assert (await tick(service, at(16, 17)))["reminded"] == 3
    assert (await tick(service, at(16, 17, 1)))["reminded"] == 0  # once, however often the ticker runs
    for userid in VILLAGE:
        (reminder,) = [t for t in service.texts_to(userid) if "今天还没办结" in t]
        assert reminder.startswith(f"#{request.number}（后道老村三屯3网格）今天还没办结") and "11-16 20:00" in reminder
    assert all(service.texts_to(u) == [] for u in TOWNSHIP)
    assert (await tick(service, at(16, 19, 59)))["township_told"] == 0
    assert (await tick(service, at(16, 20)))["township_told"] == 1
    for _ in range(2):  # a second run (or process) finds it told
        assert (await tick(service, at(16, 20, 5)))["township_told"] == 0
    for userid in TOWNSHIP:
        (told,) = service.texts_to(userid)
        assert told.startswith(f"#{request.number}（后道老村三屯3网格）交村里先办，到 11-16 20:00 还没办结")
    assert (await kinds(request)).count("village_reminded") == 1
    assert (await kinds(request)).count("village_overdue") == 1
    # the next morning each secretary's digest names it as late
    assert (await tick(service, at(17, 8)))["digest"] == 2
    assert (await tick(service, at(17, 9)))["digest"] == 0
    for userid in ("jiangfeng", "liuyang"):
        digest = service.texts_to(userid)[-1]
        assert digest.startswith("后道老村 11-17 村里的事：") and f"#{request.number}" in digest and "已超时" in digest
    assert not any(t.startswith("后道老村 11-17") for t in service.texts_to("zhaoshuqin"))


async def test_a_matter_after_the_afternoon_is_due_the_next_day(driven_service, clock):
    clock.set(at(16, 15, 30))
    request = await report(driven_service)
    (card,) = cards(driven_service, "jiangfeng", "村里先办")
    assert {f["keyname"]: f["value"] for f in card["horizontal_content_list"]}["当天办结时限"] == "11-17 20:00"
    assert (await tick(driven_service, at(16, 20)))["township_told"] == 0
    assert (await tick(driven_service, at(17, 17)))["reminded"] == 3
    assert request.status == "at_village"


async def test_sent_up_to_the_township_confirmation_card(driven_service):
    service = driven_service
    request = await report(service)
    await service.wecom.app_text("liuyang", f"上报乡镇 #{request.number} 桥要交通局来修")
    await service.settle()
    assert service.texts_to("liuyang")[-1] == f"#{request.number} 已上报乡镇党委。"
    await request.refresh_from_db()
    assert request.status == "recorded"
    assert (await kinds(request))[-2:] == ["escalated", "proposed"]
    for userid in TOWNSHIP:
        (card,) = cards(service, userid, f"待确认吹哨：诉求 #{request.number}")
        assert "原因：桥要交通局来修" in service.texts_to(userid)[-1]
    # the card goes on as it always did: confirmed, the department is whistled
    (card,) = cards(service, "zhangwei", "待确认吹哨")
    await service.wecom.app_card_click("zhangwei", card["button_list"][0]["key"], card["task_id"])
    await service.settle()
    ticket = await Ticket.get(request_id=request.id)
    assert [a.department_id for a in await Assignment.filter(ticket_id=ticket.id)]
    # nothing is left for the same-day check
    assert await tick(service, at(16, 21)) == {"reminded": 0, "township_told": 0, "taken_over": 0, "digest": 0}


async def test_the_township_whistles_a_matter_at_the_village_stage(driven_service):
    service = driven_service
    request = await report(service)
    await service.wecom.app_text("zhangwei", "哨单")  # the township sees what the village has, and may take it
    await service.settle()
    assert f"村里先办 诉求 #{request.number} 后道老村三屯" in service.texts_to("zhangwei")[-1]
    assert "当天时限 11-16 20:00" in service.texts_to("zhangwei")[-1]
    await service.wecom.app_text("zhangwei", f"吹哨 #{request.number}")
    await service.settle()
    await request.refresh_from_db()
    assert request.status == "whistled"
    ticket = await Ticket.get(request_id=request.id)
    assert "已吹哨" in service.texts_to("zhangwei")[-1] and f"#{ticket.number}" in service.texts_to("zhangwei")[-1]
    # the village's card now only says where the matter stands
    (card,) = cards(service, "jiangfeng", "村里先办")
    await service.wecom.app_card_click("jiangfeng", card["button_list"][0]["key"], card["task_id"])
    await service.settle()
    assert service.texts_to("jiangfeng")[-1] == f"#{request.number} 现在是「部门办理中」，不能再办结或上报了。"
    # the ticker tells those it was given to, once, that the township has it
    assert (await tick(service, at(16, 9, 5)))["taken_over"] == 3
    assert (await tick(service, at(16, 9, 6)))["taken_over"] == 0
    for userid in VILLAGE:
        told = [t for t in service.texts_to(userid) if "乡镇已吹哨接手" in t]
        assert told == [
            f"#{request.number} 乡镇已吹哨接手（哨单 #{ticket.number}，交通运输局），村里不用再办结或上报了。"
        ]
        assert replaced(service, userid) == ["乡镇已接手"]
    assert (await tick(service, at(16, 20)))["township_told"] == 0


async def test_urgent_matters_still_go_everywhere_at_once(driven_service):
    service = driven_service
    request = await report(service, ICE)
    assert request.status == "whistled" and "at_village" not in await kinds(request)
    assert cards(service, "jiangfeng", "村里先办") == []
    assert len(cards(service, "jiangfeng", "【紧急】")) == 1
    assert len(cards(service, "zhaoshuqin", "【紧急】")) == 1
    assert await Ticket.filter(request_id=request.id).count() == 1


async def test_where_matters_were_resolved_and_the_villages_same_day_rate(driven_service):
    service = driven_service
    say = service.wecom.app_text
    await say("jiangdahai", "老王家把柴火垛堆我家门口了，说了也不挪")  # the village's own matter: the grid keeps it
    await service.settle()
    grid = await Request.get(number=1001)
    assert grid.status == "kept_in_grid"
    await say("wangjun", f"村办结 #{grid.number} 已调解")
    await service.later(minutes=10)
    on_time = await report_new(service, BRIDGE)
    await say("jiangfeng", f"村办结 #{on_time.number} 便桥已搭好")
    await service.later(minutes=10)
    late = await report_new(service, "我家自来水停了三天了")
    await tick(service, at(16, 17))
    await tick(service, at(16, 20))
    service.clock.set(at(17, 9))
    await say("liuyang", f"村办结 #{late.number} 水管接上了")  # the next day: the village's, but not the same day
    await service.later(minutes=10)
    sent_up = await report_new(service, "电线杆倒了，家里停电了")
    await say("liuyang", f"上报乡镇 #{sent_up.number} 要供电公司来")  # sent up within the day: not judged
    await service.settle()
    assert (late.status, sent_up.primary) == ("at_village", "power")
    await sent_up.refresh_from_db()
    assert sent_up.status == "recorded" and "escalated" in await kinds(sent_up)
    shares = {r.name: r for r in await where_resolved(at(1, 0), at(30, 0), at(17, 10))}
    village = shares["后道老村"]
    assert (village.grid, village.village, village.departments) == (1, 2, 0)
    assert (village.same_day, village.same_day_judged) == (1, 2)
    assert shares["白山镇"].resolved == 3 and shares["白山镇"].same_day_rate == 0.5
    await say("zhangwei", "统计")
    await service.settle()
    reply = service.texts_to("zhangwei")[-1]
    assert "白山镇 诉求办结 3 件：网格办结 33%，村办结 67%，部门办结 0%；村当天办结率 50%" in reply
    assert "后道老村 诉求办结 3 件" in reply


async def test_the_report_prints_where_matters_were_resolved(driven_service, gridwhistle, config_file, tmp_path):
    service = driven_service
    kept = await report(service)
    await service.wecom.app_text("zhaoshuqin", f"村办结 #{kept.number} 便桥已搭好")  # the cadre on duty keeps it
    await service.settle()
    xlsx = tmp_path / "tickets.xlsx"
    code, out, err = await gridwhistle(
        "report", "tickets", "--month", "2026-11", "--xlsx", str(xlsx), "--config", str(config_file)
    )
    assert code == 0, err
    shares = out.split("诉求去向")[1]
    rows = {line.split()[1]: line.split() for line in shares.splitlines() if line.startswith(("乡镇", "村"))}
    # columns: resolved, 网格办结, 村办结, 部门办结, 村当天办结率, judged
    assert rows["白山镇"][2:] == ["1", "0.0%", "100.0%", "0.0%", "100.0%", "1"]
    assert rows["后道老村"][2:] == ["1", "0.0%", "100.0%", "0.0%", "100.0%", "1"]
    sheet = load_workbook(xlsx)["诉求去向"]
    assert [c.value for c in sheet[1]][:3] == ["类别", "名称", "办结诉求"]


async def report_new(service: Any, text: str) -> Request:
    await service.wecom.app_text("jiangdahai", text)
    await service.settle()
    return await Request.filter(merged_into_id=None).order_by("-id").first()


async def test_a_matter_at_night_names_who_is_on_duty_and_is_due_the_next_day(driven_service, clock):
    clock.set(at(17, 22))  # 11-17's night: 后道老村 值班 赵淑琴, 白山镇 值班 李红
    request = await report(driven_service)
    (answer,) = driven_service.texts_to("jiangdahai")
    assert "先交给咱村村书记、第一书记和值班干部办理" in answer and "后道老村今晚值班的是赵淑琴" in answer
    stage = await TicketEvent.get(request_id=request.id, kind="at_village")
    assert stage.data["due"] == "2026-11-18T20:00:00+08:00"
    assert "zhaoshuqin" in stage.data["userids"]  # the night's 值班 of the village
    assert cards(driven_service, "jiangfeng", "村里先办") == []  # not urgent: the card waits out the quiet hours
    await driven_service.later(hours=10)  # 08:00
    assert len(cards(driven_service, "jiangfeng", "村里先办")) == 1
