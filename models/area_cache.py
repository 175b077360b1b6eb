"""Areas and departments read once per burst of messages instead of once per question.

A message's handlers ask for the same few areas many times (its grid's hamlet, village and township, for
merging, routing and telling people), for the departments a request goes to and whether its county has
the village tier. Inside `areas_cached()` — the inbox worker opens one for each pass over its backlog —
each of these is read from the database once; outside it, every read goes to the database as before.
They change only when the org file is loaded, never mid-pass.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from tortoise.exceptions import DoesNotExist

from models.areas import Area, Department
from models.shifts import CountySetting

_CACHE: ContextVar[dict[tuple[str, object], object] | None] = ContextVar("area_cache", default=None)


@contextmanager
def areas_cached() -> Iterator[None]:
    token = _CACHE.set({})
    try:
        yield
    finally:
        _CACHE.reset(token)


async def area_by_id(area_id: int) -> Area | None:
    cache = _CACHE.get()
    if cache is None:
        return await Area.get_or_none(id=area_id)
    key = ("area", area_id)
    if key not in cache:
        cache[key] = await Area.get_or_none(id=area_id)
    found = cache[key]
    return found if isinstance(found, Area) else None


async def area_of(area_id: int | None) -> Area | None:
    """The area of a nullable reference (a request's, a ticket's): None for none."""
    return await area_by_id(area_id) if area_id else None


async def area_required(area_id: int) -> Area:
    """As `Area.get(id=…)`: DoesNotExist when there is no such area."""
    area = await area_by_id(area_id)
    if area is None:
        raise DoesNotExist(Area)
    return area


async def area_ids_under(area: Area) -> list[int]:
    """The area and every area below it."""
    cache = _CACHE.get()
    key = ("under", area.id)
    if cache is not None and key in cache:
        return list(cache[key])  # type: ignore[call-overload]
    ids = [area.id]
    frontier = [area.id]
    while frontier:
        frontier = [a.id for a in await Area.filter(parent_id__in=frontier).only("id")]
        ids.extend(frontier)
    if cache is not None:
        cache[key] = tuple(ids)
    return ids


async def departments_by_code(codes: Iterable[str]) -> dict[str, Department]:
    """The departments of these codes (codes no department has are left out)."""
    wanted = list(dict.fromkeys(codes))
    cache = _CACHE.get()
    if cache is None:
        return {d.code: d for d in await Department.filter(code__in=wanted)}
    missing = [c for c in wanted if ("department", c) not in cache]
    if missing:
        found = {d.code: d for d in await Department.filter(code__in=missing)}
        for code in missing:
            cache[("department", code)] = found.get(code)
    return {c: d for c in wanted if isinstance(d := cache[("department", c)], Department)}


async def village_tier(county_id: int) -> bool:
    """The org file's [county] village_tier of this county."""
    cache = _CACHE.get()
    key = ("village_tier", county_id)
    if cache is not None and key in cache:
        return bool(cache[key])
    on = await CountySetting.filter(county_id=county_id, village_tier=True).exists()
    if cache is not None:
        cache[key] = on
    return on
