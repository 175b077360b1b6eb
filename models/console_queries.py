"""The leaders' console's questions, each within a person's scope (models/console_scope.py).

Lists are filtered and paged in SQL; the area tree is held in memory (a county has a few thousand areas)
so "in this township" becomes a list of area ids. The rates come from models/ticket_metrics.py, the one
definition of 响应率, 解决率, 按时办结率 and 满意率, counted in the database by models/rate_counts.py.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from tortoise.expressions import Q, Subquery
from tortoise.functions import Count
from tortoise.queryset import QuerySet

from models.area_tree import AreaTree
from models.areas import Area, Department
from models.console_scope import Scope
from models.people import Household
from models.rate_counts import CountedRates, Visible
from models.rate_snapshots import Question, Reuse, reused_rates
from models.request_states import OPEN_STATES
from models.requests import Attachment, Request
from models.resolution_shares import Resolution, where_resolved
from models.ticket_metrics import Rates, ratings_of
from models.tickets import Assignment, Ticket, TicketEvent

PAGE_SIZE = 50


CHUNK = 5000  # ids per IN (…): well within SQLite's limit on parameters


def chunks(ids: list[int]) -> list[list[int]]:
    return [ids[first : first + CHUNK] for first in range(0, len(ids), CHUNK)]


def descendants(tree: AreaTree, roots: set[int]) -> set[int]:
    """The roots and every area below them."""
    children: dict[int, list[int]] = {}
    for area in tree.areas.values():
        if area.parent_id is not None:
            children.setdefault(area.parent_id, []).append(area.id)
    found, stack = set(), list(roots)
    while stack:
        area_id = stack.pop()
        if area_id in found:
            continue
        found.add(area_id)
        stack.extend(children.get(area_id, ()))
    return found


def _tickets_of_departments(department_ids: set[int]) -> Subquery:
    return Subquery(Assignment.filter(department_id__in=sorted(department_ids)).values("ticket__request_id"))


def scoped_requests(scope: Scope, tree: AreaTree) -> QuerySet[Request]:
    """Every request the person may see."""
    query = Request.all()
    if scope.county:
        return query
    condition = Q(id=-1)  # nothing, unless a role below adds something
    if scope.area_roots():
        condition |= Q(area_id__in=sorted(descendants(tree, scope.area_roots())))
    if scope.departments:
        condition |= Q(id__in=_tickets_of_departments(set(scope.departments)))
    return query.filter(condition)


@dataclass(frozen=True)
class Filters:
    township: int | None = None
    village: int | None = None
    department: int | None = None
    status: str = ""
    urgency: str = ""
    start: datetime | None = None
    end: datetime | None = None
    overdue: bool = False
    words: str = ""


def filtered_requests(scope: Scope, tree: AreaTree, filters: Filters, now: datetime) -> QuerySet[Request]:
    query = scoped_requests(scope, tree)
    place = filters.village or filters.township
    if place:
        query = query.filter(area_id__in=sorted(descendants(tree, {place})))
    if filters.department:
        query = query.filter(id__in=_tickets_of_departments({filters.department}))
    if filters.status == "open":
        query = query.filter(status__in=list(OPEN_STATES))
    elif filters.status:
        query = query.filter(status=filters.status)
    if filters.urgency:
        query = query.filter(urgency=filters.urgency)
    if filters.start:
        query = query.filter(created_at__gte=filters.start)
    if filters.end:
        query = query.filter(created_at__lt=filters.end)
    if filters.overdue:
        query = query.filter(id__in=Subquery(overdue_tickets(now).values("request_id")))
    words = filters.words.strip().lstrip("#＃")
    if words.isdigit():
        number = int(words)
        query = query.filter(Q(number=number) | Q(id__in=Subquery(Ticket.filter(number=number).values("request_id"))))
    elif words:
        query = query.filter(text__icontains=words)
    return query


def overdue_tickets(now: datetime) -> QuerySet[Ticket]:
    """Tickets still open past their resolve deadline."""
    return Ticket.filter(status="open", resolve_due__lt=now)


@dataclass
class TicketBrief:
    number: int
    status: str
    urgency: str
    departments: list[str]
    resolve_due: datetime | None
    overdue: bool


@dataclass
class RequestRow:
    number: int
    text: str
    status: str
    urgency: str
    created_at: datetime
    township: str
    village: str
    tickets: list[TicketBrief] = field(default_factory=list)

    @property
    def overdue(self) -> bool:
        return any(t.overdue for t in self.tickets)

    @property
    def departments(self) -> str:
        return "、".join(dict.fromkeys(d for t in self.tickets for d in t.departments))


async def request_rows(
    query: QuerySet[Request], tree: AreaTree, now: datetime, *, offset: int = 0, limit: int | None = PAGE_SIZE
) -> list[RequestRow]:
    """One page of requests, newest first, with their tickets and departments (three queries a page)."""
    ordered = query.order_by("-created_at", "-id").offset(offset)
    if limit is not None:
        ordered = ordered.limit(limit)
    requests = await ordered
    ids = [r.id for r in requests]
    tickets: list[Ticket] = []
    for chunk in chunks(ids):  # an export holds every row: within SQLite's limit on parameters
        tickets += await Ticket.filter(request_id__in=chunk).order_by("id")
    names = {d.id: d.name for d in await Department.all()}
    parts: dict[int, list[str]] = {}
    for chunk in chunks([t.id for t in tickets]):
        for ticket_id, department_id in (
            await Assignment.filter(ticket_id__in=chunk)
            .order_by("-is_primary", "id")
            .values_list("ticket_id", "department_id")
        ):
            parts.setdefault(ticket_id, []).append(names.get(department_id, "?"))
    by_request: dict[int, list[TicketBrief]] = {}
    for ticket in tickets:
        by_request.setdefault(ticket.request_id, []).append(
            TicketBrief(
                ticket.number,
                ticket.status,
                ticket.urgency,
                parts.get(ticket.id, []),
                ticket.resolve_due,
                ticket.status == "open" and ticket.resolve_due is not None and ticket.resolve_due < now,
            )
        )
    rows = []
    for request in requests:
        township, village = tree.township_of(request.area_id), tree.village_of(request.area_id)
        rows.append(
            RequestRow(
                request.number,
                request.text,
                request.status,
                request.urgency,
                request.created_at,
                township.name if township else "",
                village.name if village else "",
                by_request.get(request.id, []),
            )
        )
    return rows


# -- 总览 ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Counts:
    new_today: int
    open: int
    overdue: int
    urgent_open: int


async def overview_counts(scope: Scope, tree: AreaTree, now: datetime, day_start: datetime) -> Counts:
    base = scoped_requests(scope, tree)
    open_ = base.filter(status__in=list(OPEN_STATES))
    return Counts(
        new_today=await base.filter(created_at__gte=day_start).count(),
        open=await open_.count(),
        overdue=await base.filter(id__in=Subquery(overdue_tickets(now).values("request_id"))).count(),
        urgent_open=await open_.filter(urgency="urgent").count(),
    )


@dataclass
class ScopedRates:
    """The rates of the 件次 notified in a period that the person may see, per grouping asked for."""

    overall: Rates
    departments: dict[int, Rates]
    townships: dict[int, Rates]
    villages: dict[int, Rates]  # by the village of each part's request
    slices: list[Rates]  # equal slices of the period, by when each part was notified
    as_of: datetime | None = None  # when a large figure set shown again was counted (None: just now)


async def scoped_rates(
    scope: Scope,
    tree: AreaTree,
    start: datetime,
    end: datetime,
    now: datetime,
    *,
    groupings: tuple[str, ...] = ("all", "department"),
    buckets: int = 0,
    reuse: Reuse | None = None,
) -> ScopedRates:
    """Counted in the database (models/rate_counts.py), the definition of models/ticket_metrics.py; a request's
    rating once per group. `groupings` of "all", "department", "township", "village", "slice" (with `buckets`);
    `reuse`: a large figure set counted a moment ago may be shown again (models/rate_snapshots.py)."""
    township = (
        next(iter(scope.townships))
        if not scope.county and len(scope.townships) == 1 and not scope.villages and not scope.departments
        else None
    )
    visible = (
        None
        if scope.county
        else Visible(scope.townships, scope.departments, frozenset(descendants(tree, set(scope.villages))))
    )
    width = (end - start) / buckets if buckets else end - start
    asked = {"village": "area"}
    question = Question(
        start,
        end,
        tuple(asked.get(g, g) for g in groupings),
        visible,
        township,
        tuple(start + width * index for index in range(buckets)) if buckets else (),
    )
    counted, as_of = await reused_rates(question, now, reuse)
    names = {a.id: a.name for a in tree.areas.values()}
    department_names_ = await department_names() if "department" in groupings else {}
    villages: dict[int, Rates] = {}
    for area_id, rates in counted.get("area", {}).items():
        village = tree.village_of(area_id)
        if village is not None:
            kept = villages.setdefault(village.id, CountedRates(village.name))
            assert isinstance(kept, CountedRates)
            kept.merge(rates)
    for key, rates in counted.get("department", {}).items():
        rates.name = department_names_.get(key, "?")
    for key, rates in counted.get("township", {}).items():
        rates.name = names.get(key, "?")
    overall = counted.get("all", {}).get(0) or CountedRates("全部")
    overall.name = "全部"
    slices = counted.get("slice", {})
    return ScopedRates(
        overall,
        dict(counted.get("department", {})),
        dict(counted.get("township", {})),
        villages,
        [slices.get(index) or CountedRates("") for index in range(buckets)],
        as_of,
    )


@dataclass(frozen=True)
class TrendPoint:
    label: str
    rates: Rates


def trend(data: ScopedRates, start: datetime, end: datetime) -> list[TrendPoint]:
    """The overall rates in the equal slices of [start, end) asked for, labelled by each slice's first day."""
    width = (end - start) / len(data.slices) if data.slices else end - start
    points = []
    for index, rates in enumerate(data.slices):
        slice_start = start + width * index
        points.append(TrendPoint(f"{slice_start.month}/{slice_start.day}", rates))
    return points


