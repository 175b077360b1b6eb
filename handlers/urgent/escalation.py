"""Nobody answered: an urgent matter nobody has acknowledged calls the village's 带班 leader, then the
township's, each once, each told who was already alerted.

Acknowledged means a 收到 on the notice or any act on the matter or its ticket (签收, 进展, 办结 …) by
anyone. The call to a level is guarded by its outbox dedupe key (urgent:call:{number}:{level}): the text,
the card and the `urgent_call` event are written in one transaction only when that key is new, so a ticker
run twice, a restart or a second process never calls anyone twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from handlers.core.context import Services
from handlers.shifts.roster import on_shift, shift_at
from handlers.urgent.notice import alerted_cadres, send_notice
from models import Request, TicketEvent
from models.area_cache import area_of
from models.request_queries import ancestor_at
from models.request_states import OPEN_STATES
from models.ticket_queries import place_of

# Acts on a matter that show someone has it in hand.
ACTS = (
    "urgent_ack",
    "on_duty",
    "progress",
    "done",
    "returned",
    "reassigned",
    "urged",
    "resolved",
    "kept_in_grid",
    "escalated",
    "rerouted",
    "added",
    "withdrawn",
)
LEVELS = ("village", "township")


async def acknowledged(requests: list[Request]) -> set[int]:
    """The ids of those requests someone acted on: one query for all of them, not one per request (a flood
    leaves hundreds of urgent matters open, and the ticker looks at each every minute)."""
    ids = [r.id for r in requests]
    if not ids:
        return set()
    rows = await TicketEvent.filter(
        Q(request_id__in=ids) | Q(ticket__request_id__in=ids), kind__in=ACTS, actor_id__isnull=False
    ).values_list("request_id", "ticket__request_id")
    wanted = set(ids)
    return {i for pair in rows for i in pair if i in wanted}


async def escalate(services: Services, now: datetime) -> int:
    """Call the 带班 leaders now due for every open urgent matter nobody acknowledged; how many were called."""
    policy = services.policy.shifts
    after = {"village": policy.call_village_lead_after_minutes, "township": policy.call_township_lead_after_minutes}
    since = now - timedelta(hours=policy.escalation_watch_hours)
    called = 0
    watched = await Request.filter(urgency="urgent", created_at__gte=since, status__in=OPEN_STATES)
    acted_on = await acknowledged(watched)
    for request in watched:
        if request.id in acted_on:
            continue
        for level in LEVELS:
            if now < request.created_at + timedelta(minutes=after[level]):
                break
            called += await _call(services, request, level, after[level], now)
    return called


async def _call(services: Services, request: Request, level: str, minutes: int, now: datetime) -> bool:
    area = await area_of(request.area_id)
    place = await ancestor_at(area, level)
    lead = (await on_shift(place, shift_at(services.policy.shifts, now))).get("lead")
    if place is None or lead is None or not lead.userid:
        return False  # an open 带班 post: the roster's gap report named it; the next level is still called
    alerted = [p.name for p in await alerted_cadres(services, request) if p.id != lead.id]
    text = services.texts.render(
        "urgent.call_lead",
        number=request.number,
        place=await place_of(area),
        minutes=minutes,
        area=place.name,
        names="、".join(alerted) or services.texts.render("urgent.nobody"),
    )
    async with in_transaction():
        if not await services.reach.person(
            lead.userid, text=text, urgent=True, dedupe_key=f"urgent:call:{request.number}:{level}"
        ):
            return False
        await TicketEvent.create(
            request=request, actor=lead, kind="urgent_call", data={"level": level, "area": place.code}, at=now
        )
        await send_notice(services, request, lead)
    return True
