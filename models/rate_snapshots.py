"""A large figure set counted a moment ago, shown again with its time (统计截至) instead of counted anew.

The county's year is ~35k parts: counting it takes a good part of a page's time on every visit. A figure
set of at least `Reuse.parts` parts is kept in rate_snapshot, one row per question (period, groupings, what
the viewer may see), and shown again while it is younger than `Reuse.seconds`; smaller sets are always
counted live, so a township's pages and every test's county are exact to the moment. A ticker recounts
the questions asked in the last hour before they grow old, so leaders rarely wait for a count. Rows are
keyed by the question's hash: processes that count the same question at once write the same figures.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise import fields as orm
from tortoise.exceptions import IntegrityError
from tortoise.models import Model

from models.rate_counts import COUNTED, CountedRates, Visible, counted_rates
from models.rate_refresh import refresh

KEPT_ASKED = timedelta(hours=1)  # a question asked within the hour is recounted by the ticker
FORGET = timedelta(days=1)  # one not asked for a day is dropped


class RateSnapshot(Model):
    """The figures of one question as counted at `counted_at` (models/rate_snapshots.py)."""

    id = orm.IntField(primary_key=True)
    key = orm.CharField(max_length=64, unique=True)
    question: orm.JSONField[dict[str, Any]] = orm.JSONField()
    figures: orm.JSONField[dict[str, Any]] = orm.JSONField()
    counted_at = orm.DatetimeField()
    asked_at = orm.DatetimeField()

    class Meta:
        table = "rate_snapshot"


@dataclass(frozen=True)
class Reuse:
    seconds: float  # 0: never reuse
    parts: int = 5000  # smaller figure sets are counted live


@dataclass(frozen=True)
class Question:
    start: datetime
    end: datetime
    groupings: tuple[str, ...]
    visible: Visible | None
    township_id: int | None
    slices: tuple[datetime, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "groupings": list(self.groupings),
            "visible": None
            if self.visible is None
            else {k: sorted(getattr(self.visible, k)) for k in ("townships", "departments", "areas")},
            "township_id": self.township_id,
            "slices": [s.isoformat() for s in self.slices],
        }

    @property
    def key(self) -> str:
        return hashlib.sha256(json.dumps(self.as_json(), sort_keys=True).encode()).hexdigest()

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Question:
        seen = data["visible"]
        return cls(
            datetime.fromisoformat(data["start"]),
            datetime.fromisoformat(data["end"]),
            tuple(data["groupings"]),
            None if seen is None else Visible(*(frozenset(seen[k]) for k in ("townships", "departments", "areas"))),
            data["township_id"],
            tuple(datetime.fromisoformat(s) for s in data["slices"]),
        )

    async def count(self, now: datetime) -> dict[str, dict[int, CountedRates]]:
        return await counted_rates(
            self.start,
            self.end,
            now,
            groupings=self.groupings,
            visible=self.visible,
            township_id=self.township_id,
            slices=list(self.slices) or None,
        )


def _encode(found: dict[str, dict[int, CountedRates]]) -> dict[str, Any]:
    return {g: {str(k): [getattr(r, n) for n in COUNTED] for k, r in table.items()} for g, table in found.items()}


def _decode(figures: dict[str, Any]) -> dict[str, dict[int, CountedRates]]:
    return {
        g: {int(k): CountedRates("", **dict(zip(COUNTED, values, strict=True))) for k, values in table.items()}
        for g, table in figures.items()
    }


def _parts(found: dict[str, dict[int, CountedRates]]) -> int:
    """How many parts were counted: every grouping splits them all, so any one's sum."""
    return sum(r.episodes for r in next(iter(found.values()), {}).values())


async def _store(question: Question, found: dict[str, dict[int, CountedRates]], now: datetime, asked: bool) -> None:
    key, figures = question.key, _encode(found)
    changes: dict[str, Any] = {"figures": figures, "counted_at": now, **({"asked_at": now} if asked else {})}
    if await RateSnapshot.filter(key=key).update(**changes):
        return
    try:
        await RateSnapshot.create(key=key, question=question.as_json(), figures=figures, counted_at=now, asked_at=now)
    except IntegrityError:
        pass  # another process counted the same question at the same moment: the same figures


async def reused_rates(
    question: Question, now: datetime, reuse: Reuse | None
) -> tuple[dict[str, dict[int, CountedRates]], datetime | None]:
    """The figures of `question` and when they were counted: None if just now, else a snapshot's time."""
    if reuse is not None and reuse.seconds > 0:
        kept = await RateSnapshot.get_or_none(key=question.key)
        if kept is not None and timedelta(0) <= now - kept.counted_at < timedelta(seconds=reuse.seconds):
            if now - kept.asked_at > KEPT_ASKED / 12:  # written now and then, not on every view
                await RateSnapshot.filter(id=kept.id).update(asked_at=now)
            return _decode(kept.figures), kept.counted_at
    found = await question.count(now)
    if reuse is not None and reuse.seconds > 0 and _parts(found) >= reuse.parts:
        await _store(question, found, now, asked=True)
    return found, None


async def tick(now: datetime, reuse: Reuse) -> int:
    """The ticker: read the new events into the parts, then recount the snapshots in use."""
    await refresh(now)
    return await recount(now, reuse) if reuse.seconds > 0 else 0


async def recount(now: datetime, reuse: Reuse) -> int:
    """Recount the questions asked within the hour that are half their age; forget old ones."""
    await RateSnapshot.filter(asked_at__lt=now - FORGET).delete()
    due = await RateSnapshot.filter(
        asked_at__gte=now - KEPT_ASKED, counted_at__lte=now - timedelta(seconds=reuse.seconds / 2)
    ).values_list("question", flat=True)
    for data in due:
        question = Question.from_json(data)  # type: ignore[arg-type]
        await _store(question, await question.count(now), now, asked=False)
    return len(due)
