"""Recording a household request: a new one, a burst's next piece, or the same matter a neighbour already
reported; then sending it where it is handled (the grid keeps `village` matters, the township whistles the rest)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.reach import reply_context
from config.policy import RequestsPolicy
from handlers.core.context import Context, Services
from handlers.requests.burst import route_of, votes
from handlers.requests.village.service import send_village_card
from handlers.village.service import send_to_village, village_taking
from handlers.whistle.service import whistle_request
from models import Area, Attachment, Chat, NonRequest, Person, Request, TicketEvent
from models.area_cache import area_of
from models.audited import insert_audited
from models.lifecycle import Event
from models.request_queries import ancestor_at, reporters_of, same_matter_candidates
from models.request_states import STILL_BEING_SAID, RequestState, move_request
from nlp.router import Decision

VILLAGE = "village"


@dataclass(frozen=True)
class Sender:
    """Who a request is from and how to reach them again, whatever channel they used."""

    channel: str  # app | aibot | kf | relay
    ref: str  # the channel's id of them (userid, external_userid), "" when unknown
    person: Person | None
    household_id: int | None
    area: Area | None
    chat: Chat | None
    reply_context: dict[str, Any] = field(default_factory=dict)


def sender_of(ctx: Context) -> Sender:
    inbound, chat = ctx.inbound, ctx.chat
    reach = reply_context(
        inbound.channel, inbound.sender, inbound.reply, chat.chatid if chat else "", chat.webhook_key if chat else None
    )
    return Sender(
        channel=inbound.channel,
        ref=inbound.sender,
        person=ctx.person,
        household_id=ctx.person.household_id if ctx.person else None,
        area=ctx.area,
        chat=ctx.chat,
        reply_context=reach,
    )


@dataclass
class Recorded:
    request: Request  # the sender's own row
    handled_as: Request  # the request it is handled as: itself, or the earlier report of the same matter
    households: int = 1  # how many households reported it


async def new_request(
    sender: Sender,
    text: str,
    decision: Decision,
    *,
    now: datetime,
    relayed_by: Person | None = None,
    forward_after_backlog: bool = False,
) -> Request:
    """The request row and its `recorded` event: what every way a matter is recorded begins with."""
    request = Request(
        text=text,
        channel="relay" if relayed_by else sender.channel,
        sender=sender.person,
        sender_ref=sender.ref,
        relayed_by=relayed_by,
        household_id=sender.household_id,
        area=sender.area,
        chat=sender.chat,
        reply_context=sender.reply_context,
        status=RequestState.RECORDED,
        primary=decision.primary,
        also=list(decision.also),
        urgency=decision.urgency,
        keywords=list(decision.keywords),
        explanation=decision.explanation,
        created_at=now,
        updated_at=now,
        forward_after_backlog=forward_after_backlog,
    )
    event = TicketEvent(
        actor=relayed_by or sender.person,
        kind="recorded",
        at=now,
        data={
            "channel": sender.channel,
            "primary": decision.primary,
            "keywords": list(decision.keywords),
            "scores": votes(decision),  # this piece's say if the burst grows (handlers/requests/burst.py)
        },
    )
    await insert_audited(request, event, link="request_id", numbered=True)  # one statement on PostgreSQL
    return request


async def record_request(
    services: Services,
    sender: Sender,
    text: str,
    decision: Decision,
    *,
    now: datetime,
    relayed_by: Person | None = None,
    absorbed: Sequence[NonRequest] = (),
    check_same_matter: bool = True,
    in_backlog: bool = False,
) -> Recorded:
    """A new request from `sender`, its audit event, then the same-matter check and forwarding.
    in_backlog: said in a backlog (Context.in_backlog); a matter that is not urgent is then sent on once the
    backlog is cleared (handlers/requests/backlog.py), so that every villager's answer comes first."""
    later = in_backlog and decision.urgency != "urgent"
    request = await new_request(sender, text, decision, now=now, relayed_by=relayed_by, forward_after_backlog=later)
    for row in absorbed:  # photos sent before the words belong to the request before any card shows it
        row.absorbed_into = request
        await row.save(update_fields=["absorbed_into_id"])
        if row.media_id:
            await Attachment.create(request=request, kind=row.kind, media_id=row.media_id, created_at=now)
    earlier = await same_matter(services, request, now) if check_same_matter else None
    if earlier is not None:
        return await merge_into(request, earlier, now)
    if not later:
        await forward(services, request, now, fresh=True)
    return Recorded(request, request)


