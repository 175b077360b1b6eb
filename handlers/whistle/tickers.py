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
from datetime import datetime, timedelta
from functools import partial

from tortoise.transactions import in_transaction

from bot.calendar import QuietHours
from bot.scheduler import Scheduler
from handlers.common.format import stamp
from handlers.core.context import Services
from handlers.tickets.audit import record
from handlers.tickets.deadlines import deadlines_for
from handlers.tickets.departments import NOT_COUNTY
from handlers.tickets.notices import tell_township
from handlers.whistle.lists import pending_lines, ticket_lines
from handlers.whistle.service import blow, whistle_request
from models import Area, Assignment, OutboxMessage, Request, Role, Ticket, TicketEvent
from models.area_cache import area_required, areas_cached, departments_by_code
from models.assignment_states import ACTIVE_STATES, AssignmentState
from models.request_states import RequestState
from models.ticket_queries import liaisons_of
from models.ticket_states import TicketState

TICK_SECONDS = 60
DIGEST_OVERDUE_LINES = 5


def register(scheduler: Scheduler, services: Services) -> None:
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
    timeout = services.policy.whistle.confirm_timeout
    proposals = await TicketEvent.filter(
        kind="proposed", at__lte=now - timeout, request__status=RequestState.RECORDED
    ).order_by("id")
    whistled = 0
    latest = {
        e.request_id: e.id
        for e in await TicketEvent.filter(kind="proposed", request_id__in=[e.request_id for e in proposals]).order_by(
            "id"
        )
    }
    for event in proposals:
        if latest.get(event.request_id) != event.id:
            continue  # re-proposed after a re-routing: its own time-out counts
        async with in_transaction():
            request = await Request.get(id=event.request_id)
            codes = list(event.data.get("departments", []))
            by_code = await departments_by_code(codes)
            departments = [by_code[c] for c in codes if c in by_code]
            if departments and await blow(services, request, departments, actor=None, trigger="timeout"):
                whistled += 1
    return whistled


async def pick_up_recorded(services: Services, now: datetime) -> int:
    """Requests the recording step left `recorded` for a county department, never proposed nor whistled."""
    after = services.policy.whistle.pickup_after
    proposed = set(
        await TicketEvent.filter(kind="proposed", request_id__not_isnull=True).values_list("request_id", flat=True)
    )
    candidates = (
        await Request.filter(
            status=RequestState.RECORDED, created_at__lte=now - after, merged_into_id=None, area_id__not_isnull=True
        )
        .exclude(primary__in=NOT_COUNTY)
        .exclude(id__in=list(proposed))
        .order_by("id")
    )
    picked = 0
    for request in candidates:
        async with in_transaction():
            if (
                await whistle_request(services, request) is not None
                or await TicketEvent.filter(request_id=request.id, kind="proposed").exists()
            ):
                picked += 1
    return picked


async def deadline_notices(services: Services, now: datetime) -> Counter[str]:
    """One query for every part still owing something; work (and a transaction) only where a notice is due
    and its key is not in the outbox yet."""
    due_now: dict[str, tuple[Assignment, str, datetime]] = {}
    parts = await Assignment.filter(state__in=ACTIVE_STATES, ticket__status=TicketState.OPEN).prefetch_related(
        "ticket", "department"
    )
    for part in parts:
        found = _due_notice(services, part, now)
        if found is not None:
            due_now[found[0]] = (part, found[1], found[2])
    if not due_now:
        return Counter()
    known = set(await OutboxMessage.filter(dedupe_key__in=list(due_now)).values_list("dedupe_key", flat=True))
    queued: Counter[str] = Counter()
    for key, (part, kind, due_at) in due_now.items():
        if key in known:
            continue
        async with in_transaction():
            if await _queue_notice(services, part, kind, due_at, key, now):
                queued[kind.replace("-", "_")] += 1
    return queued


