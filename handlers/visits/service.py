"""包保 and 走访: finding the household a cadre means, pairing it, recording diary entries, and what is due."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from bot.clock import SHANGHAI
from config.errors import UserError
from config.policy import VisitsPolicy
from handlers.common.cadres import cadre_work
from handlers.core.context import Context
from handlers.requests.relay.service import household_phone
from handlers.visits.periods import Period, periods
from models import Area, CarePair, Household, Person, Visit
from models.area_tree import AreaTree

CADRE_VISITS = cadre_work("visits.app_only", "visits.not_cadre")  # the filters of a cadre's visit commands
_CHOICE = re.compile(r"^(\d{1,2})(?:\s+|$)")


@dataclass(frozen=True)
class Picked:
    household: Household
    rest: str  # what followed the name (and the choice number)


async def pick_household(ctx: Context, head: str, rest: str, village: Area | None, tree: AreaTree,
                         *, usage: str, preferred: list[Household] = ()) -> Picked:  # type: ignore[assignment]
    """The one household `head` names: the cadre's own pairs first, else the village's households.

    Two households with one head name → UserError listing them (hamlet + masked phone); the person then
    repeats the command with the list's number right after the name.
    """
    candidates = [h for h in preferred if h.head == head]
    if not candidates and village is not None:
        candidates = [h for h in await Household.filter(head=head).order_by("code") if tree.within(h.grid_id, village.id)]  # type: ignore[attr-defined]
    if not candidates:
        raise UserError("visits.household_not_found", head=head)
    if len(candidates) == 1:
        return Picked(candidates[0], rest)
    choice = _CHOICE.match(rest)
    if choice and 1 <= int(choice.group(1)) <= len(candidates):
        return Picked(candidates[int(choice.group(1)) - 1], rest[choice.end():].strip())
    lines = [ctx.say("visits.choice", index=i, head=h.head, place=tree.hamlet_name(h.grid_id),  # type: ignore[attr-defined]
                     address=h.address, phone=await household_phone(h) or ctx.say("visits.no_phone"))
             for i, h in enumerate(candidates, 1)]
    raise UserError("visits.which_household", head=head, choices="\n".join(lines), usage=ctx.say(usage, head=head))


async def pair(household: Household, cadre: Person, now: datetime) -> None:
    """One cadre per household: a new pairing replaces the old one."""
    existing = await CarePair.get_or_none(household=household)
    if existing is None:
        await CarePair.create(household=household, cadre=cadre, since=now)
    elif existing.cadre_id != cadre.id:  # type: ignore[attr-defined]
        existing.cadre, existing.since = cadre, now
        await existing.save(update_fields=["cadre_id", "since"])


def local_day(moment: datetime) -> date:
    return moment.astimezone(SHANGHAI).date()


def counted_periods(tags: list[str], since: datetime | None, until: date, section: VisitsPolicy) -> list[Period]:
    """Due periods up to `until` (last year's and this year's), from the first that began after the pairing."""
    chain = {p.start: p for year in (until.year - 1, until.year) for p in periods(tags, year, until, section)}
    first = local_day(since) if since else date.min
    return [p for start, p in sorted(chain.items()) if p.start >= first]


def visited_in(period: Period, days: set[date]) -> bool:
    return any(period.start <= day < period.end for day in days)


async def visit_days(household_ids: list[int], since: datetime) -> dict[int, set[date]]:
    found: dict[int, set[date]] = {}
    rows = await Visit.filter(household_id__in=household_ids, visited_at__gte=since).values_list("household_id", "visited_at")
    for household_id, visited_at in rows:
        found.setdefault(household_id, set()).add(local_day(visited_at))
    return found