async def append_to_request(
    services: Services,
    request: Request,
    text: str,
    decision: Decision,
    parts: list[dict[str, float]],
    *,
    now: datetime,
) -> bool:
    """Another piece of a burst, routed alone (`decision`): the text grows, and the request goes where the
    scores of all its pieces (`parts`, the earlier ones) point; True when that changed."""
    part = votes(decision)
    route = route_of(request.primary, [*parts, part])
    request.text = f"{request.text} {text}".strip()
    request.updated_at = now
    if route.moved:
        request.primary = route.primary
        request.also = [c for c in dict.fromkeys([*request.also, *decision.also]) if c != route.primary]
        if decision.primary == route.primary:
            request.explanation = decision.explanation
    request.keywords = list(dict.fromkeys([*request.keywords, *decision.keywords]))
    if decision.is_request and decision.urgency == "urgent":
        request.urgency = "urgent"
    await request.save()
    await TicketEvent.create(
        request=request,
        kind="appended",
        at=now,
        data={"text": text, "primary": request.primary, "rerouted": route.moved, "scores": part},
    )
    if route.moved and request.status in STILL_BEING_SAID and not request.forward_after_backlog:
        await forward(services, request, now)  # (one still waiting goes where all its pieces point, once)
    return route.moved


async def add_words(request: Request, text: str, now: datetime) -> None:
    """A merged report's further words: kept on the reporter's own row and in the main request's trail."""
    request.text, request.updated_at = f"{request.text} {text}".strip(), now
    await request.save(update_fields=["text", "updated_at"])
    await TicketEvent.create(
        request_id=request.merged_into_id or request.id,
        kind="appended",
        at=now,
        data={"text": text, "from_request": request.id},
    )


async def forward(services: Services, request: Request, now: datetime, *, fresh: bool = False) -> None:
    """`village` matters stay in the grid (a card to its grid member and village secretary); the rest go to the
    whistle feature (urgent ones are whistled at once, others wait for the township's confirmation).
    fresh: recorded in this very message, so it has no history to look up (never at the village before)."""
    if request.primary == VILLAGE:
        await move_request(request, RequestState.KEPT_IN_GRID, now, event=Event("kept_in_grid", request=request))
        await send_village_card(services, request)
        return
    # the county's village tier: the village first (大事不出村)
    if await send_to_village(services, request, fresh=fresh):
        return
    await whistle_request(services, request, fresh=fresh)


async def with_village(request: Request) -> bool:
    """At the village tier, or going there when sent on after a backlog (recorded in it and still waiting)."""
    if request.status == RequestState.AT_VILLAGE:
        return True
    waiting = request.forward_after_backlog and request.status == RequestState.RECORDED
    return waiting and await village_taking(request, fresh=True) is not None


async def same_matter(services: Services, request: Request, now: datetime) -> Request | None:
    """An earlier open report of the same matter in the same hamlet (or village) within the policy's days."""
    rules = services.policy.requests
    area = await area_of(request.area_id)
    place = await ancestor_at(area, "hamlet", "village")
    if place is None or not request.keywords:
        return None
    since = now - rules.duplicate_window
    for candidate in await same_matter_candidates(request, place, since):
        if alike(request, candidate, rules):
            return candidate
    return None


def alike(one: Request, other: Request, rules: RequestsPolicy) -> bool:
    return (
        overlap(set(one.keywords), set(other.keywords)) >= rules.duplicate_keyword_overlap
        or overlap(pairs(one.text), pairs(other.text)) >= rules.duplicate_text_overlap
    )


def overlap(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


_NOT_WORD = re.compile(r"[\W_]+")


def pairs(text: str) -> set[str]:
    """Neighbouring character pairs: enough to tell 桥塌了过不去 from 路灯不亮 without a tokenizer."""
    plain = _NOT_WORD.sub("", text)
    return {plain[i : i + 2] for i in range(len(plain) - 1)}


async def merge_into(request: Request, earlier: Request, now: datetime) -> Recorded:
    request.merged_into = earlier
    await request.save(update_fields=["merged_into_id"])
    if request.status != earlier.status:  # a merged report follows its request's status, silently
        await move_request(request, RequestState(earlier.status), now)
    households = await household_count(earlier)
    await TicketEvent.create(
        request=earlier,
        kind="merged",
        at=now,
        data={"from_request": request.id, "number": request.number, "households": households},
    )
    earlier.updated_at = now
    await earlier.save(update_fields=["updated_at"])
    return Recorded(request, earlier, households)


async def household_count(request: Request) -> int:
    """Distinct households (or, without one, senders) among a request and those merged into it."""
    seen = {
        r.household_id or (r.sender_id and f"person:{r.sender_id}") or f"{r.channel}:{r.sender_ref}"
        for r in await reporters_of(request)
    }
    return len(seen)


async def handled_as(request: Request) -> Request:
    """The request a merged report is handled as."""
    if request.merged_into_id is None:
        return request
    return await Request.get(id=request.merged_into_id)
