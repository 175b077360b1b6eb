"""Blowing the whistle and reporting for duty through the real dispatcher (`say`), on the demo county.

Who is who (config/demo/county.toml): 白山镇 committee zhangwei, lihong, wanggang; 龙兴镇 chenjing;
liaisons: transport liutao + mabin, water hanxue, agriculture fengjun + caolin, finance fuyu,
development_reform shenkai, power yuhao + songpeng. Villager jiangdahai lives in 后道老村3网格 (白山镇),
whose village secretary is jiangfeng.
"""

from __future__ import annotations

from handlers.whistle.tickers import tick
from models import Assignment, OutboxMessage, Request, RoutingCorrection, Ticket, TicketEvent

BRIDGE = "三屯那个桥塌了一半，车过不去"  # transport, normal: a confirmation card first
FLOOD = "三屯那个桥塌了一半，车过不去，河水漫进猪圈了"  # transport, urgent: whistled at once
BAISHAN = "zhangwei|lihong|wanggang"


def to(rows, target):
    return [r for r in rows if r.target == target]


def text_to(rows, target) -> str:
    return "\n".join(r.payload.get("text", "") for r in to(rows, target))


def new_cards(rows):
    return [r for r in rows if r.payload.get("card") and not r.payload.get("card_update")]


def card_updates(rows):
    return [r for r in rows if r.payload.get("card_update")]


async def recorded(say, text=BRIDGE, who="jiangdahai") -> Request:
    await say("app", who, text)
    return await Request.filter(sender__userid=who).order_by("-id").first()


async def whistled(say, request: Request, command: str = "交通局 水务局 农业局 财政局 发改局") -> Ticket:
    await say("app", "zhangwei", f"吹哨 #{request.number} {command}")
    return await Ticket.filter(request_id=request.id).order_by("-id").first()


async def click(say, who: str, key: str, code: str = ""):
    return await say(
        "app",
        who,
        kind="card_click",
        extra={"event_key": key, "task_id": "t", "response_code": code or f"rc-{who}-{key}"},
    )


async def test_the_township_blows_the_whistle_to_five_departments(county, say):
    request = await recorded(say)
    sent = await say("app", "zhangwei", f"吹哨 #{request.number} 交通局 水务局 农业局 财政局 发改局 请到现场")
    ticket = await Ticket.get()
    assert ticket.number != request.number and ticket.note == "请到现场"
    parts = await Assignment.filter(ticket=ticket).order_by("id").prefetch_related("department")
    assert [(a.department.code, a.is_primary) for a in parts] == [
        ("transport", True),
        ("water", False),
        ("agriculture", False),
        ("finance", False),
        ("development_reform", False),
    ]
    # one card per department, to all of its liaisons at once (so one response_code updates all of them)
    targets = {r.target: r.payload["card"] for r in new_cards(sent)}
    assert set(targets) == {"liutao|mabin", "hanxue", "fengjun|caolin", "fuyu", "shenkai"}
    primary = targets["liutao|mabin"]
    assert "主办" in primary["title"] and [b["text"] for b in primary["buttons"]] == ["签收", "退单"]
    assert primary["buttons"][0]["key"] == f"duty:on:{ticket.id}:transport"
    # five departments: a joint-handling group of the township member, both village secretaries and the liaisons
    chat = [r for r in sent if r.kind == "appchat"]
    assert len(chat) == 1 and chat[0].target == f"gwticket{ticket.number}"
    members = chat[0].payload["create_group"]["members"]
    for userid in (
        "zhangwei",
        "jiangfeng",
        "liuyang",
        "liutao",
        "mabin",
        "hanxue",
        "fengjun",
        "caolin",
        "fuyu",
        "shenkai",
    ):
        assert userid in members
    assert f"#{ticket.number}" in text_to(sent, "zhangwei") and "交通运输局" in text_to(sent, "zhangwei")
    kinds = [e.kind for e in await TicketEvent.filter(ticket=ticket).order_by("id")]
    assert kinds == ["whistled"] + ["notified"] * 5
    assert (await Request.get(id=request.id)).status == "whistled"


