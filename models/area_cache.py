"""Areas read once per burst of messages instead of once per question.

A message's handlers ask for the same few areas many times (its grid's hamlet, village and township, for
merging, routing and telling people). Inside `areas_cached()` — the inbox worker opens one for each pass
over its backlog — each area and each area's subtree is read from the database once; outside it, every
read goes to the database as before. Areas change only when the org file is loaded, never mid-pass.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from models.areas import Area

_CACHE: ContextVar[dict[tuple[str, int], object] | None] = ContextVar("area_cache", default=None)


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
