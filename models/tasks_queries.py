"""Queries about practical tasks (实事): per-cadre yearly figures and unfinished tasks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from models.tasks import PracticalTask

OPEN_STATES = ("registered", "in_progress")


@dataclass(frozen=True)
class Tally:
    registered: int = 0  # not cancelled
    done: int = 0

    @property
    def open(self) -> int:
        return self.registered - self.done


async def tallies(
    year: int, cadre_ids: list[int] | None = None, *, done_by: datetime | None = None
) -> dict[int, Tally]:
    """Per cadre id: tasks registered (not cancelled) and done in `year` (done by `done_by` when given)."""
    query = PracticalTask.filter(year=year).exclude(status="cancelled")
    if cadre_ids is not None:
        query = query.filter(cadre_id__in=cadre_ids)
    counts: dict[int, list[int]] = {}
    for cadre_id, status, done_at in await query.values_list("cadre_id", "status", "done_at"):
        entry = counts.setdefault(cadre_id, [0, 0])
        entry[0] += 1
        if status == "done" and (done_by is None or done_at <= done_by):
            entry[1] += 1
    return {cadre_id: Tally(*entry) for cadre_id, entry in counts.items()}


@dataclass(frozen=True)
class YearTasks:
    """The year's tasks in one query: figures per cadre and who still has unfinished ones (as of a moment)."""

    rows: list[tuple[int, int, str, str, datetime, datetime | None]]  # cadre_id, seq, title, status, created, done

    @classmethod
    async def load(cls, year: int) -> YearTasks:
        return cls(
            await PracticalTask.filter(year=year)
            .exclude(status="cancelled")
            .order_by("cadre_id", "seq")
            .values_list("cadre_id", "seq", "title", "status", "created_at", "done_at")
        )

    def tallies(self) -> dict[int, Tally]:
        counts: dict[int, list[int]] = {}
        for cadre_id, _, _, status, _, _ in self.rows:
            entry = counts.setdefault(cadre_id, [0, 0])
            entry[0] += 1
            entry[1] += status == "done"
        return {cadre_id: Tally(*entry) for cadre_id, entry in counts.items()}

    def unfinished(self, created_by: datetime) -> dict[int, list[tuple[int, str]]]:
        """(seq, title) of each cadre's open tasks registered by `created_by`."""
        found: dict[int, list[tuple[int, str]]] = {}
        for cadre_id, seq, title, status, created_at, _ in self.rows:
            if status in OPEN_STATES and created_at <= created_by:
                found.setdefault(cadre_id, []).append((seq, title))
        return found
