"""After recording, through the real dispatcher (`say`): village-kept matters closed and rated, an unhappy rating
that reopens, relaying (代报), kf linking, how news reaches each kind of villager, the daily non-request list."""

from __future__ import annotations

from datetime import timedelta

from handlers.requests.digest import send_non_request_digests
from handlers.requests.hearback import tell_requester
from models import Area, Household, KfCustomer, KfLink, OutboxMessage, Person, Request, RequestUpdate, TicketEvent

NEIGHBOUR_QUARREL = "老王家把柴火垛堆我家门口了，说了也不挪"


def cards_to(rows, userid):
    return [r.payload["card"] for r in rows if r.kind == "app" and r.target == userid and r.payload.get("card")]


def texts_to(rows, userid):
    return [r.payload["text"] for r in rows if r.target == userid and r.payload.get("text")]


async def click(say, userid, key):
    return await say("app", userid, kind="card_click", extra={"event_key": key, "task_id": "t"})


async def test_a_village_matter_goes_to_grid_member_and_secretary_then_is_closed_and_rated(county, say, clock):
    sent = await say("app", "jiangdahai", NEIGHBOUR_QUARREL)
    request = await Request.get()
    assert request.status == "kept_in_grid"
    assert "村干部" in texts_to(sent, "jiangdahai")[0]
    for cadre in ("wangjun", "jiangfeng", "liuyang"):  # grid member of 3网格, both secretaries of 后道老村 (双书记)
        (card,) = cards_to(sent, cadre)
        assert [b["key"] for b in card["buttons"]] == [f"village:close:{request.id}", f"village:escalate:{request.id}"]
    sent = await click(say, "wangjun", f"village:close:{request.id}")
    await request.refresh_from_db()
    assert request.status == "resolved"
    assert any("已办结" in t for t in texts_to(sent, "wangjun"))
    (rate_card,) = cards_to(sent, "jiangdahai")
    assert [b["key"] for b in rate_card["buttons"]] == [
        f"rate:{request.id}:satisfied",
        f"rate:{request.id}:basically_satisfied",
        f"rate:{request.id}:unsatisfied",
    ]
    assert any("村里已经办好了" in t for t in texts_to(sent, "jiangdahai"))
    # the same click again (WeCom retries, a second tap) changes nothing
    again = await click(say, "wangjun", f"village:close:{request.id}")
    assert cards_to(again, "jiangdahai") == []
    sent = await click(say, "jiangdahai", f"rate:{request.id}:satisfied")
    await request.refresh_from_db()
    assert request.status == "closed" and request.satisfaction == "satisfied"
    assert "谢谢" in texts_to(sent, "jiangdahai")[0]


async def test_someone_elses_village_matter_cannot_be_closed(county, say):
    await say("app", "jiangdahai", NEIGHBOUR_QUARREL)
    request = await Request.get()
    sent = await click(say, "lidawei", f"village:close:{request.id}")  # grid member of another grid
    assert "不归您村" in texts_to(sent, "lidawei")[0]
    await request.refresh_from_db()
    assert request.status == "kept_in_grid"


async def test_village_matter_closed_and_escalated_by_words(county, say):
    await say("app", "jiangdahai", NEIGHBOUR_QUARREL)
    await say("app", "fengbaolin", "我家狗让邻居家狗咬了，邻居不认账")
    first, second = await Request.all().order_by("id")
    sent = await say("app", "wangjun", f"村办结 #{first.number} 已经调解好了")
    assert any("已经调解好了" in t for t in texts_to(sent, "jiangdahai"))
    sent = await say("app", "jiangfeng", f"上报乡镇 #{second.number} 两家吵得厉害")
    await second.refresh_from_db()
    assert second.status == "recorded"
    assert await TicketEvent.filter(request_id=second.id, kind="escalated").exists()
    committee = {r.target for r in sent if r.kind == "app"} & {"zhangwei", "lihong", "wanggang"}
    assert committee == {"zhangwei", "lihong", "wanggang"}


async def test_an_unhappy_rating_by_word_reopens_the_village_matter_marked_urged(county, say, clock):
    await say("kf", "wmNOBODY", "hi")  # a kf villager nobody linked: answered, nothing recorded
    await say("app", "jiangdahai", NEIGHBOUR_QUARREL)
    request = await Request.get()
    await say("app", "wangjun", f"村办结 #{request.number}")
    clock.advance(hours=1)
    sent = await say("app", "jiangdahai", "不满意 柴火垛还在那")
    await request.refresh_from_db()
    assert request.status == "kept_in_grid" and request.satisfaction == "unsatisfied"
    event = await TicketEvent.get(request_id=request.id, kind="reopened")
    assert event.data == {"urged": True}
    (card,) = cards_to(sent, "wangjun")
    assert card["title"].startswith("督办")
    assert card["description"].startswith("村民不满意：柴火垛还在那。")  # why, before the matter itself
    assert "重新交办" in texts_to(sent, "jiangdahai")[0]


