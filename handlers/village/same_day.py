"""当天: a matter still at the village stage reminds the village at village_remind_at of its due day, and tells the
township committee once its due time (village_due_at) has passed — each once. The outbox dedupe keys
(`village-tier:{request}:remind:{userid}`, `village-tier:{request}:overdue`) are the record that it went, and the
trail's event is written in the same step only when the message was newly queued, so a ticker run twice, a restart
or a second process never sends or records one twice. A reminder whose time passed unseen (the service was down
until after the due time) is not sent late: the township is told instead."""

from __future__ import annotations

from datetime import datetime, timedelta

from tortoise.expressions import Subquery
from tortoise.transactions import in_transaction

from handlers.common.format import stamp, summary
from handlers.common.privacy import mask_private
from handlers.core.context import Services
from handlers.requests.village.service import place_words, settle_village_cards
from handlers.village.service import AT_VILLAGE, remind_of
from models import Department, OutboxMessage, Request, Ticket, TicketEvent
from models.area_cache import area_of
from models.lifecycle import Event
from models.request_queries import ancestor_at, people_with_role
from models.request_states import RequestState

REMINDED, OVERDUE = "village_reminded", "village_overdue"  # the trail's record of each step


async def check_same_day(services: Services, now: datetime) -> dict[str, int]:
    done = {"reminded": 0, "township_told": 0}
    waiting = await Request.filter(status=RequestState.AT_VILLAGE, merged_into_id=None).order_by("id")
    stages: dict[int, TicketEvent] = {}  # each request's first at_village event, read in one query for all
    for event in await TicketEvent.filter(
        kind=AT_VILLAGE, request__status=RequestState.AT_VILLAGE, request__merged_into_id=None
    ).order_by("-id"):
        if event.request_id is not None:
            stages[event.request_id] = event  # newest first, so the earliest is kept
    # Steps already taken (their event is written with the message it queued): not tried again every minute.
    taken = set(
        await TicketEvent.filter(
            kind__in=(REMINDED, OVERDUE), request__status=RequestState.AT_VILLAGE, request__merged_into_id=None
        ).values_list("request_id", "kind")
    )
    for request in waiting:
        stage = stages.get(request.id)
        if stage is None or "due" not in stage.data:
            continue
        due = datetime.fromisoformat(stage.data["due"])
        if now >= due:
            if (request.id, OVERDUE) not in taken:
                async with in_transaction():
                    done["township_told"] += await tell_township(services, request, due, now)
        elif now >= remind_of(services.policy.shifts, due) and (request.id, REMINDED) not in taken:
            async with in_transaction():
                done["reminded"] += await remind(services, request, list(stage.data.get("userids", [])), due, now)
    return done


async def remind(services: Services, request: Request, people: list[str], due: datetime, now: datetime) -> int:
    """Those the matter was given to: both secretaries and that shift's 值班."""
    text = services.texts.render(
        "village.remind",
        number=request.number,
        place=await place_words(request),
        text=summary(mask_private(request.text), 40),
        due=stamp(due),
    )
    queued = await services.reach.people(people, text=text, dedupe_key=f"village-tier:{request.id}:remind")
    if queued:
        await Event(REMINDED, request=request, data={"due": due.isoformat()}).write(now)
    return queued


async def tell_township(services: Services, request: Request, due: datetime, now: datetime) -> int:
    area = await area_of(request.area_id)
    township = await ancestor_at(area, "township")
    committee = [p.userid for p in await people_with_role(township, "township_committee") if p.userid]
    text = services.texts.render(
        "village.township_overdue",
        number=request.number,
        place=await place_words(request),
        text=summary(mask_private(request.text), 40),
        due=stamp(due),
    )
    if not await services.reach.together(committee, text=text, dedupe_key=f"village-tier:{request.id}:overdue"):
        return 0
    await Event(OVERDUE, request=request, data={"due": due.isoformat()}).write(now)
    return 1


TAKEN_OVER_WATCH = timedelta(days=2)  # a township whistles a matter at the village stage within this, or not at all


async def tell_taken_over(services: Services, now: datetime) -> int:
    """The township whistled a matter while the village had it (吹哨 at the village stage, not after 上报乡镇): those
    it was given to hear once that it is off their hands (`village-tier:{request}:taken-over:{userid}`)."""
    told = 0
    # A few reads for every stage of the window, not a few per stage: the window holds two days' matters.
    window = TicketEvent.filter(kind=AT_VILLAGE, at__gte=now - TAKEN_OVER_WATCH)
    stages = await window.order_by("id")
    whistles: dict[int, TicketEvent] = {}
    at_village = Subquery(window.values("request_id"))
    for event in await TicketEvent.filter(kind="whistled", request_id__in=at_village).order_by("-id"):
        if event.request_id is not None:
            whistles[event.request_id] = event  # newest first, so each request's first whistle is kept
    keys = [
        f"village-tier:{stage.request_id}:taken-over:{userid}"
        for stage in stages
        if stage.request_id in whistles
        for userid in stage.data.get("userids", [])
    ]
    queued = (
        set(await OutboxMessage.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True)) if keys else set()
    )
    for stage in stages:
        people = list(stage.data.get("userids", []))
        key = f"village-tier:{stage.request_id}:taken-over"
        whistled = whistles.get(stage.request_id) if stage.request_id is not None else None
        if whistled is None or not people:
            continue
        if all(f"{key}:{userid}" in queued for userid in people):
            continue
        if await TicketEvent.filter(request_id=stage.request_id, kind="escalated", id__lt=whistled.id).exists():
            continue  # sent up by the village itself: it knows
        request = await Request.get(id=stage.request_id)
        ticket = await Ticket.get(id=whistled.ticket_id) if whistled.ticket_id else None
        text = services.texts.render(
            "village.taken_over",
            number=request.number,
            ticket=ticket.number if ticket else "",
            departments="、".join(
                d.name for d in await Department.filter(code__in=list(whistled.data.get("departments", [])))
            ),
        )
        async with in_transaction():
            told += await services.reach.people(people, text=text, dedupe_key=key)
            await settle_village_cards(services, request, services.texts.render("village.card_taken_over"))
    return told