async def test_the_bridge_story_every_department_reports_and_the_villager_rates(county, say, clock):
    sent = await say("app", "jiangdahai", FLOOD)
    request = await Request.get()
    ticket = await Ticket.get()  # urgent: sent to transport at once, and the township told
    urgent = [r.target for r in new_cards(sent) if r.payload["card"]["task_id"].startswith("gw-urgent-")]
    # the grid's member and the village's secretaries, and the 值班 of the village and of the township (the roster)
    assert sorted(urgent) == ["jiangfeng", "lihong", "liuyang", "wangjun", "zhaoshuqin"]
    departments = [r.target for r in new_cards(sent) if r.target not in urgent]
    assert "已自动吹哨" in text_to(sent, BAISHAN) and departments == ["liutao|mabin"]
    sent = await say("app", "zhangwei", f"吹哨 #{request.number} 水务局 农业局 财政局 发改局")
    assert "已增派" in text_to(sent, "zhangwei")
    assert {r.target for r in new_cards(sent)} == {"hanxue", "fengjun|caolin", "fuyu", "shenkai"}
    assert [r.target for r in sent if r.kind == "appchat"] == [f"gwticket{ticket.number}"]
    departments = {
        "transport": "liutao",
        "water": "hanxue",
        "agriculture": "fengjun",
        "finance": "fuyu",
        "development_reform": "shenkai",
    }
    for code, liaison in departments.items():
        clock.advance(minutes=5)
        sent = await click(say, liaison, f"duty:on:{ticket.id}:{code}", code=f"rc-on-{code}")
        update = card_updates(sent)
        assert len(update) == 1 and update[0].payload["card_update"]["response_code"] == f"rc-on-{code}"
        assert [b["text"] for b in update[0].payload["card"]["buttons"]] == ["办结", "进展"]
        assert "已签收" in text_to(sent, liaison)
    # the villager heard that the primary department signed
    told = await OutboxMessage.filter(target="jiangdahai", dedupe_key__startswith="hearback:")
    assert any("交通运输局已签收" in r.payload["text"] for r in told)
    # mabin (also transport) updates progress by text; the villager hears it
    sent = await say("app", "mabin", f"进展 #{ticket.number} 便桥材料已运到")
    assert "进展" in text_to(sent, "mabin")
    clock.advance(hours=3)
    for code, liaison in departments.items():
        sent = await click(say, liaison, f"duty:done:{ticket.id}:{code}", code=f"rc-done-{code}")
        (done_card,) = [b["text"] for b in card_updates(sent)[0].payload["card"]["buttons"]]
        assert done_card.startswith("已办结")  # the whole card is renewed: what it says and its one status button
    ticket = await Ticket.get(id=ticket.id)
    assert ticket.status == "resolved"
    request = await Request.get(id=request.id)
    assert request.status == "resolved"
    rating_card = await OutboxMessage.filter(target="jiangdahai", dedupe_key__endswith="rate-card").first()
    assert rating_card is not None
    sent = await say("app", "jiangdahai", "满意")
    assert (await Request.get(id=request.id)).status == "closed"
    kinds = [e.kind for e in await TicketEvent.filter(ticket=ticket).order_by("id")]
    assert kinds.count("on_duty") == 5 and kinds.count("done") == 5 and kinds[-1] == "resolved"
    chat_posts = await OutboxMessage.filter(kind="appchat", target=f"gwticket{ticket.number}").count()
    assert chat_posts == 1 + 5 + 1 + 5 + 1  # hello, 签收 ×5, 进展, 办结 ×5, resolved


async def test_a_click_updates_the_card_for_every_liaison_of_the_department(county, say):
    request = await recorded(say)
    ticket = await whistled(say, request, "交通局")
    sent = await click(say, "mabin", f"duty:on:{ticket.id}:transport", code="rc-1")
    update = card_updates(sent)
    assert len(update) == 1 and update[0].target == "liutao|mabin"
    # liutao clicks the same (old) button: a polite note, and his stale card is brought up to date with that click
    sent = await click(say, "liutao", f"duty:on:{ticket.id}:transport", code="rc-2")
    (refresh,) = card_updates(sent)
    assert refresh.payload["card_update"]["response_code"] == "rc-2" and "已签收" in text_to(sent, "liutao")
    assert [b["text"] for b in refresh.payload["card"]["buttons"]] == ["办结", "进展"]
    assert await TicketEvent.filter(ticket=ticket, kind="on_duty").count() == 1


