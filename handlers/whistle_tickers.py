"""The whistle's thin tickers: each run asks the database what is due and queues it in the outbox.

- unconfirmed proposals past [whistle] confirm_timeout_minutes are whistled anyway;
- requests left `recorded` with a county department are picked up (sent to `whistle_request`);
- a warning to the liaisons before each deadline, a 督办 notice to the township after it;
- the daily digest to each township committee member at [whistle] digest_time.

Every notice carries a deterministic dedupe key (the department's notification time is part of it, so a
reopened or re-assigned part is reminded again), and the outbox row IS the record that it was sent: a
ticker run twice, a restart or a second process never queues one twice. Each item commits on its own.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, time, timedelta
from functools import cache, partial

from tortoise.transactions import in_transaction

from bot.calendar import QuietHours, WorkCalendar
from handlers.base import Services
from handlers.notify import notify_user
from handlers.whistle_audit import record
from handlers.whistle_cards import send_together, stamp
from handlers.whistle_deadlines import deadlines
from handlers.whistle_departments import NOT_COUNTY
from handlers.whistle_lists import pending_lines, ticket_line
from handlers.whistle_service import blow, policy, tell_township, whistle_request
from models import Area, Department, OutboxMessage, Request, Ticket, TicketEvent
from models.ticket_queries import ACTIVE_STATES, assignments_of, committee_of, liaisons_of

TICK_SECONDS = 60
DIGEST_OVERDUE_LINES = 5


@cache
def work_calendar() -> WorkCalendar:
    return WorkCalendar.load()  # shipped data, read once per process


def register(scheduler, services: Services) -> None:
    """Add the whistle's ticker to bot/scheduler.py's Scheduler (it calls `ticker(now)`)."""
    scheduler.every("whistle", TICK_SECONDS, partial(tick, services))


async def tick(services: Services, now: datetime | None = None) -> Counter[str]:
    """Everything due now; returns how many of each kind were queued (or whistled) by this run."""
    now = now or services.clock.now()
    done: Counter[str] = Counter()
    done["whistled_after_timeout"] = await confirmation_timeouts(services, now)
    done["picked_up"] = await pick_up_recorded(services, now)
    done.update(await deadline_notices(services, now))
    done["digest"] = await digests(services, now)
    return +done


async def confirmation_timeouts(services: Services, now: datetime) -> int:
    timeout = timedelta(minutes=float(policy(services).get("confirm_timeout_minutes", 120)))
    proposals = await TicketEvent.filter(kind="proposed", at__lte=now - timeout,
                                         request__status="recorded").order_by("id")
    whistled = 0
    for event in proposals:
        async with in_transaction():
            request = await Request.get(id=event.request_id)
            codes = list(event.data.get("departments", []))
            by_code = {d.code: d for d in await Department.filter(code__in=codes)}
            departments = [by_code[c] for c in codes if c in by_code]
            if departments and await blow(services, request, departments, actor=None, trigger="timeout"):
                whistled += 1
    return whistled


async def pick_up_recorded(services: Services, now: datetime) -> int:
    """Requests the recording step left `recorded` for a county department, never proposed nor whistled."""
    after = timedelta(minutes=float(policy(services).get("pickup_after_minutes", 10)))
    proposed = set(await TicketEvent.filter(kind="proposed", request_id__not_isnull=True).values_list("request_id", flat=True))
    candidates = await Request.filter(status="recorded", created_at__lte=now - after, merged_into_id=None,
                                      area_id__not_isnull=True).exclude(primary__in=NOT_COUNTY).exclude(
                                      id__in=list(proposed)).order_by("id")
    picked = 0
    for request in candidates:
        async with in_transaction():
            if await whistle_request(services, request) is not None or await TicketEvent.filter(
                    request_id=request.id, kind="proposed").exists():
                picked += 1
    return picked


async def deadline_notices(services: Services, now: datetime) -> Counter[str]:
    queued: Counter[str] = Counter()
    for ticket in await Ticket.filter(status="open").order_by("id"):
        for part in await assignments_of(ticket, *ACTIVE_STATES):
            async with in_transaction():
                kind = await _part_notice(services, ticket, part, now)
            if kind:
                queued[kind] += 1
    return queued


async def _part_notice(services: Services, ticket: Ticket, part, now: datetime) -> str:
    """At most one notice for this part this run: the one its state and the time call for."""
    due = deadlines(services.policy, ticket.urgency, part.notified_at, work_calendar())
    stage, due_at, warn_at = (("respond", due.respond_due, due.respond_warn_at) if part.state == "notified"
                              else ("resolve", due.resolve_due, due.resolve_warn_at))
    if now < warn_at:
        return ""
    request = await Request.get(id=ticket.request_id)
    round_ = int(part.notified_at.timestamp())
    base = f"ticket:{ticket.id}:{part.department.code}:{round_}"
    summary = request.text[:20]
    urgent = ticket.urgency == "urgent"
    if now < due_at:
        liaisons = [p.userid for p in await liaisons_of(part.department) if p.userid]
        sent = await send_together(services, liaisons, urgent=urgent, dedupe_key=f"{base}:{stage}-warning",
                                   text=services.texts.render(f"whistle.{stage}_warning", number=ticket.number,
                                                              text=summary, due=stamp(due_at)))
        return f"{stage}_warning" if sent else ""
    sent = await tell_township(services, ticket, f"whistle.{stage}_overdue", urgent=urgent,
                               dedupe_key=f"{base}:{stage}-overdue", number=ticket.number, text=summary,
                               department=part.department.name, due=stamp(due_at))
    if not sent:
        return ""
    await record("overdue", now, ticket=ticket, department=part.department, stage=stage, due=due_at.isoformat())
    return f"{stage}_overdue"


async def digests(services: Services, now: datetime) -> int:
    """Today's digest to each committee member, from digest_time until quiet hours (a late start catches up)."""
    rules = policy(services)
    at = time.fromisoformat(str(rules.get("digest_time", "08:00")))
    if now.timetz().replace(tzinfo=None) < at or QuietHours.from_policy(services.policy).is_quiet(now):
        return 0
    if rules.get("digest_working_days_only", False) and not work_calendar().is_working_day(now.date()):
        return 0
    day = now.date().isoformat()
    queued = 0
    for township in await Area.filter(level="township").order_by("id"):
        members = [p for p in await committee_of(township) if p.userid]
        keys = {p.userid: f"whistle-digest:{day}:{p.userid}" for p in members}
        known = set(await OutboxMessage.filter(dedupe_key__in=list(keys.values())).values_list("dedupe_key", flat=True))
        waiting = [p for p in members if keys[p.userid] not in known]
        if not waiting:
            continue
        text = await digest_text(services, township, now)
        for person in waiting:
            async with in_transaction():
                queued += await notify_user(services, person.userid, text=text, dedupe_key=keys[person.userid])
    return queued


async def digest_text(services: Services, township: Area, now: datetime) -> str:
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    yesterday = today - timedelta(days=1)
    mine = Ticket.filter(township_id=township.id)
    new = await mine.filter(created_at__gte=yesterday, created_at__lt=today).count()
    resolved = await Ticket.filter(township_id=township.id, resolved_at__gte=yesterday, resolved_at__lt=today).count()
    overdue_lines = []
    for ticket in await Ticket.filter(township_id=township.id, status="open").order_by("id"):
        line, marks = await ticket_line(services, ticket, now, work_calendar())
        if "overdue" in marks:
            overdue_lines.append(line)
    pending = len(await pending_lines(services, township.id))
    texts = services.texts
    lines = [texts.render("whistle.digest", township=township.name, date=now.strftime("%m-%d"), new=new,
                          overdue=len(overdue_lines), resolved=resolved, pending=pending)]
    if overdue_lines:
        lines += [texts.render("whistle.digest_overdue_header"), *overdue_lines[:DIGEST_OVERDUE_LINES]]
        if len(overdue_lines) > DIGEST_OVERDUE_LINES:
            lines.append(texts.render("whistle.digest_more"))
    return "\n".join(lines)