def _due_notice(services: Services, part: Assignment, now: datetime) -> tuple[str, str, datetime] | None:
    """(dedupe key, kind, deadline) of the notice this part calls for now, if any: a warning between the
    warning time and the deadline, a 督办 notice after it (a warning whose time passed unseen is not sent late)."""
    ticket = part.ticket
    due = deadlines_for(services, ticket.urgency, part.notified_at)
    stage, due_at, warn_at = (
        ("respond", due.respond_due, due.respond_warn_at)
        if part.state == AssignmentState.NOTIFIED
        else ("resolve", due.resolve_due, due.resolve_warn_at)
    )
    if now < warn_at:
        return None
    kind = f"{stage}-warning" if now < due_at else f"{stage}-overdue"
    return f"ticket:{ticket.id}:{part.department.code}:{int(part.notified_at.timestamp())}:{kind}", kind, due_at


async def _queue_notice(
    services: Services, part: Assignment, kind: str, due_at: datetime, key: str, now: datetime
) -> bool:
    ticket = part.ticket
    request = await Request.get(id=ticket.request_id)
    stage, what = kind.split("-")
    params = dict(number=ticket.number, text=request.text[:20], due=stamp(due_at))
    urgent = ticket.urgency == "urgent"
    if what == "warning":
        liaisons = [p.userid for p in await liaisons_of(part.department) if p.userid]
        return await services.reach.together(
            liaisons, urgent=urgent, dedupe_key=key, text=services.texts.render(f"whistle.{stage}_warning", **params)
        )
    sent = await tell_township(
        services,
        ticket,
        f"whistle.{stage}_overdue",
        urgent=urgent,
        dedupe_key=key,
        department=part.department.name,
        **params,
    )
    if sent:
        await record("overdue", now, ticket=ticket, department=part.department, stage=stage, due=due_at.isoformat())
    return sent


async def digests(services: Services, now: datetime) -> int:
    """Today's digest to each committee member, from digest_time until quiet hours (a late start catches up)."""
    rules, quiet = services.policy.whistle, QuietHours.from_policy(services.policy.quiet_hours)
    if now.timetz().replace(tzinfo=None) < rules.digest_time or quiet.is_quiet(now):
        return 0
    if rules.digest_working_days_only and not services.calendar.calendar.is_working_day(now.date()):
        return 0
    day = now.date().isoformat()
    members: dict[int, list[str]] = {}
    for role in await Role.filter(role="township_committee", area_id__not_isnull=True).prefetch_related("person"):
        if role.person.userid and role.area_id is not None:  # always has an area (the filter): says so to mypy
            members.setdefault(role.area_id, []).append(role.person.userid)
    keys = {
        (township, userid): f"whistle-digest:{day}:{userid}"
        for township, userids in members.items()
        for userid in userids
    }
    known = set(await OutboxMessage.filter(dedupe_key__in=list(keys.values())).values_list("dedupe_key", flat=True))
    queued = 0
    for township_id in sorted({t for (t, u), key in keys.items() if key not in known}):
        with areas_cached():  # every open ticket's place: each area read once, not once per line
            township = await area_required(township_id)
            text = await digest_text(services, township, now)
        for userid in members[township_id]:
            if keys[(township_id, userid)] in known:
                continue
            async with in_transaction():
                queued += await services.reach.person(userid, text=text, dedupe_key=keys[(township_id, userid)])
    return queued


async def digest_text(services: Services, township: Area, now: datetime) -> str:
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    yesterday = today - timedelta(days=1)
    mine = Ticket.filter(township_id=township.id)
    new = await mine.filter(created_at__gte=yesterday, created_at__lt=today).count()
    resolved = await Ticket.filter(township_id=township.id, resolved_at__gte=yesterday, resolved_at__lt=today).count()
    overdue_lines = []
    for line, marks in await ticket_lines(
        services, await Ticket.filter(township_id=township.id, status=TicketState.OPEN).order_by("id"), now
    ):
        if "overdue" in marks:
            overdue_lines.append(line)
    pending = len(await pending_lines(services, township.id))
    texts = services.texts
    lines = [
        texts.render(
            "whistle.digest",
            township=township.name,
            date=now.strftime("%m-%d"),
            new=new,
            overdue=len(overdue_lines),
            resolved=resolved,
            pending=pending,
        )
    ]
    if overdue_lines:
        lines += [texts.render("whistle.digest_overdue_header"), *overdue_lines[:DIGEST_OVERDUE_LINES]]
        if len(overdue_lines) > DIGEST_OVERDUE_LINES:
            lines.append(texts.render("whistle.digest_more"))
    return "\n".join(lines)