def worst(rows: list[Rates], count: int = 5) -> list[Rates]:
    """Lowest 解决率 first (then 响应率); groups with nothing judged yet last."""

    def key(r: Rates) -> tuple[int, float, float]:
        if r.resolution_rate is None and r.response_rate is None:
            return (1, 0.0, 0.0)
        return (0, r.resolution_rate if r.resolution_rate is not None else 1.0, r.response_rate or 0.0)

    return sorted(rows, key=key)[:count]


def worst_with_keys(table: dict[int, Rates], count: int = 5) -> list[tuple[int, Rates]]:
    """`worst` of a table, each row with its key (a department's or a village's id: its rows link to the list)."""
    keys = {id(rates): key for key, rates in table.items()}
    return [(keys[id(rates)], rates) for rates in worst(list(table.values()), count)]


async def department_names() -> dict[int, str]:
    return {d.id: d.name for d in await Department.all()}


# -- 乡镇/村 ------------------------------------------------------------------------------------


@dataclass
class AreaFigures:
    area: Area
    township: str
    households: int = 0
    requests: int = 0
    resolution: Resolution | None = None
    rates: Rates | None = None

    @property
    def per_hundred(self) -> float | None:
        return 100 * self.requests / self.households if self.households else None

    @property
    def grid_share(self) -> float | None:
        """不出网格: resolved by the grid, of the matters resolved."""
        return self.resolution.grid_share if self.resolution else None

    @property
    def village_share(self) -> float | None:
        """不出村: resolved by the grid or the village (no county department), of the matters resolved."""
        if self.resolution is None or not self.resolution.resolved:
            return None
        return (self.resolution.grid + self.resolution.village) / self.resolution.resolved


