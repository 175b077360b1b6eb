"""The four rates of models/ticket_metrics.py counted by the database: the same definition, one query.

ticket_metrics walks every event of the period's tickets in Python (a county's year is ~130k rows, seconds).
Here each 件次 (part) is a row of rate_part, kept from the event trail by models/rate_refresh.py (topped up
before every count): when it was notified, its deadlines, its first 签收 and 办结, how it ended (退单 counted,
改派 left out), and whether it was signed and finished in time. A part is judged against `now` here, as
ticket_metrics' Rates.add does, because that is what changes as time passes: an unsigned part notified last
month is judged once its deadline passes today. The latest rating of each request (rate_rating, else the
request's own field) is joined once. Then one GROUP BY per grouping asked for (all, department, township, the
request's area, a time slice), with the ticket and rated-request counts DISTINCT within each group, so a
request's rating counts once per group as before (tests/models/test_rate_counts.py compares both ways).

Why parts and not per-day sums: a finished day's figures are not final (a part is signed, finished or rated
later, or passes its deadline later), while a part's facts are only ever completed by later events, which
the refresh reads. The year's parts are ~35k rows: one range scan and a hash join or two.

On SQLite the deadlines are compared with `now` through julianday(), to the millisecond; on PostgreSQL exactly.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise import connections
from tortoise.transactions import in_transaction

from models.rate_refresh import refresh
from models.ticket_metrics import GOOD_RATINGS, Rates

GROUPINGS = ("all", "department", "township", "area", "slice")
COUNTED = (
    "episodes",
    "returned",
    "respond_judged",
    "responded_on_time",
    "resolve_judged",
    "done",
    "done_on_time",
    "ongoing",
    "rated",
    "satisfied",
    "counted_tickets",
    "respond_hours_sum",
    "respond_hours_count",
    "done_hours_sum",
    "done_hours_count",
)  # what a CountedRates holds: every one a sum over parts or requests


@dataclass
class CountedRates(Rates):
    """Rates whose ticket count and hour sums came counted, not as sets and lists."""

    counted_tickets: int = 0
    respond_hours_sum: float = 0.0
    respond_hours_count: int = 0
    done_hours_sum: float = 0.0
    done_hours_count: int = 0

    @property
    def ticket_count(self) -> int:
        return self.counted_tickets

    @property
    def avg_respond_hours(self) -> float | None:
        return self.respond_hours_sum / self.respond_hours_count if self.respond_hours_count else None

    @property
    def avg_done_hours(self) -> float | None:
        return self.done_hours_sum / self.done_hours_count if self.done_hours_count else None

    def merge(self, other: CountedRates) -> None:
        """Add a group that shares no ticket and no request with this one (areas of one village)."""
        for name in COUNTED:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass(frozen=True)
class Visible:
    """The parts a person may see: the ticket's township, the part's department or the request's area is theirs."""

    townships: frozenset[int] = frozenset()
    departments: frozenset[int] = frozenset()
    areas: frozenset[int] = frozenset()


class _Sql:
    """The few places SQLite and PostgreSQL differ."""

    def __init__(self, dialect: str) -> None:
        self.postgres = dialect == "postgres"

    def param(self, value: datetime) -> str:
        """A moment as a literal: made here from a datetime, never from anyone's input."""
        text = f"'{value.isoformat(' ')}'"  # as the ORM writes and compares them on SQLite
        return f"CAST({text} AS timestamptz)" if self.postgres else text

    def ids(self, values: Iterable[int]) -> str:
        return ", ".join(str(int(v)) for v in sorted(values)) or "NULL"

    def moment(self, expression: str) -> str:
        """A moment comparable with the deadlines."""
        return expression if self.postgres else f"julianday({expression})"


# the planner cannot estimate rows out of the CTE: hash joins and in-memory sorts, for the rates query only
PG_SETTINGS = "SET LOCAL enable_nestloop = off; SET LOCAL work_mem = '32MB'"


def _flag(condition: str) -> str:
    return f"CASE WHEN {condition} THEN 1 ELSE 0 END"


