"""Practical tasks (实事): numbering per cadre and year, state changes, and the yearly figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from config.errors import UserError
from config.policy import TasksPolicy
from models import Area, Household, Person, PracticalTask, Request
from models.tasks_queries import OPEN_STATES, Tally, tallies  # noqa: F401  (re-exported for handlers)


@dataclass(frozen=True)
class Quota:
    low: int
    high: int

    @classmethod
    def from_policy(cls, section: TasksPolicy) -> Quota:
        return cls(section.quota_min, section.quota_max)

    def __str__(self) -> str:
        return f"{self.low}–{self.high}" if self.high != self.low else str(self.low)


async def register(
    cadre: Person,
    *,
    year: int,
    title: str,
    now: datetime,
    description: str = "",
    household: Household | None = None,
    area: Area | None = None,
    request: Request | None = None,
) -> PracticalTask:
    """The cadre's next number for the year; a concurrent registration retries with the following one."""
    for _ in range(5):
        last = await PracticalTask.filter(cadre=cadre, year=year).order_by("-seq").first()
        try:
            async with in_transaction():  # a savepoint, so a lost race leaves the outer transaction usable
                return await PracticalTask.create(
                    cadre=cadre,
                    year=year,
                    seq=(last.seq if last else 0) + 1,
                    title=title[:128],
                    description=description,
                    household=household,
                    area=area,
                    request=request,
                    created_at=now,
                )
        except IntegrityError:
            continue
    raise RuntimeError("could not number a practical task after 5 tries")


async def find(cadre: Person, year: int, seq: int) -> PracticalTask:
    task = await PracticalTask.get_or_none(cadre=cadre, year=year, seq=seq)
    if task is None:
        raise UserError("tasks.not_found", seq=seq)
    return task


def require_open(task: PracticalTask) -> None:
    if task.status == "done":
        raise UserError("tasks.already_done", seq=task.seq)
    if task.status == "cancelled":
        raise UserError("tasks.already_cancelled", seq=task.seq)


async def add_progress(task: PracticalTask, text: str, now: datetime) -> None:
    require_open(task)
    task.progress = [*task.progress, {"at": now.isoformat(), "text": text}]
    task.status = "in_progress"
    await task.save(update_fields=["progress", "status"])


async def finish(task: PracticalTask, result: str, now: datetime) -> None:
    require_open(task)
    task.status, task.result, task.done_at = "done", result, now
    await task.save(update_fields=["status", "result", "done_at"])


async def cancel(task: PracticalTask, reason: str, now: datetime) -> None:
    require_open(task)
    task.status, task.cancel_reason = "cancelled", reason
    task.progress = [*task.progress, {"at": now.isoformat(), "cancelled": reason}]
    await task.save(update_fields=["status", "cancel_reason", "progress"])


async def attach_photo(task: PracticalTask, media: dict, now: datetime) -> None:
    """Photos are kept with the task's progress entries (WeCom media ids expire in 3 days; pic_url stays)."""
    task.progress = [*task.progress, {"at": now.isoformat(), "photo": media}]
    await task.save(update_fields=["progress"])


async def recently_finished(cadre: Person, since: datetime) -> PracticalTask | None:
    return await PracticalTask.filter(cadre=cadre, status="done", done_at__gte=since).order_by("-done_at").first()