async def test_text_commands_use_the_sent_cards_response_code_once_then_send_a_fresh_card(county, say, clock):
    request = await recorded(say)
    ticket = await whistled(say, request, "交通局")
    card_row = await OutboxMessage.get(dedupe_key=f"card:gw-{ticket.number}-transport-1")
    card_row.status, card_row.sent_at, card_row.result = "sent", clock.now(), {"response_code": "rc-sent"}
    await card_row.save()
    sent = await say("app", "liutao", f"报到 #{ticket.number}")
    assert card_updates(sent)[0].payload["card_update"]["response_code"] == "rc-sent"
    sent = await say("app", "liutao", f"办结 #{ticket.number} 桥已修好")
    assert card_updates(sent) == []  # the code is spent: a fresh card tells the liaisons it is done
    (fresh,) = [r for r in new_cards(sent) if r.target == "liutao|mabin"]
    assert [b["text"] for b in fresh.payload["card"]["buttons"]] == ["已办结（刘涛）"]
    part = await Assignment.get(ticket=ticket)
    assert part.state == "done"
    # the part was created holding its first card's task id; the fresh card is the second
    assert part.card_task_id == f"gw-{ticket.number}-transport-2" and fresh.dedupe_key == f"card:{part.card_task_id}"


async def test_a_non_urgent_request_waits_for_confirmation_then_goes_after_the_time_out(county, say, services, clock):
    sent = await say("app", "jiangdahai", "村口的路灯坏了一个多月了，晚上黑")
    request = await Request.get()
    assert request.urgency == "normal" and request.status == "recorded"
    confirm = [r for r in new_cards(sent) if r.target == BAISHAN]
    assert len(confirm) == 1
    buttons = confirm[0].payload["card"]["buttons"]
    assert [b["key"] for b in buttons] == [f"whistle:confirm:{request.number}", f"whistle:reassign:{request.number}"]
    clock.advance(minutes=119)
    assert (await tick(services))["whistled_after_timeout"] == 0
    assert await Ticket.all().count() == 0
    clock.advance(minutes=2)
    done = await tick(services)
    assert done["whistled_after_timeout"] == 1
    ticket = await Ticket.get()
    assert (await TicketEvent.get(ticket=ticket, kind="whistled")).data["trigger"] == "timeout"
    told = [r for r in await OutboxMessage.filter(target=BAISHAN) if "已自动吹哨" in r.payload.get("text", "")]
    assert len(told) == 1
    assert not (await tick(services))["whistled_after_timeout"]  # twice: nothing more


async def test_confirm_by_button_greys_the_card_for_all_members(county, say):
    await say("app", "jiangdahai", "村口的路灯坏了一个多月了，晚上黑")
    request = await Request.get()
    sent = await click(say, "lihong", f"whistle:confirm:{request.number}", code="rc-confirm")
    ticket = await Ticket.get()
    update = card_updates(sent)
    assert update[0].target == BAISHAN and update[0].payload["card_update"] == {
        "response_code": "rc-confirm",
        "replace_name": "已吹哨（李红）",
    }
    assert (await TicketEvent.get(ticket=ticket, kind="whistled")).actor_id is not None
    sent = await click(say, "wanggang", f"whistle:confirm:{request.number}", code="rc-late")
    assert f"#{ticket.number}" in text_to(sent, "wanggang") and await Ticket.all().count() == 1