async def area_figures(
    scope: Scope, tree: AreaTree, data: ScopedRates, now: datetime, start: datetime, end: datetime, level: str
) -> list[AreaFigures]:
    """Per village (or township) in scope: households, requests of the period, requests per 100 households,
    the shares of the matters resolved in the period that the grid resolved and that never left the village, and the rates of the parts notified in the period (by the
    village of the part's request, or the ticket's township: `data` asked for "village" or "township")."""
    roots = None if scope.county else descendants(tree, scope.area_roots())
    groups = {
        a.id: AreaFigures(a, (tree.township_of(a.id) or a).name)
        for a in tree.areas.values()
        if a.level == level and (roots is None or a.id in roots)
    }

    def group_of(area_id: int | None) -> int | None:
        found = tree.ancestor(area_id, level)
        return found.id if found is not None and found.id in groups else None

    for grid_id, count in await Household.all().group_by("grid_id").annotate(n=Count("id")).values_list("grid_id", "n"):
        group = group_of(grid_id)
        if group is not None:
            groups[group].households += count
    for area_id, count in (
        await Request.filter(created_at__gte=start, created_at__lt=end)
        .group_by("area_id")
        .annotate(n=Count("id"))
        .values_list("area_id", "n")
    ):
        group = group_of(area_id)
        if group is not None:
            groups[group].requests += count
    # 不出网格 and 不出村: where the matters resolved in the period were resolved (models/resolution_shares.py)
    for resolution in await where_resolved(start, end, now):
        if resolution.level == level and resolution.area_id in groups:
            groups[resolution.area_id].resolution = resolution
    for key, value in (data.villages if level == "village" else data.townships).items():
        if key in groups:
            value.name = groups[key].area.name
            groups[key].rates = value
    return sorted(groups.values(), key=lambda f: (f.township, f.area.code))


