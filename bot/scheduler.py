"""The scheduler: thin tickers on APScheduler, run by one process at a time.

Feature code never meets APScheduler. It registers a ticker — an `async def tick(now)` that asks the
database what is due, queues it in the outbox and records it as sent — with `every(name, seconds,
tick)` or `cron(name, tick, hour=8, minute=30)`. Every APScheduler job calls one runner,
`run_job(scheduler, name)`, so leadership, the clock and error logging live in one place (as
python-telegram-bot's JobQueue does).

Leadership: with PostgreSQL only the process holding the advisory lock `gridwhistle.scheduler` on
a connection of its own runs the tickers; the others try again every `elect_seconds`, so when the
leader dies (its connection closes, the lock goes with it) another takes over. On SQLite there is
one process, the leader. Tickers must stay idempotent all the same: a missed or doubled run around
a takeover must not skip or double a reminder.

Time: jobs get `now` from the injected clock. A ManualClock does not move by itself, so with one the
APScheduler timers stay off and tests call `run_due()` after `clock.advance(...)`: nobody sleeps.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import asyncpg
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.clock import SHANGHAI, Clock, ManualClock
from models.locks import is_postgres, lock_key

log = logging.getLogger(__name__)

Ticker = Callable[[datetime], Awaitable[object]]  # what a ticker returns (a count, for its tests) is not used
ErrorHandler = Callable[[str, BaseException], Awaitable[None] | None]

LEADER_LOCK = "gridwhistle.scheduler"
ELECT_JOB = "scheduler.elect"


@dataclass
class _Job:
    name: str
    ticker: Ticker
    trigger: BaseTrigger
    leader_only: bool = True
    next_due: datetime | None = None  # run_due's own bookkeeping, on the injected clock
    last_run: datetime | None = field(default=None, repr=False)


class Scheduler:
    def __init__(
        self, *, clock: Clock, database_url: str, elect_seconds: float = 15.0, on_error: ErrorHandler | None = None
    ) -> None:
        self._clock = clock
        self._database_url = database_url
        self._on_error = on_error
        self._jobs: dict[str, _Job] = {}
        self._aps: AsyncIOScheduler | None = None
        self._lock_conn: asyncpg.Connection | None = None
        self._running: set[asyncio.Task[Any]] = set()
        self._register(_Job(ELECT_JOB, self._elect_tick, self._interval(elect_seconds), leader_only=False))

    # -- registering tickers --------------------------------------------------------------------

    def every(self, name: str, seconds: float, ticker: Ticker) -> None:
        """Run `ticker(now)` every `seconds`, the first time one interval from now."""
        self._register(_Job(name, ticker, self._interval(seconds)))

    def cron(self, name: str, ticker: Ticker, **fields: Any) -> None:
        """Run `ticker(now)` at cron-like times in Asia/Shanghai: `hour=8, minute=30, day_of_week="mon-fri"`."""
        self._register(_Job(name, ticker, CronTrigger(timezone=SHANGHAI, **fields)))

    @property
    def job_names(self) -> list[str]:
        return [name for name in self._jobs if name != ELECT_JOB]

    def _interval(self, seconds: float) -> IntervalTrigger:
        start = self._clock.now() + timedelta(seconds=seconds)
        return IntervalTrigger(seconds=seconds, start_date=start, timezone=SHANGHAI)

    def _register(self, job: _Job) -> None:
        if job.name in self._jobs:
            raise ValueError(f"a scheduler job named {job.name!r} is already registered")
        job.next_due = job.trigger.get_next_fire_time(None, self._clock.now())
        self._jobs[job.name] = job
        if self._aps is not None:
            self._add_to_aps(job)

    def _add_to_aps(self, job: _Job) -> None:
        assert self._aps is not None
        self._aps.add_job(
            run_job,
            job.trigger,
            args=[weakref.ref(self), job.name],
            id=job.name,
            name=job.name,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=60,
        )

    # -- leadership -----------------------------------------------------------------------------

    @property
    def is_leader(self) -> bool:
        if not is_postgres(self._database_url):
            return True  # SQLite: one process
        return self._lock_conn is not None and not self._lock_conn.is_closed()

    async def try_lead(self) -> bool:
        """Keep or take the leadership; True when this process leads now."""
        if not is_postgres(self._database_url):
            return True
        if self._lock_conn is not None:
            try:
                await self._lock_conn.fetchval("SELECT 1")
                return True
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("scheduler lost its leader connection: %s", exc)
                await self._release()
        try:
            conn = await asyncpg.connect(self._database_url)
        except (OSError, asyncpg.PostgresError) as exc:
            log.warning("scheduler cannot reach the database to elect a leader: %s", exc)
            return False
        if await conn.fetchval("SELECT pg_try_advisory_lock($1)", lock_key(LEADER_LOCK)):
            self._lock_conn = conn
            log.info("this process now runs the scheduler's tickers")
            return True
        await conn.close()
        return False

    async def _elect_tick(self, now: datetime) -> None:
        await self.try_lead()

    async def _release(self) -> None:
        conn, self._lock_conn = self._lock_conn, None
        if conn is not None and not conn.is_closed():
            try:
                await conn.close()  # the lock goes with the session
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                conn.terminate()

    # -- running --------------------------------------------------------------------------------

    async def start(self) -> None:
        """Elect, then start the timers (not with a ManualClock: tests call run_due)."""
        await self.try_lead()
        if isinstance(self._clock, ManualClock):
            return
        self._aps = AsyncIOScheduler(timezone=SHANGHAI)
        for job in self._jobs.values():
            self._add_to_aps(job)
        self._aps.start()

    async def stop(self) -> None:
        """Stop the timers, let running tickers finish, give up the leadership."""
        if self._aps is not None:
            aps, self._aps = self._aps, None
            aps.remove_all_jobs()
            aps.shutdown(wait=False)
        if self._running:
            await asyncio.gather(*self._running, return_exceptions=True)
        await self._release()

    @asynccontextmanager
    async def running(self) -> AsyncIterator[Scheduler]:
        """`async with scheduler.running():` — for aiohttp's cleanup_ctx."""
        await self.start()
        try:
            yield self
        finally:
            await self.stop()

    async def run_due(self) -> list[str]:
        """Run once every job due by the injected clock's now (a late job runs once, not per missed
        slot), the leader election included; returns the names of the tickers that ran (only the
        leader runs them)."""
        now = self._clock.now()
        ran = []
        for job in list(self._jobs.values()):
            if job.next_due is None or job.next_due > now:
                continue
            # The first slot after now, computed directly: missed slots coalesce into this one run.
            job.next_due = job.trigger.get_next_fire_time(None, now + timedelta(microseconds=1))
            if await self.run(job.name) and job.name != ELECT_JOB:
                ran.append(job.name)
        return ran

    async def run(self, name: str) -> bool:
        """Run one job now if this process may; False when it was skipped (not the leader)."""
        job = self._jobs[name]
        if job.leader_only and not self.is_leader:
            return False
        task = asyncio.current_task()
        if task is not None:
            self._running.add(task)
        now = self._clock.now()
        try:
            await job.ticker(now)
            job.last_run = now
        except Exception as exc:  # one path for every ticker's failure; the next run tries again
            await self._report(name, exc)
        finally:
            if task is not None:
                self._running.discard(task)
        return True

    async def _report(self, name: str, exc: BaseException) -> None:
        log.error("scheduled job %s failed", name, exc_info=exc)
        if self._on_error is not None:
            result = self._on_error(name, exc)
            if result is not None:
                await result


async def run_job(scheduler_ref: weakref.ref[Scheduler], name: str) -> None:
    """What every APScheduler job calls: the scheduler is held weakly, so a stopped one is not kept alive."""
    scheduler = scheduler_ref()
    if scheduler is not None:
        await scheduler.run(name)