def _query(
    sql: _Sql,
    start: datetime,
    end: datetime,
    now: datetime,
    visible: Visible | None,
    township_id: int | None,
    slices: list[datetime],
    groupings: Iterable[str],
) -> str:
    start_p, end_p = sql.param(start), sql.param(end)
    now_m = sql.moment(sql.param(now))
    in_township = f"AND t.township_id = {int(township_id)}" if township_id else ""
    # a slice is the number of slice starts at or before the part's notification, as int((at - start) / width)
    slice_of = " + ".join(_flag(f"p.notified_at >= {sql.param(s)}") for s in slices[1:]) or "0"
    seen = ""
    if visible is not None:
        seen = (
            f"AND (t.township_id IN ({sql.ids(visible.townships)}) OR p.department_id IN ({sql.ids(visible.departments)})"
            f" OR r.area_id IN ({sql.ids(visible.areas)}))"
        )
    live = "p.ended = ''"
    materialized = "MATERIALIZED"  # read by several GROUP BYs: made once
    good = ", ".join(f"'{r}'" for r in GOOD_RATINGS)
    columns = f"""COUNT(*), COUNT(DISTINCT ticket_id), SUM(returned), SUM(respond_judged), SUM(responded_on_time),
        SUM(resolve_judged), SUM(done), SUM(done_on_time), SUM(ongoing),
        SUM(respond_hours), COUNT(respond_hours), SUM(done_hours), COUNT(done_hours),
        COUNT(DISTINCT CASE WHEN rating IS NOT NULL THEN request_id END),
        COUNT(DISTINCT CASE WHEN rating IN ({good}) THEN request_id END)"""
    keys = {
        "all": "0",
        "department": "department_id",
        "township": "township_id",
        "area": "area_id",
        "slice": "slice",
    }
    selects = [
        f"SELECT '{g}' AS grouping, {keys[g]} AS k, {columns} FROM judged GROUP BY {keys[g]}"
        if g != "all"
        else f"SELECT 'all' AS grouping, 0 AS k, {columns} FROM judged"
        for g in groupings
    ]
    return f"""
WITH judged AS {materialized} (
    SELECT p.ticket_id, t.request_id, p.department_id, t.township_id, r.area_id,
        COALESCE(ra.rating, r.satisfaction) AS rating,
        {slice_of} AS slice,
        {_flag("p.ended = 'returned'")} AS returned,
        {_flag(f"{live} AND (p.on_duty_at IS NOT NULL OR {now_m} > {sql.moment('p.respond_due')})")} AS respond_judged,
        {_flag(f"{live} AND p.responded_on_time = 1")} AS responded_on_time,
        {_flag(f"{live} AND (p.done_at IS NOT NULL OR {now_m} > {sql.moment('p.resolve_due')})")} AS resolve_judged,
        {_flag(f"{live} AND p.done_at IS NOT NULL")} AS done,
        {_flag(f"{live} AND p.done_on_time = 1")} AS done_on_time,
        {_flag(f"{live} AND p.done_at IS NULL AND NOT ({now_m} > {sql.moment('p.resolve_due')})")} AS ongoing,
        CASE WHEN {live} THEN p.respond_hours END AS respond_hours,
        CASE WHEN {live} THEN p.done_hours END AS done_hours
    FROM rate_part p JOIN ticket t ON t.id = p.ticket_id JOIN request r ON r.id = t.request_id
        LEFT JOIN rate_rating ra ON ra.request_id = t.request_id
    WHERE p.notified_at >= {start_p} AND p.notified_at < {end_p} AND p.ended <> 'withdrawn' {in_township} {seen}
)
{" UNION ALL ".join(selects)}
"""


def _rates(row: Any) -> CountedRates:
    values = [row[i] for i in range(2, 17)]
    (episodes, tickets, returned, respond_judged, on_time_sign, resolve_judged, done, done_on_time, ongoing) = (
        int(v or 0) for v in values[:9]
    )
    return CountedRates(
        "",
        episodes=episodes,
        returned=returned,
        respond_judged=respond_judged,
        responded_on_time=on_time_sign,
        resolve_judged=resolve_judged,
        done=done,
        done_on_time=done_on_time,
        ongoing=ongoing,
        rated=int(values[13] or 0),
        satisfied=int(values[14] or 0),
        counted_tickets=tickets,
        respond_hours_sum=float(values[9] or 0),
        respond_hours_count=int(values[10] or 0),
        done_hours_sum=float(values[11] or 0),
        done_hours_count=int(values[12] or 0),
    )


async def counted_rates(
    start: datetime,
    end: datetime,
    now: datetime,
    *,
    groupings: Iterable[str] = GROUPINGS,
    visible: Visible | None = None,
    township_id: int | None = None,
    slices: list[datetime] | None = None,
) -> dict[str, dict[int, CountedRates]]:
    """The parts notified in [start, end) that `visible` lets through (None: all), judged as of `now`, counted per
    grouping: "all" (key 0), "department", "township" (the ticket's), "area" (the request's area: sum them into a
    village with merge), "slice" (the index of the last of `slices` at or before the notification; slices[0] is
    `start`). `township_id` only narrows which tickets are read (a township's own pages). Unnamed groups."""
    wanted = [g for g in GROUPINGS if g in set(groupings) and (g != "slice" or slices)]
    if not wanted:
        return {}
    await refresh(now)  # the events since the last refresh (the ticker's, or another page's): usually a handful
    connection = connections.get("default")
    sql = _Sql(connection.capabilities.dialect)
    text = _query(sql, start, end, now, visible, township_id, slices or [start], wanted)
    if not sql.postgres and sqlite3.sqlite_version_info < (3, 35, 0):
        text = text.replace(" MATERIALIZED", "")  # the hint came with SQLite 3.35; without it the same answer
    if sql.postgres:
        async with in_transaction() as transaction:
            # the planner cannot estimate rows coming out of the window and CTEs; left to itself it may re-run
            # the ratings for every part (a nested loop: a minute for a township's year). Hash joins and an
            # in-memory sort, for this query only.
            await transaction.execute_script(PG_SETTINGS)
            _, rows = await transaction.execute_query(text)
    else:
        _, rows = await connection.execute_query(text)
    found: dict[str, dict[int, CountedRates]] = {g: {} for g in wanted}
    for row in rows:
        found[row[0]][int(row[1]) if row[1] is not None else -1] = _rates(row)
    return found
