"""满意 / 基本满意 / 不满意: a household rates how its request was handled; 不满意 reopens it, marked 督办, to the
same departments (through the whistle feature) or to the same village cadres."""

from __future__ import annotations

from handlers.core.context import Services
from handlers.requests.service import VILLAGE, handled_as
from handlers.requests.village.service import send_village_card
from handlers.whistle.service import reopen_ticket
from models import Person, Request, TicketEvent
from models.request_queries import reporters_of

UNSATISFIED = "unsatisfied"


async def rate(services: Services, reporter: Request, rating: str, *, actor: Person | None, reason: str = "") -> str:
    """Record one household's rating; returns the reply key. A request not awaiting a rating is left alone."""
    if reporter.status != "resolved":
        return "requests.rate.already"
    now = services.clock.now()
    main = await handled_as(reporter)
    reporter.satisfaction, reporter.updated_at = rating, now
    reporter.status = "reopened" if rating == UNSATISFIED else "closed"
    await reporter.save(update_fields=["satisfaction", "status", "updated_at"])
    await TicketEvent.create(request=main, actor=actor, kind="rated", reason=reason, at=now,
                             data={"rating": rating, "from_request": reporter.id})
    if rating == UNSATISFIED:
        await reopen(services, main, actor=actor, reason=reason)
        return "requests.rate.reopened"
    return "requests.rate.thanks"


async def reopen(services: Services, main: Request, *, actor: Person | None, reason: str) -> None:
    now = services.clock.now()
    if main.primary == VILLAGE and not await main.tickets.all().exists():
        await TicketEvent.create(request=main, actor=actor, kind="reopened", reason=reason, at=now, data={"urged": True})
        for row in await reporters_of(main):
            if row.status in ("resolved", "closed", "reopened"):
                row.status, row.updated_at = "kept_in_grid", now
                await row.save(update_fields=["status", "updated_at"])
        await send_village_card(services, main, urged=True)
        return
    await reopen_ticket(services, main, actor=actor, reason=reason)
    for row in await reporters_of(main):
        if row.status in ("resolved", "closed"):
            row.status, row.updated_at = "reopened", now
            await row.save(update_fields=["status", "updated_at"])
