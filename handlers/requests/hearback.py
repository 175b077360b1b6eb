"""件件有回音: telling each household that reported a request what became of it.

Other features call `tell_requester` (签收, 进展, 办结) and `request_resolved` (办结, or the village closing a
matter). The first channel that reaches a reporter is used (DESIGN.md): the group's webhook, an app message to
a WeCom member, customer service within its 48 h / 5-message window, else a note to their grid member. News of
one request arriving within a short while goes out as one message, and each piece has a dedupe key, so a
retried click never tells anyone twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.expressions import Q

from bot.calendar import QuietHours
from bot.channels.types import Address, Outbound
from bot.outbox import enqueue
from handlers.core.context import Services
from handlers.common.format import summary
from handlers.common.privacy import mask_private
from handlers.requests.rating.card import rating_card
from models import Area, KfCustomer, OutboxMessage, Person, Request, RequestUpdate, TicketEvent
from models.request_queries import ancestor_at, people_with_role, reporters_of
from models.request_states import RequestState, move_request

@dataclass(frozen=True)
class Route:
    kind: str  # webhook | app | kf | grid_member | none
    address: Address | None


async def tell_requester(services: Services, request: Request, text: str, *, dedupe_key: str) -> int:
    """Tell every household that reported `request` (it and the reports merged into it) `text`.

    Returns how many reporters were newly told; a dedupe_key used before tells nobody again.
    """
    main = await Request.get(id=request.merged_into_id) if request.merged_into_id else request
    told = 0
    for reporter in await reporters_of(main):
        told += await _tell_one(services, reporter, main, text, f"{dedupe_key}:{reporter.id}")
    return told


async def tell_reporter(services: Services, reporter: Request, text: str, *, dedupe_key: str) -> int:
    """Tell one household only (e.g. that a cadre relayed their request), not everyone who reported the matter."""
    main = await Request.get(id=reporter.merged_into_id) if reporter.merged_into_id else reporter
    return await _tell_one(services, reporter, main, text, f"{dedupe_key}:{reporter.id}")


async def request_resolved(
    services: Services, request: Request, note: str, *, dedupe_key: str, actor: Person | None = None
) -> None:
    """The request is done (办结 by its departments, or closed by the village): every reporter is told and asked
    to rate it — with buttons where they are a WeCom member, by a reply word elsewhere."""
    main = await Request.get(id=request.merged_into_id) if request.merged_into_id else request
    now = services.clock.now()
    for reporter in await reporters_of(main):  # each report not already resolved or closed
        await move_request(reporter, RequestState.RESOLVED, now)
    # One event for the matter, however many of its reports moved.
    await TicketEvent.create(request=main, actor=actor, kind="resolved", reason=note, at=now)
    texts = services.texts
    for reporter in await reporters_of(main):
        route = await choose_route(services, reporter, now)
        done = texts.render("requests.hearback.resolved", note=note)
        if route.kind != "app":
            done = f"{done}\n{texts.render('requests.rate.ask_words')}"
        await _tell_one(services, reporter, main, done, f"{dedupe_key}:{reporter.id}", route=route)
        if route.kind == "app" and route.address is not None:
            await enqueue(Outbound(to=route.address, card=rating_card(services, reporter, main)), now=now,
                          dedupe_key=f"{dedupe_key}:{reporter.id}:rate-card")


async def _tell_one(services: Services, reporter: Request, main: Request, text: str, key: str,
                    route: Route | None = None) -> int:
    if await RequestUpdate.filter(dedupe_key=key).exists():
        return 0
    now = services.clock.now()
    route = route or await choose_route(services, reporter, now)
    update = await RequestUpdate.create(request=reporter, dedupe_key=key, text=text, route=route.kind, created_at=now)
    if route.address is None:
        return 1
    line = mask_private(text) if route.kind == "webhook" else text
    pending = await _open_message(reporter, route, now)
    if pending is not None:  # news within the combine window joins the message not yet sent
        payload = dict(pending.payload)
        payload["text"] = f"{payload['text']}\n{line}"
        pending.payload = payload
        await pending.save(update_fields=["payload"])
        update.outbox_id = pending.id
    else:
        header = await _header(services, reporter, main, route)
        wait = services.policy.requests.hearback_combine
        quiet = QuietHours.from_policy(services.policy.quiet_hours)
        not_before = quiet.next_allowed(now + wait, urgent=main.urgency == "urgent")
        row = await enqueue(Outbound(to=route.address, text=f"{header}\n{line}"), now=now, not_before=not_before,
                            dedupe_key=f"hearback:{reporter.id}:{update.id}")
        update.outbox_id = row.id if row else None
    await update.save(update_fields=["outbox_id"])
    return 1


async def _open_message(reporter: Request, route: Route, now: datetime) -> OutboxMessage | None:
    assert route.address is not None
    return await OutboxMessage.filter(
        Q(claimed_until=None) | Q(claimed_until__lt=now),
        dedupe_key__startswith=f"hearback:{reporter.id}:", status="pending", not_before__gt=now,
        kind=route.address.channel, target=route.address.target,
    ).order_by("-id").first()


async def _header(services: Services, reporter: Request, main: Request, route: Route) -> str:
    texts = services.texts
    if route.kind == "grid_member":
        who = await Person.get_or_none(id=reporter.sender_id) if reporter.sender_id else None
        return texts.render("requests.hearback.relay_header", number=main.number, name=who.name if who else "村民",
                            summary=summary(main.text))
    if route.kind == "webhook":
        return texts.render("requests.hearback.group_header", number=main.number)
    return texts.render("requests.hearback.header", number=main.number, summary=summary(main.text))


async def choose_route(services: Services, reporter: Request, now: datetime) -> Route:
    """The first channel that reaches this reporter (DESIGN.md's order)."""
    reach = reporter.reply_context or {}
    if reach.get("webhook_key"):
        return Route("webhook", Address("webhook", reach["webhook_key"]))
    person = await Person.get_or_none(id=reporter.sender_id) if reporter.sender_id else None
    userid = (person.userid if person else None) or (reach.get("userid") if reach.get("channel") in ("app", "aibot") else None)
    if userid:
        return Route("app", Address("app", userid))
    external = (person.external_userid if person else None) or reach.get("external_userid")
    if external and await kf_window_open(services, external, now):
        customer = await KfCustomer.get_or_none(external_userid=external)
        open_kfid = reach.get("open_kfid") or (customer.open_kfid if customer else "")
        return Route("kf", Address("kf", external, via=open_kfid))
    cadre = await _grid_member_for(reporter)
    if cadre is not None and cadre.userid:
        return Route("grid_member", Address("app", cadre.userid))
    return Route("none", None)


async def kf_window_open(services: Services, external_userid: str, now: datetime) -> bool:
    """Within [requests] kf_window_hours of the villager's last message and fewer than kf_window_messages
    messages queued to them since."""
    rules = services.policy.requests
    customer = await KfCustomer.get_or_none(external_userid=external_userid)
    last = customer.last_customer_message_at if customer else None
    if last is None or now - last > rules.kf_window:
        return False
    queued = await OutboxMessage.filter(kind="kf", target=external_userid, created_at__gte=last).count()
    return queued < rules.kf_window_messages


async def _grid_member_for(reporter: Request) -> Person | None:
    """Who passes the news on: the cadre who relayed it, else the grid's member."""
    if reporter.relayed_by_id:
        return await Person.get_or_none(id=reporter.relayed_by_id)
    area = await Area.get_or_none(id=reporter.area_id) if reporter.area_id else None
    grid = await ancestor_at(area, "grid")
    members = await people_with_role(grid, "grid_member")
    return members[0] if members else None