async def test_a_rating_word_with_nothing_to_rate(county, say):
    sent = await say("app", "jiangdahai", "满意")
    assert "没有等着评价" in texts_to(sent, "jiangdahai")[0]


async def test_relaying_for_a_villager_records_and_tells_them(county, say):
    sent = await say("app", "wangjun", "代报 姜大海 三屯桥塌了一半，车过不去")
    request = await Request.get()
    assert request.channel == "relay" and request.primary == "transport"
    assert (await request.relayed_by).userid == "wangjun"
    assert (await request.sender).userid == "jiangdahai"
    assert (await request.household).code == "houdaolao-3-017"
    assert any(f"#{request.number}" in t for t in texts_to(sent, "wangjun"))
    assert any("王军替您登记了" in t for t in texts_to(sent, "jiangdahai"))


async def test_relaying_for_a_household_without_any_channel_asks_the_cadre_to_pass_it_on(county, say):
    sent = await say("app", "wangjun", "代报 韩德山 家里房子漏雨了，墙也裂了")
    request = await Request.get()
    assert (await request.household).code == "houdaolao-3-005" and request.sender_id is None
    assert any("请您转告" in t for t in texts_to(sent, "wangjun"))


async def test_relaying_an_ambiguous_name_asks_which_household(county, say, clock):
    grid = await Area.get(code="houdaolao-4")
    other = await Household.create(code="houdaolao-4-030", head="姜大海", grid=grid, address="三屯30号")
    await Person.create(name="姜大海", household=other, mobile="13900000030")
    sent = await say("app", "jiangfeng", "代报 姜大海 路灯不亮了")
    text = texts_to(sent, "jiangfeng")[0]
    assert "2户" in text and "houdaolao-3-017" in text and "139****0030" in text and "13900000030" not in text
    assert await Request.all().count() == 0
    await say("app", "jiangfeng", "代报 houdaolao-4-030 路灯不亮了")
    assert (await (await Request.get()).household).code == "houdaolao-4-030"


async def test_only_cadres_relay_and_only_within_their_area(county, say):
    sent = await say("app", "jiangdahai", "代报 冯宝林 路灯不亮了")
    assert "没有权限" in texts_to(sent, "jiangdahai")[0]
    sent = await say("app", "lidawei", "代报 姜大海 路灯不亮了")  # 1网格's member, 姜大海 lives in 3网格
    assert "没找到" in texts_to(sent, "lidawei")[0]
    assert await Request.all().count() == 0


async def test_a_kf_villager_is_linked_after_the_grid_members_tap(county, say, clock):
    grid = await Area.get(code="houdaolao-3")
    await KfCustomer.create(
        external_userid="wmFENG", open_kfid="wkgridwhistledemo", grid=grid, last_customer_message_at=clock.now()
    )
    await say("kf", "wmFENG", "路灯不亮了好几天了")
    sent = await say("kf", "wmFENG", "我是 冯宝林 三屯")
    assert "网格员确认" in texts_to(sent, "wmFENG")[0]
    (card,) = cards_to(sent, "wangjun")
    assert card["buttons"][0]["key"] == "kflink:yes:wmFENG"
    sent = await click(say, "wangjun", "kflink:yes:wmFENG")
    person = await Person.get(userid="fengbaolin")
    assert person.external_userid == "wmFENG"
    assert (await KfCustomer.get(external_userid="wmFENG")).person_id == person.id
    request = await Request.get()
    assert request.sender_id == person.id and (await request.household).code == "houdaolao-3-023"
    assert any("冯宝林" in t or "户" in t for t in texts_to(sent, "wmFENG"))
    assert (await KfLink.get(external_userid="wmFENG")).state == "linked"
    # stays linked: the next message is recorded against the household, and nobody asks again
    sent = await say("kf", "wmFENG", "我家门口那个井盖没了")
    latest = await Request.all().order_by("-id").first()
    assert latest.sender_id == person.id
    assert not any("我是" in t for t in texts_to(sent, "wmFENG"))


