"""包保 and 走访: finding the household a cadre means, pairing it, recording diary entries, and what is due."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from config.errors import UserError
from handlers.common.cadres import cadre_work
from handlers.core.context import Context
from handlers.requests.relay.service import household_phone
from models import Area, CarePair, Household, Person
from models.area_tree import AreaTree

CADRE_VISITS = cadre_work("visits.app_only", "visits.not_cadre")  # the filters of a cadre's visit commands
_CHOICE = re.compile(r"^(\d{1,2})(?:\s+|$)")


@dataclass(frozen=True)
class Picked:
    household: Household
    rest: str  # what followed the name (and the choice number)


async def pick_household(
    ctx: Context,
    head: str,
    rest: str,
    village: Area | None,
    tree: AreaTree,
    *,
    usage: str,
    preferred: Sequence[Household] = (),
) -> Picked:
    """The one household `head` names: the cadre's own pairs first, else the village's households.

    Two households with one head name → UserError listing them (hamlet + masked phone); the person then
    repeats the command with the list's number right after the name.
    """
    candidates = [h for h in preferred if h.head == head]
    if not candidates and village is not None:
        candidates = [
            h for h in await Household.filter(head=head).order_by("code") if tree.within(h.grid_id, village.id)
        ]
    if not candidates:
        raise UserError("visits.household_not_found", head=head)
    if len(candidates) == 1:
        return Picked(candidates[0], rest)
    choice = _CHOICE.match(rest)
    if choice and 1 <= int(choice.group(1)) <= len(candidates):
        return Picked(candidates[int(choice.group(1)) - 1], rest[choice.end() :].strip())
    lines = [
        ctx.say(
            "visits.choice",
            index=i,
            head=h.head,
            place=tree.hamlet_name(h.grid_id),
            address=h.address,
            phone=await household_phone(h) or ctx.say("visits.no_phone"),
        )
        for i, h in enumerate(candidates, 1)
    ]
    raise UserError("visits.which_household", head=head, choices="\n".join(lines), usage=ctx.say(usage, head=head))


async def pair(household: Household, cadre: Person, now: datetime) -> None:
    """One cadre per household: a new pairing replaces the old one."""
    existing = await CarePair.get_or_none(household=household)
    if existing is None:
        await CarePair.create(household=household, cadre=cadre, since=now)
    elif existing.cadre_id != cadre.id:
        existing.cadre, existing.since = cadre, now
        await existing.save(update_fields=["cadre_id", "since"])
