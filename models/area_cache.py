"""Areas and departments read once per burst of messages instead of once per question.

A message's handlers ask for the same few areas many times (its grid's hamlet, village and township, for
merging, routing and telling people), for the departments a request goes to, whether its county has the
village tier, who holds a role there and which area a group chat belongs to (`per_pass`). Inside `areas_cached()` — the inbox worker opens one
for each pass over its backlog — each of these is read from the database once; outside it, every read
goes to the database as before. They change only when the org file is loaded, never mid-pass (a person's
own row, e.g. having left WeCom, is seen as the pass first read it: at most one pass, a few seconds, late).
Who is on duty (handlers/shifts/roster.py) is read once per pass too; a message that sets a post says so
(`changed`), and the rest of its pass reads the roster from the database.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

from tortoise.exceptions import DoesNotExist

from models.areas import Area, Department
from models.people import Chat
from models.shifts import CountySetting

T = TypeVar("T")

_CACHE: ContextVar[dict[tuple[str, object], object] | None] = ContextVar("area_cache", default=None)


@contextmanager
def areas_cached(kept: dict[tuple[str, object], object] | None = None) -> Iterator[None]:
    """Reads inside share one cache; `kept`: a cache an earlier block of the same pass filled (reused)."""
    token = _CACHE.set({} if kept is None else kept)
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
    return await per_pass(
        ("village_tier", county_id), lambda: CountySetting.filter(county_id=county_id, village_tier=True).exists()
    )


async def per_pass(key: tuple[str, object], load: Callable[[], Awaitable[T]]) -> T:
    """`load()`'s answer, asked once per pass under `key`: for what the org file changes, or what a message
    changes only after saying so with `changed(key[0])` (the answer is shared by the pass's messages, so a
    caller must not change it in place)."""
    cache = _CACHE.get()
    if cache is None or ("changed", key[0]) in cache:
        return await load()
    if key not in cache:
        cache[key] = await load()
    return cache[key]  # type: ignore[return-value]


def changed(kind: str) -> None:
    """This pass wrote what `kind`'s reads read: its later reads in the pass go to the database (they would
    see the write, and nothing read before it is kept, whether the write commits or rolls back)."""
    cache = _CACHE.get()
    if cache is not None:
        cache[("changed", kind)] = True


async def chat_of(channel: str, chatid: str) -> Chat | None:
    """A registered group chat with its area (`chat.area`), or None."""

    async def load() -> Chat | None:
        chat = await Chat.get_or_none(channel=channel, chatid=chatid)
        if chat is not None:
            chat.area = await area_of(chat.area_id)
        return chat

    return await per_pass(("chat", (channel, chatid)), load)