async def test_a_return_goes_back_to_the_township_which_reassigns(county, say):
    request = await recorded(say)
    ticket = await whistled(say, request, "交通局 财政局")
    sent = await say("app", "liutao", f"退单 #{ticket.number}")
    assert "原因" in text_to(sent, "liutao")
    sent = await say("app", "liutao", f"退单 #{ticket.number} 桥归水务局管护")
    assert "已退单" in text_to(sent, "liutao")
    assert "桥归水务局管护" in text_to(sent, BAISHAN) and "改派" in text_to(sent, BAISHAN)
    sent = await say("app", "zhangwei", f"改派 #{ticket.number} 水务局 桥归水务局管护")
    assert "已改派" in text_to(sent, "zhangwei"), text_to(sent, "zhangwei")
    water = [r for r in new_cards(sent) if r.target == "hanxue"]
    assert len(water) == 1 and "主办" in water[0].payload["card"]["title"]
    parts = {a.department.code: a for a in await Assignment.filter(ticket=ticket).prefetch_related("department")}
    assert parts["water"].is_primary and parts["transport"].state == "returned" and not parts["transport"].is_primary
    correction = await RoutingCorrection.get()
    assert (correction.original, correction.corrected) == ("transport", "water")
    assert "桥塌" in correction.text
    kinds = [e.kind for e in await TicketEvent.filter(ticket=ticket).order_by("id")]
    assert kinds[-3:] == ["returned", "notified", "reassigned"]


async def test_reassign_without_a_return_replaces_the_primary(county, say):
    request = await recorded(say)
    ticket = await whistled(say, request, "交通局")
    await say("app", "zhangwei", f"改派 #{ticket.number} 水务局 是河道的问题")
    parts = {a.department.code: a for a in await Assignment.filter(ticket=ticket).prefetch_related("department")}
    assert parts["transport"].state == "withdrawn" and parts["water"].is_primary


async def test_urge_marks_and_tells_the_departments(county, say):
    request = await recorded(say)
    ticket = await whistled(say, request, "交通局 水务局")
    await click(say, "hanxue", f"duty:done:{ticket.id}:water")
    sent = await say("app", "zhangwei", f"督办 #{ticket.number} 群众反映强烈")
    assert "【督办】" in text_to(sent, "liutao|mabin") and "群众反映强烈" in text_to(sent, "liutao|mabin")
    assert to(sent, "hanxue") == []  # water is done
    assert (await Assignment.get(ticket=ticket, department__code="transport")).urged


async def test_unauthorised_commands_are_refused_politely_and_logged(county, say, caplog):
    request = await recorded(say)
    sent = await say("app", "jiangdahai", f"吹哨 #{request.number} 交通局")
    assert "党委委员" in text_to(sent, "jiangdahai")
    sent = await say("app", "chenjing", f"吹哨 #{request.number} 交通局")  # 龙兴镇, not 白山镇
    assert "不属于您所在的乡镇" in text_to(sent, "chenjing")
    ticket = await whistled(say, request, "交通局")
    sent = await say("app", "hanxue", f"报到 #{ticket.number}")  # water is not on the ticket
    assert "联络员" in text_to(sent, "hanxue")
    sent = await click(say, "fuyu", f"duty:done:{ticket.id}:transport")  # finance pressing transport's button
    assert "联络员" in text_to(sent, "fuyu")
    sent = await say("app", "liutao", f"督办 #{ticket.number}")
    assert "党委委员" in text_to(sent, "liutao")
    assert (await Assignment.get(ticket=ticket)).state == "notified"
    refusals = await TicketEvent.filter(ticket=ticket, kind="refused").order_by("id")
    assert [e.data["sender"] for e in refusals] == ["hanxue", "fuyu", "liutao"]
    assert sum("refused" in r.message for r in caplog.records) == 5


async def test_full_width_characters_short_names_and_typos(county, say):
    request = await recorded(say)
    digits = str(request.number).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    sent = await say("app", "zhangwei", f"吹哨　＃{digits}　交通剧")
    assert "您是想说「交通局」吗" in text_to(sent, "zhangwei")
    assert await Ticket.all().count() == 0
    sent = await say("app", "zhangwei", f"吹哨　＃{digits}　交通　供电")
    parts = await Assignment.all().prefetch_related("department").order_by("id")
    assert [a.department.code for a in parts] == ["transport", "power"]


