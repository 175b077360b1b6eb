"""The 实事 reminder ticker on its own: calendar dates, quiet hours on a late catch-up, concurrent runs."""

from __future__ import annotations

import asyncio
from datetime import datetime

from bot.clock import SHANGHAI
from config.settings import DEMO_ORG_FILE
from handlers.tasks import tickers as tasks_reminders
from handlers.tasks.calendar import relevant, year_calendar
from models import OutboxMessage
from models.org import load_org


def at(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


def test_calendar_moves_reminders_off_holidays_and_each_yields_to_the_next(services):
    found = {(o.kind, o.period): o for o in year_calendar(services.policy.tasks, 2026, services.calendar.calendar)}
    assert found[("monthly", "05")].due == at(5, 11, 9)  # 05-10 is a Sunday
    assert found[("monthly", "10")].due == at(10, 10, 9)  # a Saturday, but a 调休 working day
    assert found[("monthly", "06")].expires == found[("quarter", "06-30")].due
    assert found[("monthly", "11")].expires == found[("last_call", "last_call")].due
    assert [o.kind for _, o in relevant(services.policy.tasks, at(6, 30, 8), services.calendar.calendar)] == ["monthly"]
    assert [o.period for _, o in relevant(services.policy.tasks, at(6, 30, 9), services.calendar.calendar)] == ["06-30"]


async def test_a_catch_up_at_night_waits_for_the_quiet_hours_to_end(db, clock, services):
    clock.set(at(10, 2, 2))
    await load_org([DEMO_ORG_FILE], clock.now())
    queued = await tasks_reminders.tick(services)
    assert queued == {"quarter": 31}  # five of them serving Party members
    row = await OutboxMessage.get(dedupe_key="tasks:2026:quarter:09-30:wangjun")
    assert row.not_before == at(10, 2, 7, 30) and row.payload["to"] == {
        "channel": "app",
        "target": "wangjun",
        "via": "",
    }
    assert "到9月30日，按要求至少应完成 2 件，您目前完成 0 件" in row.payload["text"]
    assert await tasks_reminders.tick(services) == {}


async def test_concurrent_runs_queue_each_reminder_once(db, clock, services):
    clock.set(at(1, 5, 9))
    await load_org([DEMO_ORG_FILE], clock.now())
    results = await asyncio.gather(*(tasks_reminders.tick(services) for _ in range(3)))
    assert sum(r["kickoff"] for r in results) == 31
    assert await OutboxMessage.filter(dedupe_key__startswith="tasks:2026:kickoff:").count() == 31
