"""The duty roster's arithmetic and queries: which shift a moment falls in, who holds its posts, what is open.

A day has two shifts ([shifts] policy): 白班 from day_start to night_start, 夜班 from night_start to the next
day's day_start, so the small hours belong to the night shift of the day before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from tortoise.exceptions import IntegrityError

from config.policy import ShiftsPolicy
from config.timezone import SHANGHAI
from models import Area, DutySlot, Person
from models.area_cache import changed, per_pass
from models.area_tree import AreaTree
from models.shifts import POSTS, SHIFTS


@dataclass(frozen=True)
class Shift:
    day: date
    shift: str  # day | night

    def start(self, policy: ShiftsPolicy) -> datetime:
        at = policy.day_start if self.shift == "day" else policy.night_start
        return datetime.combine(self.day, at, SHANGHAI)

    def end(self, policy: ShiftsPolicy) -> datetime:
        return self.next().start(policy)

    def next(self) -> Shift:
        return Shift(self.day, "night") if self.shift == "day" else Shift(self.day + timedelta(days=1), "day")


def shift_at(policy: ShiftsPolicy, when: datetime) -> Shift:
    local = when.astimezone(SHANGHAI)
    if local.time() >= policy.night_start:
        return Shift(local.date(), "night")
    if local.time() >= policy.day_start:
        return Shift(local.date(), "day")
    return Shift(local.date() - timedelta(days=1), "night")


ON_SHIFT = "on_shift"  # the per-pass reads of who holds a post (models/area_cache.py)
Holders = dict[tuple[int, date, str, str], Person]  # (area id, day, shift, post) → who holds it


async def holders(area_ids: list[int], first: date, last: date) -> Holders:
    """Every post held in these areas from `first` to `last` (both included)."""
    slots = await DutySlot.filter(area_id__in=area_ids, day__gte=first, day__lte=last).select_related("person")
    return {(s.area_id, s.day, s.shift, s.post): s.person for s in slots}


async def on_shift(area: Area | None, shift: Shift) -> dict[str, Person]:
    """post → who holds it in `area` for `shift` (a post nobody holds is absent).

    Read once per inbox pass: a flood's every message asks who is on duty near it. A post set in this
    pass (`set_post`) is read afresh from then on; one set by another process is seen from the next pass."""
    if area is None:
        return {}

    async def load() -> dict[str, Person]:
        held = await holders([area.id], shift.day, shift.day)
        return {post: person for (_, _, s, post), person in held.items() if s == shift.shift}

    return await per_pass((ON_SHIFT, (area.id, shift)), load)


async def set_post(area: Area, shift: Shift, post: str, person: Person, now: datetime) -> bool:
    """Put `person` in the post; False when they already held it. Two secretaries at once: the last one wins."""
    changed(ON_SHIFT)
    slots = DutySlot.filter(area_id=area.id, day=shift.day, shift=shift.shift, post=post)
    slot = await slots.first()
    if slot is None:
        try:
            await DutySlot.create(area=area, day=shift.day, shift=shift.shift, post=post, person=person, updated_at=now)
            return True
        except IntegrityError:  # another process created it a moment ago: the update below wins
            slot = await slots.get()
    if slot.person_id == person.id:
        return False
    await DutySlot.filter(id=slot.id).update(person_id=person.id, updated_at=now)
    return True


@dataclass(frozen=True)
class Gap:
    area: Area
    shift: str
    post: str


async def gaps(tree: AreaTree, township: Area, day: date) -> list[Gap]:
    """The posts of `day`'s shifts nobody holds, in the township and each of its villages (township first)."""
    areas = [township, *tree.villages_in(township.id)]
    held = await holders([a.id for a in areas], day, day)
    return [
        Gap(area, shift, post)
        for area in areas
        for shift in SHIFTS
        for post in POSTS
        if (area.id, day, shift, post) not in held
    ]
