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


async def tallies(year: int, cadre_ids: list[int] | None = None, *, done_by: datetime | None = None) -> dict[int, Tally]:
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


async def open_tasks(year: int, created_by: datetime) -> dict[int, list[PracticalTask]]:
    """Unfinished tasks per cadre id that were registered by `created_by`."""
    found: dict[int, list[PracticalTask]] = {}
    tasks = await PracticalTask.filter(year=year, status__in=OPEN_STATES, created_at__lte=created_by).order_by("cadre_id", "seq")
    for task in tasks:
        found.setdefault(task.cadre_id, []).append(task)  # type: ignore[attr-defined]
    return found
