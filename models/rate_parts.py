"""The rates' working copy of the event trail: each 件次 (part) once, with what never changes about it.

A part's facts — when it was notified, its deadlines, its first 签收 and 办结, how it ended — are read from
the append-only event trail by models/rate_refresh.py, which alone writes these tables; the rates
(models/rate_counts.py) then judge each part against `now` in SQL, as models/ticket_metrics.py does, without
walking the trail on every page. Ticket, township, area and the request's own rating are joined live.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise import fields
from tortoise.models import Model

from models.ticket_metrics import PartEvent, walk_parts


class RatePart(Model):
    """One department's 件次 on a ticket, as of the events read so far (rate_mark.seen_id)."""

    id = fields.BigIntField(primary_key=True)
    ticket_id = fields.IntField()
    department_id = fields.IntField()
    part_no = fields.IntField()  # 1 for the department's first `notified` on the ticket, 2 for the next …
    notified_at = fields.DatetimeField(db_index=True)
    respond_due = fields.DatetimeField(null=True)
    resolve_due = fields.DatetimeField(null=True)
    on_duty_at = fields.DatetimeField(null=True)
    done_at = fields.DatetimeField(null=True)
    ended = fields.CharField(max_length=16, default="")  # "", returned (退单) or withdrawn (改派): the last of them
    responded_on_time = fields.SmallIntField(default=0)  # 1: signed by the respond deadline
    done_on_time = fields.SmallIntField(default=0)  # 1: finished by the resolve deadline
    respond_hours = fields.FloatField(null=True)
    done_hours = fields.FloatField(null=True)

    class Meta:
        table = "rate_part"
        unique_together = (("ticket_id", "department_id", "part_no"),)


class RateRating(Model):
    """A request's latest rating in its `rated` events (the request's own field is joined live beside it)."""

    id = fields.IntField(primary_key=True)
    request_id = fields.IntField(unique=True)
    rating = fields.CharField(max_length=64)

    class Meta:
        table = "rate_rating"


class RateMark(Model):
    """How far the trail has been read: every event up to `seen_id` except `gaps` (ids not yet committed)."""

    id = fields.IntField(primary_key=True)
    seen_id = fields.BigIntField(default=0)
    gaps: fields.JSONField[list[Any]] = fields.JSONField(default=list)  # [[event id, first missed at], …]

    class Meta:
        table = "rate_mark"


@dataclass
class PartFacts:
    ticket_id: int
    department_id: int
    part_no: int
    notified_at: datetime
    respond_due: datetime | None
    resolve_due: datetime | None
    on_duty_at: datetime | None = None
    done_at: datetime | None = None
    ended: str = ""

    def row(self) -> RatePart:
        def hours(at: datetime | None) -> float | None:
            return None if at is None else (at - self.notified_at).total_seconds() / 3600

        return RatePart(
            ticket_id=self.ticket_id,
            department_id=self.department_id,
            part_no=self.part_no,
            notified_at=self.notified_at,
            respond_due=self.respond_due,
            resolve_due=self.resolve_due,
            on_duty_at=self.on_duty_at,
            done_at=self.done_at,
            ended=self.ended,
            responded_on_time=int(_by(self.on_duty_at, self.respond_due)),
            done_on_time=int(_by(self.done_at, self.resolve_due)),
            respond_hours=hours(self.on_duty_at),
            done_hours=hours(self.done_at),
        )


def _by(at: datetime | None, due: datetime | None) -> bool:
    return at is not None and due is not None and at <= due


def _due(data: Any, key: str) -> datetime | None:
    value = data.get(key) if isinstance(data, dict) else None
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def parts_of(events: list[PartEvent]) -> list[PartFacts]:
    """Every part in (ticket_id, department_id, kind, at, data) events, ordered by (at, id): the walk of
    models/ticket_metrics.episodes_between, over whole tickets and without a period."""

    def part(ticket_id: int, department_id: int, at: datetime, data: Any, before: PartFacts | None) -> PartFacts:
        number = before.part_no + 1 if before is not None else 1
        return PartFacts(ticket_id, department_id, number, at, _due(data, "respond_due"), _due(data, "resolve_due"))

    return walk_parts(events, part)


def rating_in(data: Any, reason: str) -> str | None:
    """The rating a `rated` event carries, as ticket_metrics.ratings_of reads it."""
    data = data if isinstance(data, dict) else {}
    rating = data.get("satisfaction") or data.get("rating") or reason
    return str(rating) if rating else None
