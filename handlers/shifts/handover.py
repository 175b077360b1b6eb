"""交班: when a shift ends, the next shift's 带班 and 值班 of each rostered township and village receive a
summary — what came in during the shift that ended, what is still open, and which departments it waits on.

Sent within `HANDOVER_WINDOW` of the shift's start (a service down longer sends none: stale news is no
hand-over). The outbox dedupe key shifts:handover:{area}:{day}:{shift}:{userid} makes it once per person.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from handlers.common.format import summary
from handlers.core.context import Services
from handlers.shifts.roster import Shift, holders, shift_at
from models import Area, Assignment, DutySlot, Request
from models.assignment_states import ACTIVE_STATES
from models.request_queries import area_ids_under
from models.request_states import OPEN_STATES

HANDOVER_WINDOW = timedelta(hours=2)
LISTED = 5  # open matters named one by one; the rest are counted


async def send_handovers(services: Services, now: datetime) -> int:
    policy = services.policy.shifts
    current = shift_at(policy, now)
    started = current.start(policy)
    if now - started > HANDOVER_WINDOW:
        return 0
    ended = Shift(current.day - timedelta(days=1), "night") if current.shift == "day" else Shift(current.day, "day")
    area_ids = await DutySlot.filter(day=current.day, shift=current.shift).distinct().values_list("area_id", flat=True)
    queued = 0
    for area in await Area.filter(id__in=list(area_ids)).order_by("code"):
        held = await holders([area.id], current.day, current.day)
        people = [p for (_, _, s, _), p in held.items() if s == current.shift and p.userid]
        if not people:
            continue
        text = await _summary(services, area, ended, ended.start(policy), started)
        for person in {p.id: p for p in people}.values():
            queued += await services.reach.person(
                person.userid or "",
                text=text,
                urgent=True,  # they are on duty: quiet hours are not for them
                dedupe_key=f"shifts:handover:{area.code}:{current.day}:{current.shift}:{person.userid}",
            )
    return queued


async def _summary(services: Services, area: Area, ended: Shift, start: datetime, end: datetime) -> str:
    texts = services.texts
    ids = await area_ids_under(area)
    came = await Request.filter(area_id__in=ids, created_at__gte=start, created_at__lt=end).order_by("number")
    still = await Request.filter(area_id__in=ids, status__in=OPEN_STATES, created_at__lt=end).order_by("number")
    waiting = await Assignment.filter(
        ticket__request_id__in=[r.id for r in still], state__in=ACTIVE_STATES
    ).prefetch_related("department")
    on = Counter(a.department.name for a in waiting)
    shift_name = texts.render(f"shifts.shift_{ended.shift}")
    lines = [texts.render("shifts.handover_header", area=area.name, day=f"{ended.day:%m-%d}", shift=shift_name)]
    lines.append(texts.render("shifts.handover_came", count=len(came)))
    lines += [texts.render("shifts.handover_item", number=r.number, text=summary(r.text)) for r in came[:LISTED]]
    lines.append(
        texts.render("shifts.handover_open", count=len(still), urgent=sum(r.urgency == "urgent" for r in still))
    )
    lines += [
        texts.render("shifts.handover_item", number=r.number, text=summary(r.text))
        for r in sorted(still, key=lambda r: r.urgency != "urgent")[:LISTED]
    ]
    if on:
        waits = "、".join(texts.render("shifts.handover_wait", department=d, count=n) for d, n in on.most_common())
        lines.append(texts.render("shifts.handover_waiting", departments=waits))
    return "\n".join(lines)
