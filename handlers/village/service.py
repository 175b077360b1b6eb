"""The village tier (村级吹哨, 大事不出村): with the county's switch on, a matter for a county department that is not
urgent goes first to its village — both secretaries and the village's 值班 of the shift — who keep it (村办结, the
same day) or send it up (上报乡镇) to the township's confirmation card; the township may whistle it at any time.

`send_to_village(services, request)` is called where a routed request would go to the township; False leaves the
request to the whistle feature as before (switch off, urgent, a village matter, no village, or sent up already).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from config.policy import ShiftsPolicy
from config.timezone import SHANGHAI
from handlers.core.context import Services
from handlers.shifts.roster import on_shift, shift_at
from handlers.tickets.departments import NOT_COUNTY
from handlers.village.card import send_tier_card
from models import Area, Person, Request, TicketEvent
from models.area_cache import area_of, village_tier
from models.lifecycle import Event
from models.request_queries import ancestor_at, people_with_role
from models.request_states import RequestState, move_request

AT_VILLAGE = "at_village"  # the trail's event when a matter reaches the village stage (its data: due, userids)


async def tier_on(area: Area | None) -> bool:
    """The org file's [county] village_tier for the county of `area`."""
    county = await ancestor_at(area, "county")
    return county is not None and await village_tier(county.id)  # once per burst (models/area_cache.py)


def due_of(policy: ShiftsPolicy, at: datetime) -> datetime:
    """当天: by village_due_at of the day it reached the village, or of the next day after village_same_day_until."""
    local = at.astimezone(SHANGHAI)
    day: date = local.date() if local.time() < policy.village_same_day_until else local.date() + timedelta(days=1)
    return datetime.combine(day, policy.village_due_at, SHANGHAI)


def remind_of(policy: ShiftsPolicy, due: datetime) -> datetime:
    return datetime.combine(due.astimezone(SHANGHAI).date(), policy.village_remind_at, SHANGHAI)


async def village_people(services: Services, village: Area, at: datetime) -> list[Person]:
    """Both secretaries (双书记) and the village's 值班 of the shift `at` falls in."""
    people = await people_with_role(village, *services.policy.shifts.village_tier_roles)
    duty = (await on_shift(village, shift_at(services.policy.shifts, at))).get("duty")
    people += [duty] if duty is not None else []
    return list({p.id: p for p in people if p.userid}.values())


async def village_taking(request: Request, *, fresh: bool = False) -> Area | None:
    """The village whose tier takes the matter when it is sent on; None when the switch is off, the matter is
    urgent (danger goes everywhere at once) or the village's own (it stays in the grid), there is no village, or
    it was at the village and sent up (the township has it now). fresh: never sent on before (one read fewer)."""
    if request.urgency == "urgent" or request.primary in NOT_COUNTY:
        return None
    area = await area_of(request.area_id)
    village = await ancestor_at(area, "village")
    if village is None or not await tier_on(area):
        return None
    if not fresh and await TicketEvent.filter(request_id=request.id, kind=AT_VILLAGE).exists():
        return None
    return village


async def send_to_village(services: Services, request: Request, *, fresh: bool = False) -> bool:
    """True when the village tier takes the matter (now, or already has it). fresh: recorded in this message,
    so it cannot have been at the village and sent up before (one read fewer for each new request)."""
    if request.status == RequestState.AT_VILLAGE:
        return True  # a burst re-routed it to another department: the village has it still
    village = await village_taking(request, fresh=fresh)
    if village is None:
        return False
    now = services.clock.now()
    due = due_of(services.policy.shifts, now)
    people = await village_people(services, village, now)
    event = Event(
        AT_VILLAGE,
        request=request,
        data={"due": due.isoformat(), "village": village.code, "userids": [p.userid for p in people]},
    )
    if not await move_request(request, RequestState.AT_VILLAGE, now, event=event, only_from=(RequestState.RECORDED,)):
        return False
    await send_tier_card(services, request, [p.userid for p in people if p.userid], due)
    return True


async def stage_of(request: Request) -> TicketEvent | None:
    """The event that put the matter at the village stage, if it was ever there."""
    return await TicketEvent.filter(request_id=request.id, kind=AT_VILLAGE).order_by("id").first()