# -- one request in full ------------------------------------------------------------------------


@dataclass
class Detail:
    request: Request
    township: str
    village: str
    place: str
    tickets: list[Ticket]
    parts: dict[int, list[Assignment]]
    events: list[TicketEvent]
    actors: dict[int, str]
    departments: dict[int, str]
    attachments: list[Attachment]
    rating: str | None


async def request_by_number(number: int) -> Request | None:
    """#N as a request number, or a ticket number (its request)."""
    request = await Request.get_or_none(number=number)
    if request is None:
        ticket = await Ticket.get_or_none(number=number)
        if ticket is not None:
            request = await Request.get(id=ticket.request_id)
    return request


async def request_visible(scope: Scope, tree: AreaTree, request: Request) -> bool:
    if scope.county or scope.sees_area(tree, request.area_id):
        return True
    if scope.departments:
        return await Assignment.filter(
            ticket__request_id=request.id, department_id__in=sorted(scope.departments)
        ).exists()
    return False


async def request_detail(request: Request, tree: AreaTree) -> Detail:
    from models.people import Person

    tickets = await Ticket.filter(request_id=request.id).order_by("id")
    parts: dict[int, list[Assignment]] = {}
    for part in await Assignment.filter(ticket_id__in=[t.id for t in tickets]).order_by("-is_primary", "id"):
        parts.setdefault(part.ticket_id, []).append(part)
    events = await TicketEvent.filter(request_id=request.id).order_by("at", "id")
    actor_ids = {e.actor_id for e in events if e.actor_id}
    actors = {p.id: p.name for p in await Person.filter(id__in=sorted(actor_ids))} if actor_ids else {}
    ratings = await ratings_of({request.id})
    township, village = tree.township_of(request.area_id), tree.village_of(request.area_id)
    place = "".join(a.name for a in reversed(_chain(tree, request.area_id)) if a.level in ("village", "hamlet", "grid"))
    return Detail(
        request,
        township.name if township else "",
        village.name if village else "",
        place,
        tickets,
        parts,
        events,
        actors,
        await department_names(),
        await Attachment.filter(request_id=request.id).order_by("id"),
        ratings.get(request.id),
    )


def _chain(tree: AreaTree, area_id: int | None) -> list[Area]:
    chain = []
    area = tree.get(area_id)
    while area is not None:
        chain.append(area)
        area = tree.get(area.parent_id)
    return chain


def status_counts(rows: list[RequestRow]) -> Counter[str]:
    return Counter(r.status for r in rows)


def period_bounds(now: datetime, days: int) -> tuple[datetime, datetime]:
    """[start of the day `days - 1` days ago, start of tomorrow): whole days, in the clock's time zone."""
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return today - timedelta(days=days - 1), today + timedelta(days=1)
