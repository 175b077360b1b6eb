"""件件有回音: telling each household that reported a request what became of it.

Other features call `tell_requester` (签收, 进展, 办结) and `request_resolved` (办结, or the village closing a
matter). How a reporter is reached is bot/reach.py's choice (`Reach.reporter`); news of one request arriving
within [requests] hearback_combine_seconds goes out as one message, and each piece is kept as a RequestUpdate
with a dedupe key, so a retried click never tells anyone twice.
"""

from __future__ import annotations

from datetime import timedelta

from bot.reach import Route
from handlers.common.format import summary
from handlers.common.privacy import mask_private
from handlers.core.context import Services
from handlers.requests.rating.card import rating_card
from models import OutboxMessage, Person, Request, RequestUpdate, TicketEvent
from models.request_queries import reporters_of
from models.request_states import RequestState, move_request


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
        route = await services.reach.reporter(reporter)
        done = texts.render("requests.hearback.resolved", note=note)
        if route.kind != "app":  # the question rides in the same message, after the news it rates
            done = f"{done}\n{texts.render('requests.rate.ask_words')}"
        key = f"{dedupe_key}:{reporter.id}"
        await _tell_one(services, reporter, main, done, key, route=route, final=True)
        if route.kind == "app":  # a WeCom member rates with the card's buttons, queued right behind the news
            news = await RequestUpdate.get_or_none(dedupe_key=key)
            sent_with = await OutboxMessage.get_or_none(id=news.outbox_id) if news and news.outbox_id else None
            await services.reach.card_to(
                route,
                rating_card(services, reporter, main),
                dedupe_key=f"{key}:rate-card",
                not_before=sent_with.not_before if sent_with else None,
            )


async def _tell_one(
    services: Services,
    reporter: Request,
    main: Request,
    text: str,
    key: str,
    route: Route | None = None,
    *,
    final: bool = False,
) -> int:
    """`final`: the last news of the matter goes without waiting for more (the news waiting is sent with it)."""
    if await RequestUpdate.filter(dedupe_key=key).exists():
        return 0
    now = services.clock.now()
    route = route or await services.reach.reporter(reporter)
    update = await RequestUpdate.create(request=reporter, dedupe_key=key, text=text, route=route.kind, created_at=now)
    if route.address is None:
        return 1
    row, replaced = await services.reach.news(
        route,
        header=await _header(services, reporter, main, route),
        line=mask_private(text) if route.in_group else text,
        urgent=main.urgency == "urgent",
        wait=timedelta(0) if final else services.policy.requests.hearback_combine,
        thread=f"hearback:{reporter.id}:",
        dedupe_key=f"hearback:{reporter.id}:{update.id}",
    )
    if replaced is not None:  # the earlier news of this message now goes out in the new row
        await RequestUpdate.filter(outbox_id=replaced).update(outbox_id=row.id if row else None)
    update.outbox_id = row.id if row else None
    await update.save(update_fields=["outbox_id"])
    return 1


async def _header(services: Services, reporter: Request, main: Request, route: Route) -> str:
    texts = services.texts
    if route.kind == "grid_member":
        who = await Person.get_or_none(id=reporter.sender_id) if reporter.sender_id else None
        return texts.render(
            "requests.hearback.relay_header",
            number=main.number,
            name=who.name if who else "村民",
            summary=summary(main.text),
        )
    if route.kind == "webhook":
        return texts.render("requests.hearback.group_header", number=main.number)
    return texts.render("requests.hearback.header", number=main.number, summary=summary(main.text))
