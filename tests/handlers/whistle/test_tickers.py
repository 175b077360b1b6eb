"""The whistle's tickers over a simulated week with a ManualClock: exactly the expected reminders, none twice."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from handlers.whistle.tickers import tick
from models import OutboxMessage, Request, Ticket, TicketEvent

NORMAL = "三屯那个桥塌了一半，车过不去"  # transport, normal
URGENT = "三屯那个桥塌了一半，车过不去，河水漫进猪圈了"  # transport, urgent
COMMITTEE_MEMBERS = 8  # 白山镇 3, 龙兴镇 3, 龙江镇 2


def kind_of(key: str) -> str:
    if key.startswith("whistle-digest:"):
        return "digest"
    return key.rsplit(":", 1)[-1] if key.endswith(("-warning", "-overdue")) else ""


async def reminders() -> Counter[str]:
    keys = await OutboxMessage.filter(dedupe_key__not_isnull=True).values_list("dedupe_key", flat=True)
    return +Counter(kind_of(k) for k in keys if kind_of(k))


async def test_a_week_of_tickers_sends_exactly_the_expected_reminders(county, say, services, clock):
    start = clock.now()  # Monday 2026-11-16 09:00
    await say("app", "jiangdahai", NORMAL)
    await say("app", "zhangwei", f"吹哨 #{(await Request.get()).number} 交通局")
    normal = await Ticket.get()
    actions = {
        start + timedelta(days=1, hours=1): ("liutao", f"报到 #{normal.number}"),  # Tue 10:00, late
        start + timedelta(days=2, hours=1): ("jiangdahai", URGENT),  # Wed 10:00: urgent, whistled at once
        start + timedelta(days=2, hours=2): ("liutao", "报到 #{urgent}"),  # Wed 11:00, late
        start + timedelta(days=3, hours=-1): ("liutao", "办结 #{urgent} 便桥已通"),  # Thu 08:00, in time
    }
    urgent_number = None
    end = start.replace(hour=23, minute=59) + timedelta(days=6)  # Sunday night
    while clock.now() <= end:
        if clock.now() in actions:
            who, text = actions[clock.now()]
            await say("app", who, text.format(urgent=urgent_number))
            if text == URGENT:
                urgent_number = (await Ticket.filter(urgency="urgent").get()).number
        await tick(services)
        await tick(services)  # a second run (or a second process) finds nothing new to send
        clock.advance(minutes=10)
    assert await reminders() == Counter(
        {
            "digest": 7 * COMMITTEE_MEMBERS,
            "respond-warning": 2,  # Tue 07:00 (held to 07:30: quiet hours) and Wed 10:20
            "respond-overdue": 2,  # Tue 09:00 and Wed 10:30, to the township
            "resolve-warning": 2,  # Thu 06:00 (urgent: at once) and Sun 09:00
        }
    )
    warnings = {
        r.dedupe_key.split(":")[1]: r for r in await OutboxMessage.filter(dedupe_key__endswith="respond-warning")
    }
    normal_warning = warnings[str(normal.id)]
    assert normal_warning.target == "liutao|mabin"
    assert normal_warning.created_at == start + timedelta(hours=22)  # Tue 07:00
    assert normal_warning.not_before == start + timedelta(hours=22, minutes=30)  # after quiet hours
    urgent_resolve = await OutboxMessage.get(
        dedupe_key__endswith="resolve-warning", dedupe_key__startswith=f"ticket:{normal.id + 1}:"
    )
    assert urgent_resolve.created_at == urgent_resolve.not_before == start + timedelta(days=2, hours=21)  # Thu 06:00
    overdue = await OutboxMessage.filter(dedupe_key__endswith="respond-overdue").order_by("id")
    assert [r.target for r in overdue] == ["zhangwei|lihong|wanggang"] * 2
    assert "超过签收时限" in overdue[0].payload["text"]
    assert await TicketEvent.filter(kind="overdue").count() == 2
    friday = await OutboxMessage.get(dedupe_key="whistle-digest:2026-11-20:zhangwei")
    assert "昨日新吹哨 0 件" in friday.payload["text"] and "昨日办结 1 件" in friday.payload["text"]
    thursday = await OutboxMessage.get(dedupe_key="whistle-digest:2026-11-19:zhangwei")
    assert "昨日新吹哨 1 件" in thursday.payload["text"]
    assert (await OutboxMessage.get(dedupe_key="whistle-digest:2026-11-17:zhangwei")).created_at.hour == 8


async def test_a_reopened_ticket_is_reminded_again(county, say, services, clock):
    await say("app", "jiangdahai", URGENT)
    ticket = await Ticket.get()
    clock.advance(minutes=21)
    assert (await tick(services))["respond_warning"] == 1
    await say("app", "liutao", f"办结 #{ticket.number} 已修")
    await say("app", "jiangdahai", "不满意 还是过不去")
    clock.advance(minutes=21)
    assert (await tick(services))["respond_warning"] == 1  # a new round, a new key
    assert (await tick(services))["respond_warning"] == 0


async def test_a_recorded_request_nobody_passed_on_is_picked_up(county, services, clock):
    from models import Area

    area = await Area.get(code="houdaolao-3")
    await Request.create(
        number=5001,
        text="三屯的桥塌了",
        channel="app",
        area=area,
        primary="transport",
        urgency="normal",
        created_at=clock.now(),
        updated_at=clock.now(),
    )
    assert (await tick(services))["picked_up"] == 0
    clock.advance(minutes=11)
    assert (await tick(services))["picked_up"] == 1
    assert await TicketEvent.filter(kind="proposed").count() == 1
    assert (await tick(services))["picked_up"] == 0


async def test_two_tickers_at_once_queue_each_notice_once(county, say, services, clock):
    import asyncio

    await say("app", "jiangdahai", URGENT)
    clock.advance(minutes=21)
    first, second = await asyncio.gather(tick(services), tick(services))
    assert first["respond_warning"] + second["respond_warning"] == 1
    assert first["digest"] + second["digest"] == COMMITTEE_MEMBERS
    assert await OutboxMessage.filter(dedupe_key__endswith="respond-warning").count() == 1
