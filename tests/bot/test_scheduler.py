"""The scheduler runs thin tickers on the injected clock, reports failures in one place, and on
PostgreSQL only the process holding the advisory lock runs them; another takes over when it dies."""

from __future__ import annotations

import logging
import weakref
from datetime import datetime

import asyncpg
import pytest

from bot.clock import Clock, ManualClock
from bot.scheduler import Scheduler, run_job


class Recorder:
    """A ticker that remembers when it ran."""

    def __init__(self) -> None:
        self.runs: list[datetime] = []

    async def __call__(self, now: datetime) -> None:
        self.runs.append(now)


async def test_an_interval_ticker_runs_when_due_and_once_for_missed_slots(
    database_url: str, clock: ManualClock
) -> None:
    tick = Recorder()
    scheduler = Scheduler(clock=clock, database_url=database_url)
    scheduler.every("deadlines", 60, tick)
    async with scheduler.running():
        assert await scheduler.run_due() == []
        clock.advance(seconds=59)
        assert await scheduler.run_due() == []
        clock.advance(seconds=1)
        assert await scheduler.run_due() == ["deadlines"]
        assert tick.runs == [clock.now()]
        clock.advance(minutes=10)  # ten slots missed: one run catches up, as a thin ticker should
        assert await scheduler.run_due() == ["deadlines"]
        assert await scheduler.run_due() == []
        clock.advance(seconds=60)
        assert await scheduler.run_due() == ["deadlines"]
    assert len(tick.runs) == 3


async def test_a_cron_ticker_runs_at_its_time_in_shanghai(database_url: str, clock: ManualClock) -> None:
    digest = Recorder()
    scheduler = Scheduler(clock=clock, database_url=database_url)
    scheduler.cron("daily_digest", digest, hour=8, minute=30, day_of_week="mon-fri")
    async with scheduler.running():  # Monday 09:00: today's 08:30 has passed
        clock.advance(hours=23, minutes=29)  # Tuesday 08:29
        assert await scheduler.run_due() == []
        clock.advance(minutes=1)
        assert await scheduler.run_due() == ["daily_digest"]
        clock.advance(days=3, minutes=30)  # Friday 09:00: Wednesday's to Friday's slots run once
        assert await scheduler.run_due() == ["daily_digest"]
        clock.advance(days=1)  # Saturday: weekend, nothing
        assert await scheduler.run_due() == []
        clock.advance(days=2, minutes=-30)  # Monday 08:30
        assert await scheduler.run_due() == ["daily_digest"]
    assert [run.strftime("%a %H:%M") for run in digest.runs] == ["Tue 08:30", "Fri 09:00", "Mon 08:30"]


async def test_a_failing_ticker_is_reported_once_and_the_others_still_run(
    database_url: str, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    reported: list[tuple[str, str]] = []

    async def broken(now: datetime) -> None:
        raise RuntimeError("database said no")

    async def on_error(name: str, exc: BaseException) -> None:
        reported.append((name, str(exc)))

    healthy = Recorder()
    scheduler = Scheduler(clock=clock, database_url=database_url, on_error=on_error)
    scheduler.every("broken", 60, broken)
    scheduler.every("healthy", 60, healthy)
    async with scheduler.running():
        clock.advance(seconds=60)
        with caplog.at_level(logging.ERROR, logger="bot.scheduler"):
            assert sorted(await scheduler.run_due()) == ["broken", "healthy"]
        clock.advance(seconds=60)
        await scheduler.run_due()  # and it is tried again next time
    assert reported == [("broken", "database said no")] * 2
    assert len(healthy.runs) == 2
    assert "scheduled job broken failed" in caplog.text


async def test_job_names_are_unique(database_url: str, clock: ManualClock) -> None:
    scheduler = Scheduler(clock=clock, database_url=database_url)
    scheduler.every("reminders", 60, Recorder())
    with pytest.raises(ValueError, match="reminders"):
        scheduler.cron("reminders", Recorder(), hour=8)
    assert scheduler.job_names == ["reminders"]


async def test_the_apscheduler_runner_calls_the_job_by_name(database_url: str, clock: ManualClock) -> None:
    tick = Recorder()
    scheduler = Scheduler(clock=clock, database_url=database_url)
    scheduler.every("reminders", 60, tick)
    async with scheduler.running():
        await run_job(weakref.ref(scheduler), "reminders")
    assert tick.runs == [clock.now()]


async def test_with_the_wall_clock_the_timers_start_and_stop_cleanly(database_url: str) -> None:
    scheduler = Scheduler(clock=Clock(), database_url=database_url)
    scheduler.every("hourly", 3600, Recorder())
    await scheduler.start()
    assert scheduler._aps is not None and scheduler._aps.running
    assert {job.id for job in scheduler._aps.get_jobs()} == {"hourly", "scheduler.elect"}
    scheduler.cron("late_registration", Recorder(), hour=3)
    assert scheduler._aps.get_job("late_registration") is not None
    await scheduler.stop()
    assert scheduler._aps is None


async def test_on_sqlite_the_one_process_leads(database_url: str, clock: ManualClock, test_db_backend: str) -> None:
    if test_db_backend != "sqlite":
        pytest.skip("SQLite's single process")
    scheduler = Scheduler(clock=clock, database_url=database_url)
    async with scheduler.running():
        assert scheduler.is_leader


@pytest.fixture
def postgres_url(database_url: str, test_db_backend: str) -> str:
    if test_db_backend != "postgres":
        pytest.skip("leader election is PostgreSQL's (GRIDWHISTLE_TEST_DB=postgres)")
    return database_url


async def test_two_processes_contend_one_leads_and_the_other_takes_over(postgres_url: str, clock: ManualClock) -> None:
    first_ticks, second_ticks = Recorder(), Recorder()
    first = Scheduler(clock=clock, database_url=postgres_url, elect_seconds=15)
    second = Scheduler(clock=clock, database_url=postgres_url, elect_seconds=15)
    first.every("deadlines", 60, first_ticks)
    second.every("deadlines", 60, second_ticks)
    await first.start()
    await second.start()
    try:
        assert first.is_leader and not second.is_leader
        clock.advance(seconds=60)
        assert await first.run_due() == ["deadlines"]
        assert await second.run_due() == []  # it tried to take over (every 15 s), and could not
        assert not second.is_leader
        await first.stop()  # the leader goes away: its connection closes, the lock with it
        clock.advance(seconds=15)
        assert await second.run_due() == []  # the election ran: this one leads now
        assert second.is_leader
        clock.advance(seconds=45)
        assert await second.run_due() == ["deadlines"]
    finally:
        await first.stop()
        await second.stop()
    assert len(first_ticks.runs) == 1 and len(second_ticks.runs) == 1


async def test_a_leader_whose_connection_dies_is_replaced(postgres_url: str, clock: ManualClock) -> None:
    first = Scheduler(clock=clock, database_url=postgres_url)
    second = Scheduler(clock=clock, database_url=postgres_url)
    await first.start()
    await second.start()
    try:
        assert first.is_leader and not second.is_leader
        # The leader's process is killed: PostgreSQL ends its session.
        admin = await asyncpg.connect(postgres_url)
        try:
            killed = await admin.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_locks WHERE locktype = 'advisory' AND granted"
                " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            )
        finally:
            await admin.close()
        assert killed == 1
        assert await second.try_lead()
        assert not await first.try_lead()  # it notices, and the lock is not its any more
        assert not first.is_leader
    finally:
        await first.stop()
        await second.stop()
