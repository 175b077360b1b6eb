"""满意 / 基本满意 / 不满意: a household rates how its request was handled; 不满意 reopens it, marked 督办, to the
same departments (through the whistle feature) or to the same village cadres."""

from __future__ import annotations

from handlers.core.context import Services
from handlers.requests.service import VILLAGE, handled_as
from handlers.requests.village.service import send_village_card
from handlers.whistle.reopen import reopen_ticket
from models import Person, Request, TicketEvent
from models.lifecycle import Event
from models.request_queries import reporters_of
from models.request_states import FINISHED, RATEABLE_STATES, RequestState, move_request

UNSATISFIED = "unsatisfied"


async def rate(services: Services, reporter: Request, rating: str, *, actor: Person | None, reason: str = "") -> str:
    """Record one household's rating; returns the reply key. A request not awaiting a rating is left alone."""
    now = services.clock.now()
    main = await handled_as(reporter)
    rated = Event(
        "rated", request=main, actor=actor, reason=reason, data={"rating": rating, "from_request": reporter.id}
    )
    target = RequestState.REOPENED if rating == UNSATISFIED else RequestState.CLOSED
    if not await move_request(reporter, target, now, event=rated, only_from=RATEABLE_STATES, satisfaction=rating):
        return "requests.rate.already"
    if rating == UNSATISFIED:
        await reopen(services, main, actor=actor, reason=reason)
        return "requests.rate.reopened"
    return "requests.rate.thanks"


async def reopen(services: Services, main: Request, *, actor: Person | None, reason: str) -> None:
    now = services.clock.now()
    kept_by_village = (
        main.primary == VILLAGE or await TicketEvent.filter(request_id=main.id, kind="at_village").exists()
    )
    if kept_by_village and not await main.tickets.all().exists():  # the village closed it: back to the village
        await TicketEvent.create(
            request=main, actor=actor, kind="reopened", reason=reason, at=now, data={"urged": True}
        )
        for row in await reporters_of(main):  # back to the grid: each report resolved, closed or reopened
            await move_request(row, RequestState.KEPT_IN_GRID, now, only_from=(*FINISHED, RequestState.REOPENED))
        await send_village_card(services, main, urged=True)
        return
    await reopen_ticket(services, main, actor=actor, reason=reason)
    for row in await reporters_of(main):
        await move_request(row, RequestState.REOPENED, now, only_from=FINISHED)
