"""Keeping the rates' working copy (models/rate_parts.py) up with the event trail.

`refresh(now)` reads the events not read yet and rewrites the parts of the tickets they touch and the ratings
of the requests they rate. The rates call it before they count (a top-up: usually a handful of events) and a
ticker calls it every minute, so a page rarely waits for more than the last minute's events.

Events are read by id above rate_mark.seen_id. On PostgreSQL an id is taken at insert but seen at commit,
so an id below one already read may still come: the ids missing below the newest read are kept in
rate_mark.gaps and read again on every refresh until they come, or until GAP_SECONDS have passed or
GAP_SPAN newer ids were read (a rolled-back insert leaves its id unused for ever). A refresh writes
everything, the mark included, in one transaction, one process at a time (an advisory lock on PostgreSQL;
on SQLite the one connection's transaction); and a part is rewritten whole from its ticket's trail, so an
event read twice is never counted twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from models.locks import lock_key
from models.rate_parts import RateMark, RatePart, RateRating, parts_of, rating_in
from models.ticket_metrics import PART_EVENTS
from models.tickets import TicketEvent

GAP_SECONDS = 3600  # an insert not committed within the hour was rolled back
GAP_SPAN = 10_000  # nor one with ten thousand newer events read after it
CHUNK = 5000  # ids per IN (…): within SQLite's limit on parameters
LOCK = "gridwhistle.rate_refresh"
ANALYZE_AFTER = 20_000  # events read at once


def _unread(mark: RateMark | None) -> Q:
    seen = mark.seen_id if mark else 0
    gaps = [int(gap[0]) for gap in mark.gaps] if mark else []
    return Q(id__gt=seen) | Q(id__in=gaps) if gaps else Q(id__gt=seen)


async def refresh(now: datetime) -> int:
    """Read the events not read yet into the parts and ratings; returns how many were read."""
    if not await TicketEvent.filter(_unread(await RateMark.get_or_none(id=1))).exists():
        return 0  # the usual case on a page: nothing new since the last refresh, and no lock taken
    async with in_transaction() as connection:
        if connection.capabilities.dialect == "postgres":
            await connection.execute_query("SELECT pg_advisory_xact_lock($1)", [lock_key(LOCK)])
        mark = await RateMark.get_or_none(id=1, using_db=connection) or await RateMark.create(id=1, using_db=connection)
        new = (
            await TicketEvent.filter(_unread(mark))
            .using_db(connection)
            .values_list("id", "ticket_id", "department_id", "request_id", "kind")
        )
        if not new:
            return 0  # another process read them while this one waited for the lock
        tickets = {t for _, t, d, _, kind in new if t is not None and d is not None and kind in PART_EVENTS}
        requests = {r for _, _, _, r, kind in new if r is not None and kind == "rated"}
        await _rewrite_parts(connection, sorted(tickets))
        await _rewrite_ratings(connection, sorted(requests))
        mark.gaps, mark.seen_id = _gaps(mark, {row[0] for row in new}, now)
        await mark.save(using_db=connection)
        if len(new) > ANALYZE_AFTER and connection.capabilities.dialect == "postgres":
            # a first read of a whole trail: the planner learns the new rows now, not when autovacuum comes
            await connection.execute_script("ANALYZE rate_part; ANALYZE rate_rating")
    return len(new)


def _gaps(mark: RateMark, read: set[int], now: datetime) -> tuple[list[Any], int]:
    """The ids still missing below the newest read, each with when it was first missed; the new seen_id."""
    newest = max(mark.seen_id, *read)
    kept = [
        [gap_id, missed]
        for gap_id, missed in mark.gaps
        if gap_id not in read
        and gap_id > newest - GAP_SPAN
        and (now - datetime.fromisoformat(missed)).total_seconds() < GAP_SECONDS
    ]
    first = max(mark.seen_id, newest - GAP_SPAN) + 1
    kept += [[gap_id, now.isoformat()] for gap_id in range(first, newest) if gap_id not in read]
    return kept, newest


async def _rewrite_parts(connection: Any, tickets: list[int]) -> None:
    for first in range(0, len(tickets), CHUNK):
        chunk = tickets[first : first + CHUNK]
        events = (
            await TicketEvent.filter(ticket_id__in=chunk, kind__in=PART_EVENTS, department_id__not_isnull=True)
            .using_db(connection)
            .order_by("at", "id")
            .values_list("ticket_id", "department_id", "kind", "at", "data")
        )
        await RatePart.filter(ticket_id__in=chunk).using_db(connection).delete()
        rows = [part.row() for part in parts_of(events)]
        await RatePart.bulk_create(rows, batch_size=1000, using_db=connection)


async def _rewrite_ratings(connection: Any, requests: list[int]) -> None:
    for first in range(0, len(requests), CHUNK):
        chunk = requests[first : first + CHUNK]
        latest: dict[int, str] = {}
        for request_id, data, reason in (
            await TicketEvent.filter(request_id__in=chunk, kind="rated")
            .using_db(connection)
            .order_by("at", "id")
            .values_list("request_id", "data", "reason")
        ):
            rating = rating_in(data, reason)
            if rating is not None:
                latest[request_id] = rating
        await RateRating.filter(request_id__in=chunk).using_db(connection).delete()
        rows = [RateRating(request_id=request_id, rating=rating) for request_id, rating in latest.items()]
        await RateRating.bulk_create(rows, batch_size=1000, using_db=connection)
