"""How often a paired household must be visited (a chain of due periods per year, from [visits] in policy),
and which of those periods had a visit.

Kinds: week (Monday–Sunday), fortnight (two weeks counted from Monday 2024-01-01), month. A household
follows the most frequent kind among its tags, in the season of each period's first day (winter months
from policy). The chain starts with the period holding 1 January and each next period starts where the
last ended (clipped when the kind changes with the season), so every key below is stable.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from config.policy import VisitsPolicy
from config.timezone import SHANGHAI
from models.tasks import Visit

EPOCH = date(2024, 1, 1)  # a Monday: fortnights are counted from it
KIND_ORDER = {"week": 0, "fortnight": 1, "month": 2}


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # exclusive
    kind: str


def _containing(day: date, kind: str) -> tuple[date, date]:
    if kind == "week":
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=7)
    if kind == "fortnight":
        start = EPOCH + timedelta(days=(day - EPOCH).days // 14 * 14)
        return start, start + timedelta(days=14)
    if kind == "month":
        start = day.replace(day=1)
        return start, (start + timedelta(days=32)).replace(day=1)
    raise ValueError(f"[visits.frequency]: unknown period {kind!r}; use week, fortnight or month")


def kind_for(tags: list[str], day: date, section: VisitsPolicy) -> str | None:
    """The most frequent kind among the household's tags on `day`; None when no tag asks for visits."""
    winter = day.month in section.winter_months
    kinds = []
    for tag in tags:
        rule = section.frequency.get(tag)
        kind = rule.in_season(winter) if rule else None
        if kind:
            kinds.append(kind)
    return min(kinds, key=KIND_ORDER.__getitem__) if kinds else None


def periods(tags: list[str], year: int, until: date, section: VisitsPolicy) -> list[Period]:
    """The chain of due periods of `year` that start before `until`."""
    found: list[Period] = []
    day = date(year, 1, 1)
    kind = kind_for(tags, day, section)
    if kind is None:
        return found
    start, end = _containing(day, kind)
    while start < until and start.year <= year:
        found.append(Period(start, end, kind))
        kind = kind_for(tags, end, section) or kind
        start, (_, end) = end, _containing(end, kind)
        if end <= start:  # cannot happen with these kinds; guards the loop
            break
    return found


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
    rows = await Visit.filter(household_id__in=household_ids, visited_at__gte=since).values_list(
        "household_id", "visited_at"
    )
    for household_id, visited_at in rows:
        found.setdefault(household_id, set()).add(local_day(visited_at))
    return found