async def test_news_goes_by_webhook_app_kf_or_grid_member_and_is_combined(county, say, clock, services):
    await say("aibot", "fengbaolin", "路灯不亮了好几天了", conversation="wrkSFfCgAAhoudaolao3")  # chat with webhook
    await say("app", "jiangdahai", "三屯那个桥塌了一半")  # WeCom member
    await KfCustomer.create(
        external_userid="wmKF",
        open_kfid="wkgridwhistledemo",
        grid=await Area.get(code="wenhua-1"),
        last_customer_message_at=clock.now(),
    )
    await say("kf", "wmKF", "我家低保咋还没发")  # kf within its window
    await KfCustomer.create(
        external_userid="wmOLD",
        open_kfid="wkgridwhistledemo",
        grid=await Area.get(code="wenhua-2"),
        last_customer_message_at=clock.now(),
    )
    await say("kf", "wmOLD", "停电了")
    # kf past its 48 h window: the grid member is asked to pass it on
    await KfCustomer.filter(external_userid="wmOLD").update(last_customer_message_at=clock.now() - timedelta(hours=49))
    by_webhook, by_app, by_kf, by_note = await Request.all().order_by("id")
    before = await OutboxMessage.all().count()
    for request in (by_webhook, by_app, by_kf, by_note):
        assert await tell_requester(services, request, "供电公司已签收 电话13800000019", dedupe_key="t:1") == 1
        assert await tell_requester(services, request, "正在修", dedupe_key="t:2") == 1
        assert await tell_requester(services, request, "正在修", dedupe_key="t:2") == 0  # the same news twice: nothing
    rows = (await OutboxMessage.all().order_by("id"))[before:]
    assert [(r.kind, r.target) for r in rows] == [
        ("webhook", "00000000-demo-4a00-8000-houdaolao003"),
        ("app", "jiangdahai"),
        ("kf", "wmKF"),
        ("app", "sunjianguo"),
    ]
    assert all(r.not_before > clock.now() for r in rows)  # held briefly so news can be combined
    webhook_text = rows[0].payload["text"]
    assert "13800000019" not in webhook_text and "正在修" in webhook_text
    assert "请转告" in rows[3].payload["text"] and "正在修" in rows[3].payload["text"]
    assert await RequestUpdate.all().count() == 8


async def test_the_daily_list_of_non_requests_goes_to_each_grid_member_once(county, say, clock, services):
    await say("aibot", "fengbaolin", "收到收到", conversation="wrkSFfCgAAhoudaolao3")
    await say("app", "jiangdahai", "好的 电话13812345678")
    clock.advance(days=1)
    clock.set(clock.now().replace(hour=7, minute=0))
    assert await send_non_request_digests(services, clock.now()) == 0  # not yet
    clock.advance(hours=1, minutes=1)
    assert await send_non_request_digests(services, clock.now()) == 1
    assert await send_non_request_digests(services, clock.now() + timedelta(minutes=5)) == 0
    row = await OutboxMessage.filter(dedupe_key__startswith="non-request-digest").get()
    assert row.target == "wangjun"
    assert (
        "2条" in row.payload["text"] and "收到收到" in row.payload["text"] and "13812345678" not in row.payload["text"]
    )


async def test_the_daily_list_runs_on_the_scheduler(county, say, clock, services, database_url):
    from bot.scheduler import Scheduler
    from handlers.requests import tickers as requests_tickers

    await say("aibot", "fengbaolin", "收到收到", conversation="wrkSFfCgAAhoudaolao3")
    scheduler = Scheduler(clock=clock, database_url=database_url)
    requests_tickers.register(scheduler, services)
    async with scheduler.running():
        clock.set(clock.now().replace(hour=23))
        assert await scheduler.run_due() == ["requests.non-request-digest"]  # before 08:00 next day: nothing
        assert not await OutboxMessage.filter(dedupe_key__startswith="non-request-digest").exists()
        clock.set((clock.now() + timedelta(days=1)).replace(hour=8, minute=2))
        assert await scheduler.run_due() == ["requests.non-request-digest"]
        clock.advance(minutes=5)
        assert await scheduler.run_due() == ["requests.non-request-digest"]
    assert await OutboxMessage.filter(dedupe_key__startswith="non-request-digest").count() == 1


async def test_a_grid_member_closes_a_village_matter_with_the_plain_word(county, say):
    """办结 is the liaisons' word for tickets, but a grid member types it for the grid's matters too."""
    await say("app", "jiangdahai", NEIGHBOUR_QUARREL)
    request = await Request.get()
    sent = await say("app", "wangjun", f"办结 #{request.number} 两家已经和好了")
    assert any("两家已经和好了" in t for t in texts_to(sent, "jiangdahai"))
    await request.refresh_from_db()
    assert request.status == "resolved"
