"""Serving Party members end to end: the real service with the demo county (config/demo/members.csv), WeCom
played by the sandbox's callback client, the outbox sent by hand to the fake WeCom API, assertions on what it
received. 双报到 with the village's tap, an org load after it, a skill-matched offer and its claim, 答复."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.clock import SHANGHAI
from bot.keys import SERVICES
from config.settings import DEMO_ORG_FILE
from handlers.members import tickers
from handlers.whistle import tickers as whistle_tickers
from models import MemberAnswer, PartyMember, PracticalTask, Request, Role, TicketEvent
from models.org import load_org

pytestmark = pytest.mark.clock_start(datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI))


def cards(service, userid: str) -> list[dict]:
    return [
        b["template_card"]
        for b in service.fake.bodies("message/send")
        if userid in b["touser"].split("|") and b["msgtype"] == "template_card"
    ]


async def tap(service, userid: str, card: dict, button: int = 0) -> None:
    await service.wecom.app_card_click(userid, card["button_list"][button]["key"], card["task_id"])
    await service.settle()


async def test_registration_is_confirmed_by_the_village_and_survives_the_next_org_load(driven_service, clock):
    service, wecom = driven_service, driven_service.wecom
    await wecom.app_text("liutao", "进网格 后道老村 3网格 特长 电工、驾驶", repeats=2)  # a WeCom retry: one card
    await service.settle()
    assert service.texts_to("liutao")[-1] == "已提交到后道老村3网格报到，等姜峰、刘洋确认后就生效。"
    (card,) = cards(service, "jiangfeng")  # one card to both secretaries: one tap decides for both
    assert card["main_title"]["title"] == "刘涛 申请到后道老村3网格报到（在职党员）"
    member = await PartyMember.get(person__userid="liutao")
    assert (member.unit, member.status, member.skills) == ("transport", "pending", ["电工", "驾驶"])
    assert not await Role.filter(person_id=member.person_id, role="party_member").exists()  # not before the tap

    await tap(service, "wangjun", card)  # a grid member may not confirm
    assert service.texts_to("wangjun")[-1] == "报到要由这个村的村书记或第一书记确认。"
    await tap(service, "jiangfeng", card)
    await tap(service, "liuyang", card)  # the second secretary's tap changes nothing
    assert service.texts_to("liuyang")[-1] == "刘涛的报到已经处理过了。"
    told = [t for t in service.texts_to("liutao") if t.startswith("您已在后道老村3网格报到")]
    assert len(told) == 1 and "姜峰确认" in told[0]
    assert await Role.filter(person__userid="liutao", role="party_member", scope="houdaolao-3").exists()
    assert await Role.filter(person__userid="liutao", role="liaison").exists()  # still transport's liaison

    # 周电明 is in the members roster (houdaolao-3); he registers in chat for 红旗农场's grid and is confirmed
    await wecom.app_text("zhoudianming", "进网格 红旗农场一作业区网格 特长 电工")
    await service.settle()
    await tap(service, "qiguoqing", cards(service, "qiguoqing")[-1])
    assert (await PartyMember.get(person__userid="zhoudianming").prefetch_related("grid")).grid.code == "hongqi-1"

    summary = await load_org([DEMO_ORG_FILE], clock.now())
    assert summary["party_members"].updated == 1  # 周电明: the file says otherwise for him
    back = await PartyMember.get(person__userid="zhoudianming").prefetch_related("grid")
    assert (back.grid.code, back.source) == ("houdaolao-3", "org")
    assert [r.scope for r in await Role.filter(person__userid="zhoudianming", role="party_member")] == ["houdaolao-3"]
    kept = await PartyMember.get(person__userid="liutao").prefetch_related("grid")  # the file does not list him
    assert (kept.grid.code, kept.status, kept.source) == ("houdaolao-3", "confirmed", "chat")
    assert await Role.filter(person__userid="liutao", role="party_member", scope="houdaolao-3").exists()


async def test_bad_registrations_get_clear_answers(driven_service):
    service, wecom = driven_service, driven_service.wecom
    await wecom.app_text("liutao", "进网格 东升村9网格 特长 电工")
    await wecom.app_text("jiangdahai", "进网格 后道老村3网格 特长 电工")  # a villager has no unit to name
    await wecom.app_text("jiangdahai", "进网格 后道老村3网格 特长 电工 单位 不存在局")
    await wecom.app_text("liutao", "进网格")
    await service.settle()
    assert service.texts_to("liutao") == [
        "没有找到网格「东升村9网格」。请写村名加网格名，例如：后道老村3网格。",
        "请这样写：进网格 村名网格名 特长 特长…，例如：进网格 后道老村3网格 特长 电工（单位不是您现在所在的部门或乡镇时，末尾加「单位 交通运输局」）。",
    ]
    assert service.texts_to("jiangdahai") == [
        "请在末尾写上您的单位，例如：进网格 后道老村3网格 特长 电工 单位 交通运输局。",
        "没有找到单位「不存在局」。请写部门或乡镇的名称，例如：单位 交通运输局。",
    ]
    assert await PartyMember.filter(source="chat").count() == 0


async def test_a_request_needing_a_skill_is_offered_claimed_and_finished_like_a_departments(driven_service, clock):
    service, wecom = driven_service, driven_service.wecom
    services = service.app[SERVICES]
    await wecom.app_text("jiangdahai", "家里电表老跳闸，插座也不通电了，麻烦找人给看看")
    await service.settle()
    request = await Request.get(sender__userid="jiangdahai")
    assert (request.primary, request.status) == ("power", "recorded")  # waiting for the township to whistle it

    assert await tickers.offer_tick(services) == 1 and await tickers.offer_tick(services) == 0
    await service.settle()
    (offer,) = cards(service, "zhoudianming")  # 电工 in houdaolao-3; 郑晓燕 (会计、教师) there is not asked
    assert offer["main_title"]["title"] == f"网格里有事需要您的特长（电工）：#{request.number}"
    assert cards(service, "zhengxiaoyan") == [] and cards(service, "hezheng") == []

    await tap(service, "zhoudianming", offer)
    assert f"已认领诉求 #{request.number}，登记为实事 1" in service.texts_to("zhoudianming")[-1]
    await request.refresh_from_db()
    assert request.status == "claimed"
    event = await TicketEvent.get(request=request, kind="claimed").prefetch_related("actor")
    assert event.actor.userid == "zhoudianming"
    await service.later(minutes=3)  # news of a request waits [requests] hearback_combine_seconds for more
    news = service.texts_to("jiangdahai")
    assert any("在职党员周电明（交通运输局）认领了您反映的事" in t for t in news)
    assert any(f"在职党员周电明（交通运输局）认领了诉求 #{request.number}" in t for t in service.texts_to("zhangwei"))
    await tap(service, "zhoudianming", offer)  # a second tap: already his
    assert "已由周电明认领" in service.texts_to("zhoudianming")[-1]
    await wecom.app_text("wangjun", f"实事 认领 #{request.number}")  # nobody else can claim it
    await service.settle()
    assert "已由周电明认领" in service.texts_to("wangjun")[-1]
    assert await tickers.offer_tick(services) == 0  # a claimed request is offered no more

    await service.later(hours=3)  # past the township's time to confirm the whistle: a claimed request stays his
    await whistle_tickers.tick(services)
    await request.refresh_from_db()
    assert request.status == "claimed"
    await wecom.app_text("zhoudianming", "实事 完成 1 换了空气开关，电已通")
    await service.settle()
    await request.refresh_from_db()
    assert request.status == "resolved"
    done = [t for t in service.texts_to("jiangdahai") if "已办结" in t]
    assert len(done) == 1 and "已办结：在职党员周电明（交通运输局）：换了空气开关，电已通" in done[0]
    assert cards(service, "jiangdahai")  # asked to rate it, as after a department's 办结
    task = await PracticalTask.get(cadre__userid="zhoudianming")
    assert (task.status, task.request_id) == ("done", request.id)


async def test_a_request_with_the_departments_cannot_be_claimed(driven_service):
    service, wecom = driven_service, driven_service.wecom
    await wecom.app_text("jiangdahai", "家里电表老跳闸，插座也不通电了，麻烦找人给看看")
    await service.settle()
    request = await Request.get(sender__userid="jiangdahai")
    await wecom.app_text("zhangwei", f"吹哨 #{request.number}")
    await wecom.app_text("zhoudianming", f"实事 认领 #{request.number}")
    await service.settle()
    assert service.texts_to("zhoudianming")[-1] == f"诉求 #{request.number} 现在部门办理中，不能认领了。"
    assert await PracticalTask.filter(request=request).count() == 0


async def test_a_cancelled_claim_gives_the_request_back_to_the_grid(driven_service):
    service, wecom = driven_service, driven_service.wecom
    await wecom.app_text("jiangdahai", "家里电表老跳闸，插座也不通电了，麻烦找人给看看")
    await service.settle()
    request = await Request.get(sender__userid="jiangdahai")
    await wecom.app_text("zhengxiaoyan", f"实事 认领 #{request.number}")  # claiming needs no skill
    await wecom.app_text("zhengxiaoyan", "实事 撤销 1 不会修电")
    await service.settle()
    await request.refresh_from_db()
    assert request.status == "kept_in_grid"
    await service.later(minutes=3)
    assert any("已交回村里网格处理" in t for t in service.texts_to("jiangdahai"))
    assert await TicketEvent.filter(request=request, kind="unclaimed").count() == 1


async def test_answers_are_sent_to_the_villager_and_counted(driven_service):
    service, wecom = driven_service, driven_service.wecom
    await wecom.app_text("jiangdahai", "我家孩子转学的手续咋办")
    await service.settle()
    request = await Request.get(sender__userid="jiangdahai")
    await wecom.app_text("zhengxiaoyan", f"答复 #{request.number} 带户口本去镇中心校开转学证明就行", repeats=2)
    await wecom.app_text("hezheng", f"答复 #{request.number} 我来说两句")  # 红旗农场's member: not his grid
    await wecom.app_text("jiangdahai", f"答复 #{request.number} 我自己答")  # a villager may not
    await wecom.app_text("wangjun", f"答复 #{request.number} 村里也能开介绍信")  # the grid's own cadre may
    await service.later(minutes=3)
    assert service.texts_to("zhengxiaoyan")[-1] == f"已把答复转告反映 #{request.number} 的群众。今年您已答复 1 次。"
    assert service.texts_to("hezheng")[-1] == f"诉求 #{request.number} 不在您所在的网格或村，不能答复。"
    news = "\n".join(service.texts_to("jiangdahai"))
    assert "答复群众要由本网格的在职党员或网格员、村干部来做。" in news
    assert news.count("在职党员郑晓燕（白山镇）答复：带户口本去镇中心校开转学证明就行") == 1
    assert "王军答复：村里也能开介绍信" in news
    assert await MemberAnswer.filter(person__userid="zhengxiaoyan").count() == 1
    await wecom.app_text("zhengxiaoyan", "我的报到")
    await service.settle()
    mine = service.texts_to("zhengxiaoyan")[-1]
    assert mine.startswith("您在后道老村3网格报到（单位：白山镇；特长：会计、教师）。")
    assert "答复 1 次" in mine