async def test_blowing_the_whistle_on_a_matter_nobody_reported(county, say):
    sent = await say("app", "zhangwei", "吹哨 新 后道老村 三屯小桥被洪水冲垮 交通局 水务局")
    request = await Request.get()
    ticket = await Ticket.get()
    assert request.text == "三屯小桥被洪水冲垮" and request.relayed_by_id is not None
    assert (await request.area).code == "houdaolao"
    assert f"#{request.number}" in text_to(sent, "zhangwei") and f"#{ticket.number}" in text_to(sent, "zhangwei")
    sent = await say("app", "zhangwei", "吹哨 新 后道村 桥坏了 交通局")
    assert "后道老村" in text_to(sent, "zhangwei")


async def test_the_ticket_list_and_the_stats(county, say, clock):
    await say("app", "jiangdahai", FLOOD)  # urgent: to transport at once
    request = await Request.get()
    ticket = await whistled(say, request, "水务局")
    clock.advance(minutes=10)
    await click(say, "hanxue", f"duty:on:{ticket.id}:water")
    clock.advance(minutes=25)  # urgent: 签收 within 30 min — transport is late now
    sent = await say("app", "zhangwei", "哨单 超时")
    listing = text_to(sent, "zhangwei")
    assert f"#{ticket.number}" in listing and "交通运输局未签收（超时）" in listing and "水务局已签收" in listing
    sent = await say("app", "zhangwei", "哨单 未签收")
    assert f"#{ticket.number}" in text_to(sent, "zhangwei")
    sent = await say("aibot", "zhangwei", "统计", conversation="wrkSFfCgAAbaishan")
    stats = [r for r in sent if r.kind == "aibot"][0].payload["text"]
    # transport is late to sign; water signed in time; neither is due to finish yet
    assert "白山镇：1张哨单 2件次（进行中2），签收及时50%，办结暂无" in stats
    assert "水务局：1张哨单 1件次（进行中1），签收及时100%" in stats


async def test_not_satisfied_reopens_to_the_same_departments_marked_urged(county, say):
    request = await recorded(say)
    ticket = await whistled(say, request, "交通局")
    await click(say, "liutao", f"duty:done:{ticket.id}:transport")
    sent = await say("app", "jiangdahai", "不满意 桥还是过不去")
    part = await Assignment.get(ticket=ticket)
    assert part.state == "notified" and part.urged
    assert (await Ticket.get(id=ticket.id)).status == "open"
    card = [r for r in new_cards(sent) if r.target == "liutao|mabin"]
    assert card and "督办" in card[0].payload["card"]["title"]
    assert "不满意" in text_to(sent, BAISHAN)


async def test_a_request_rerouted_while_waiting_is_proposed_again_and_times_out_from_then(county, say, services, clock):
    from handlers.whistle.service import whistle_request
    from models import Department

    sent = await say("app", "jiangdahai", "村口的路灯坏了一个多月了，晚上黑")
    request = await Request.get()
    assert len([r for r in new_cards(sent) if r.target == BAISHAN]) == 1
    clock.advance(minutes=60)
    request.also = ["housing"]
    await request.save()
    assert not await whistle_request(services, request, departments=[await Department.get(code="power")])
    assert await TicketEvent.filter(kind="proposed").count() == 1  # the same departments: nothing new
    await whistle_request(services, request)
    proposals = await TicketEvent.filter(kind="proposed").order_by("id")
    assert [p.data["departments"] for p in proposals] == [["power"], ["power", "housing"]]
    assert await OutboxMessage.filter(dedupe_key=f"card:gw-confirm-{request.number}-2").exists()
    clock.advance(minutes=61)  # the first proposal's time-out passed, not the second's
    assert (await tick(services))["whistled_after_timeout"] == 0
    clock.advance(minutes=60)
    assert (await tick(services))["whistled_after_timeout"] == 1
    parts = await Assignment.filter(ticket__request_id=request.id).prefetch_related("department").order_by("id")
    assert [a.department.code for a in parts] == ["power", "housing"]
