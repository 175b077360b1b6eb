"""The ticket figures, one definition for every view (统计 in chat, `gridwhistle report tickets` and its
XLSX, any page): per department and per township, from the event trail, as of a moment (`now`).

件次 (a part): one department's part in one ticket, from a `notified` event (with the deadlines it carried)
to the next `notified` of the same department on the same ticket: a ticket sent to two departments is two
件次, and a department named again (改派 back, 不满意 reopening) starts a new one. A ticket count is shown
beside it. Parts taken away by 改派 (withdrawn) are left out everywhere; parts handed back (退单) are left
out of the rates and counted as 退单.

A part is judged only once its deadline has passed or it met it — never before:
- 签收及时率 (响应率): signed (签收) by the respond deadline / parts signed or past that deadline
- 办结率 (解决率): finished (办结) / parts finished or past the resolve deadline
- 按时办结率: finished by the resolve deadline / the same denominator
- 进行中: parts not finished and still within the resolve deadline
- 满意率: rated requests with 满意 or 基本满意 / rated requests (once per request)
A rate with nothing to judge yet is None (shown as 暂无), not 0%.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeVar

from tortoise.expressions import Subquery

from models import Area, Department, Request, Ticket, TicketEvent

GOOD_RATINGS = ("satisfied", "basically_satisfied")
PART_EVENTS = ("notified", "on_duty", "done", "returned", "withdrawn")
RATING_CHUNK = 5000


@dataclass
class Episode:
    ticket_id: int
    request_id: int
    township_id: int
    department_id: int
    notified_at: datetime
    respond_due: datetime
    resolve_due: datetime
    on_duty_at: datetime | None = None
    done_at: datetime | None = None
    ended: str = ""  # returned | withdrawn


@dataclass
class Rates:
    name: str
    tickets: set[int] = field(default_factory=set)
    episodes: int = 0  # 件次, without withdrawn parts
    returned: int = 0  # 退单
    respond_judged: int = 0  # signed, or past the respond deadline
    responded_on_time: int = 0
    resolve_judged: int = 0  # finished, or past the resolve deadline
    done: int = 0
    done_on_time: int = 0
    ongoing: int = 0  # 进行中: not finished, within the resolve deadline
    rated: int = 0
    satisfied: int = 0
    respond_hours: list[float] = field(default_factory=list)
    done_hours: list[float] = field(default_factory=list)

    def add(self, episode: Episode, now: datetime) -> None:
        if episode.ended == "withdrawn":
            return  # taken away by 改派: not this department's work any more
        self.tickets.add(episode.ticket_id)
        self.episodes += 1
        if episode.ended == "returned":
            self.returned += 1
            return
        if episode.on_duty_at is not None:
            self.respond_judged += 1
            self.responded_on_time += episode.on_duty_at <= episode.respond_due
            self.respond_hours.append((episode.on_duty_at - episode.notified_at).total_seconds() / 3600)
        elif now > episode.respond_due:
            self.respond_judged += 1
        if episode.done_at is not None:
            self.resolve_judged += 1
            self.done += 1
            self.done_on_time += episode.done_at <= episode.resolve_due
            self.done_hours.append((episode.done_at - episode.notified_at).total_seconds() / 3600)
        elif now > episode.resolve_due:
            self.resolve_judged += 1
        else:
            self.ongoing += 1

    def add_rating(self, rating: str) -> None:
        self.rated += 1
        self.satisfied += rating in GOOD_RATINGS

    @staticmethod
    def _rate(part: int, whole: int) -> float | None:
        return part / whole if whole else None

    @property
    def ticket_count(self) -> int:
        return len(self.tickets)

    @property
    def response_rate(self) -> float | None:
        return self._rate(self.responded_on_time, self.respond_judged)

    @property
    def resolution_rate(self) -> float | None:
        return self._rate(self.done, self.resolve_judged)

    @property
    def on_time_rate(self) -> float | None:
        return self._rate(self.done_on_time, self.resolve_judged)

    @property
    def satisfaction_rate(self) -> float | None:
        return self._rate(self.satisfied, self.rated)

    @property
    def avg_respond_hours(self) -> float | None:
        return sum(self.respond_hours) / len(self.respond_hours) if self.respond_hours else None

    @property
    def avg_done_hours(self) -> float | None:
        return sum(self.done_hours) / len(self.done_hours) if self.done_hours else None


async def episodes_between(start: datetime, end: datetime, township_id: int | None = None) -> list[Episode]:
    """Episodes whose department was notified in [start, end).

    The tickets are chosen by a subquery (a year of a county is tens of thousands: more than SQLite takes
    as parameters) and the events read as plain tuples, not models: a tenth of the time on a year.
    """
    notified = TicketEvent.filter(kind="notified", at__gte=start, at__lt=end, ticket_id__not_isnull=True)
    if township_id is not None:
        notified = notified.filter(ticket__township_id=township_id)
    in_period = Subquery(notified.values("ticket_id"))
    tickets = {
        ticket_id: (request_id, township)
        for ticket_id, request_id, township in await Ticket.filter(id__in=in_period).values_list(
            "id", "request_id", "township_id"
        )
    }
    events = (
        # every event of those tickets, the kinds picked below: so SQLite walks the ticket index, not all parts' events
        await TicketEvent.filter(ticket_id__in=in_period)
        .order_by("at", "id")
        .values_list("ticket_id", "department_id", "kind", "at", "data")
    )

    def episode(ticket_id: int, department_id: int, at: datetime, data: Any, before: Episode | None) -> Episode:
        request_id, township = tickets[ticket_id]
        respond_due, resolve_due = (
            datetime.fromisoformat(data["respond_due"]),
            datetime.fromisoformat(data["resolve_due"]),
        )
        return Episode(ticket_id, request_id, township, department_id, at, respond_due, resolve_due)

    return [e for e in walk_parts(events, episode) if start <= e.notified_at < end]


class Part(Protocol):
    on_duty_at: datetime | None
    done_at: datetime | None
    ended: str


P = TypeVar("P", bound=Part)
PartEvent = tuple[int | None, int | None, str, datetime, Any]  # ticket_id, department_id, kind, at, data


def walk_parts(events: Iterable[PartEvent], begin: Callable[[int, int, datetime, Any, P | None], P]) -> list[P]:
    """Every part (件次) in events ordered by (at, id): `begin` makes one from its `notified` event (given the
    department's part before it on the same ticket, if any); its 签收, 办结 and end come from the events after."""
    found: list[P] = []
    open_: dict[tuple[int, int], P] = {}
    for ticket_id, department_id, kind, at, data in events:
        if ticket_id is None or department_id is None or kind not in PART_EVENTS:
            continue  # a part's events always name both; only a request's own events leave them empty
        key = (ticket_id, department_id)
        if kind == "notified":
            part = open_[key] = begin(ticket_id, department_id, at, data, open_.get(key))
            found.append(part)
            continue
        ongoing = open_.get(key)
        if ongoing is None:
            continue  # before the department's first `notified`: no part yet
        if kind == "on_duty" and ongoing.on_duty_at is None:
            ongoing.on_duty_at = at
        elif kind == "done" and ongoing.done_at is None:
            ongoing.done_at = at
        elif kind in ("returned", "withdrawn"):
            ongoing.ended = kind
    return found


async def ratings_of(request_ids: set[int]) -> dict[int, str]:
    """The latest rating of each request: its `rated` events, else the request's satisfaction field."""
    ratings: dict[int, str] = {}
    ids = sorted(request_ids)
    for first in range(0, len(ids), RATING_CHUNK):  # within SQLite's limit on parameters
        chunk = ids[first : first + RATING_CHUNK]
        for request_id, satisfaction in await Request.filter(id__in=chunk, satisfaction__not_isnull=True).values_list(
            "id", "satisfaction"
        ):
            ratings[request_id] = str(satisfaction)
        for request_id, data, reason in (
            await TicketEvent.filter(request_id__in=chunk, kind="rated")
            .order_by("at", "id")
            .values_list("request_id", "data", "reason")
        ):
            rating = (data or {}).get("satisfaction") or (data or {}).get("rating") or reason
            if rating and request_id is not None:  # always set: the query asked for these requests
                ratings[request_id] = str(rating)
    return ratings


async def rates(
    start: datetime, end: datetime, now: datetime, township_id: int | None = None
) -> tuple[list[Rates], list[Rates]]:
    """(per department, per township) for the parts notified in [start, end), judged as of `now`; each
    sorted by name; only those with parts in the period (a department only withdrawn is left out)."""
    episodes = await episodes_between(start, end, township_id)
    departments = {d.id: d.name for d in await Department.all()}
    townships = {a.id: a.name for a in await Area.filter(level="township")}
    by_department: dict[int, Rates] = {}
    by_township: dict[int, Rates] = {}
    for episode in episodes:
        if episode.ended == "withdrawn":
            continue
        by_department.setdefault(episode.department_id, Rates(departments.get(episode.department_id, "?"))).add(
            episode, now
        )
        by_township.setdefault(episode.township_id, Rates(townships.get(episode.township_id, "?"))).add(episode, now)
    ratings = await ratings_of({e.request_id for e in episodes})
    rated_pairs: set[tuple[str, int, int]] = set()
    for episode in episodes:
        rating = ratings.get(episode.request_id)
        if rating is None or episode.ended == "withdrawn":
            continue
        for kind, key, table in (("d", episode.department_id, by_department), ("t", episode.township_id, by_township)):
            if (kind, key, episode.request_id) not in rated_pairs:
                rated_pairs.add((kind, key, episode.request_id))
                table[key].add_rating(rating)
    return (sorted(by_department.values(), key=lambda r: r.name), sorted(by_township.values(), key=lambda r: r.name))
