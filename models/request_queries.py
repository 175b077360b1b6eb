"""Questions the requests feature asks the database: a sender's open request, the same matter reported by
neighbours, where an area sits in the tree, the households a cadre may speak for."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from models import Area, Household, NonRequest, Person, Request, Role
from models.area_cache import area_by_id, area_ids_under, per_pass
from models.request_states import OPEN_STATES, STILL_BEING_SAID
from models.shapes import Shape

SAME_MATTER_CANDIDATES = 50  # earlier open reports compared with a new one, newest first


def sender_filter(channel: str, sender_ref: str, person: Person | None) -> Q:
    """A sender's own requests: by person when known, else by the channel's id of them."""
    return _sender_q(channel, sender_ref, person.id if person is not None else None)


def _sender_q(channel: str, sender_ref: str, person_id: int | None) -> Q:
    if person_id is not None:
        return Q(sender_id=person_id) | Q(channel=channel, sender_ref=sender_ref, sender_id=None)
    return Q(channel=channel, sender_ref=sender_ref)


async def latest_of_sender(
    channel: str, sender_ref: str, person: Person | None, states: tuple[str, ...], since: datetime | None = None
) -> Request | None:
    key = (tuple(states), person is not None, since is not None)
    shape = _LATEST.get(key) or _LATEST.setdefault(key, Shape(partial(_latest_of_sender, *key)))
    values = (channel, sender_ref, *((person.id,) if person is not None else ()), *((since,) if since else ()))
    return await shape.first(*values)  # every message asks it: its text is built once (models/shapes.py)


def _latest_of_sender(states: tuple[str, ...], by_person: bool, bounded: bool, channel: str, ref: str, *rest: Any):
    query = Request.filter(_sender_q(channel, ref, rest[0] if by_person else None), status__in=states)
    if bounded:
        query = query.filter(updated_at__gte=rest[-1])
    return query.order_by("-updated_at", "-id").limit(1)


_LATEST: dict[tuple[tuple[str, ...], bool, bool], Shape[Request]] = {}


async def open_requests_of_sender(channel: str, sender_ref: str, person: Person | None) -> list[Request]:
    return await Request.filter(sender_filter(channel, sender_ref, person), status__in=OPEN_STATES).order_by("-id")


async def own_requests(channel: str, sender_ref: str, person: Person | None, limit: int) -> list[Request]:
    return await Request.filter(sender_filter(channel, sender_ref, person)).order_by("-id").limit(limit)


async def recent_non_requests(channel: str, sender_ref: str, now: datetime, gap: timedelta) -> list[NonRequest]:
    """The sender's latest run of not-yet-absorbed non-requests, each within `gap` of the next (oldest first)."""
    rows = await _RECENT_NON_REQUESTS.rows(channel, sender_ref, now - gap * 10)
    run: list[NonRequest] = []
    later = now
    for row in rows:
        if later - row.created_at > gap:
            break
        run.append(row)
        later = row.created_at
    return list(reversed(run))


async def heard_since(
    senders: Collection[tuple[str, str]], requests_since: datetime, words_since: datetime
) -> set[tuple[str, str]]:
    """Which (channel, channel's id) of `senders` have a request still being said, updated since
    `requests_since`, or words not yet part of a request since `words_since`: two queries for a batch of
    senders, where `latest_of_sender` and `recent_non_requests` ask one each per sender. (By channel id only:
    a person's requests by other channels are found by `latest_of_sender` alone.)"""
    if not senders:
        return set()
    channels, refs = {c for c, _ in senders}, {r for _, r in senders}
    requests = Request.filter(
        channel__in=channels, sender_ref__in=refs, status__in=STILL_BEING_SAID, updated_at__gte=requests_since
    )
    words = NonRequest.filter(
        channel__in=channels, sender_ref__in=refs, absorbed_into_id=None, created_at__gte=words_since
    )
    heard = {(c, r) for c, r in await requests.values_list("channel", "sender_ref")}
    heard |= {(c, r) for c, r in await words.values_list("channel", "sender_ref")}
    return heard & set(senders)


_RECENT_NON_REQUESTS = Shape(
    lambda channel, ref, since: NonRequest.filter(
        channel=channel, sender_ref=ref, absorbed_into_id=None, created_at__gte=since
    ).order_by("-created_at", "-id")
)


async def ancestors(area: Area | None) -> list[Area]:
    """The area and its parents up to the county, nearest first."""
    chain: list[Area] = []
    while area is not None:
        chain.append(area)
        area = await area_by_id(area.parent_id) if area.parent_id else None  # once per burst (models/area_cache.py)
    return chain


async def ancestor_at(area: Area | None, *levels: str) -> Area | None:
    """The nearest area at one of `levels` (the area itself counts)."""
    return next((a for a in await ancestors(area) if a.level in levels), None)


async def same_matter_candidates(request: Request, place: Area, since: datetime) -> list[Request]:
    """Open requests to the same department in the same hamlet (or village) since `since`, by someone else."""
    # Bounded: the index request_same_matter (place, department, day) finds them without reading the day's
    # other requests, and a flood of one matter has one open unmerged request per place and department.
    # Every new request asks it: its text is built once (models/shapes.py).
    places = tuple(await area_ids_under(place))
    if request.sender_id is not None:
        return await _SAME_MATTER_BY_PERSON.rows(request.primary, since, places, request.id, request.sender_id)
    return await _SAME_MATTER_BY_REF.rows(
        request.primary, since, places, request.id, request.channel, request.sender_ref
    )


def _same_matter(primary: str, since: datetime, places: tuple[int, ...], request_id: int) -> QuerySet[Request]:
    return Request.filter(
        primary=primary, status__in=OPEN_STATES, merged_into_id=None, created_at__gte=since, area_id__in=places
    ).exclude(id=request_id)


_SAME_MATTER_BY_PERSON = Shape(
    lambda primary, since, places, request_id, sender_id: (
        _same_matter(primary, since, places, request_id)
        .exclude(sender_id=sender_id)
        .order_by("id")
        .limit(SAME_MATTER_CANDIDATES)
    )
)
_SAME_MATTER_BY_REF = Shape(
    lambda primary, since, places, request_id, channel, ref: (
        _same_matter(primary, since, places, request_id)
        .exclude(channel=channel, sender_ref=ref)
        .order_by("id")
        .limit(SAME_MATTER_CANDIDATES)
    )
)


async def reporters_of(request: Request) -> list[Request]:
    """The request and every request merged into it."""
    return [request, *await Request.filter(merged_into_id=request.id).order_by("id")]


async def people_with_role(area: Area | None, *roles: str) -> list[Person]:
    """Who holds one of `roles` exactly in `area`."""
    if area is None:
        return []
    found = await per_pass(  # roles change only when the org file loads (models/area_cache.py)
        ("holders", (area.id, roles)), lambda: Role.filter(area_id=area.id, role__in=roles).select_related("person")
    )
    return list({role.person.id: role.person for role in found}.values())


async def households_named(name: str, area_ids: list[int]) -> list[Household]:
    """Households in those areas whose head, or one of whose members, has this name."""
    by_head = await Household.filter(head=name, grid_id__in=area_ids)
    member_households = await Person.filter(name=name, household__grid_id__in=area_ids).values_list(
        "household_id", flat=True
    )
    found = {h.id: h for h in by_head}
    for household in await Household.filter(id__in=[i for i in member_households if i not in found]):
        found[household.id] = household
    return sorted(found.values(), key=lambda h: h.code)
