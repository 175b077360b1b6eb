"""Deadlines of a department's part in a ticket, with the shipped policy (config/policy.toml) and calendar
(config/calendar.toml: 2026's holidays and 调休 make-up days).

The three helpers below are the only lines that know how deadlines.py is called; the tables are the rules.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from bot.calendar import WorkCalendar
from bot.clock import SHANGHAI
from config.policy import Span, load_policy
from handlers.tickets.deadlines import Deadlines, deadlines, overdue


def after(start: datetime, spec: dict[str, Any]) -> datetime:
    return Span.model_validate(spec).after(start, WorkCalendar.load())


def due(urgency: str, notified_at: datetime) -> Deadlines:
    return deadlines(load_policy().whistle.deadlines, urgency, notified_at, WorkCalendar.load())


def late(urgency: str, state: str, notified_at: datetime, now: datetime) -> str:
    return overdue(load_policy().whistle.deadlines, urgency, state, notified_at, now, WorkCalendar.load())


def at(month: int, day: int, hour: int = 10, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("start", "spec", "deadline"),
    [
        (at(11, 16), {"working_days": 1}, at(11, 17)),  # Monday → Tuesday
        (at(11, 20), {"working_days": 1}, at(11, 23)),  # Friday → over the weekend to Monday
        (at(11, 21), {"working_days": 1}, at(11, 23)),  # from a Saturday: the next working day
        (at(11, 20), {"working_days": 3}, at(11, 25)),
        (at(9, 30), {"working_days": 1}, at(10, 8)),  # over the National Day holiday (10-01…07)
        (at(9, 24), {"working_days": 1}, at(9, 28)),  # Mid-Autumn 09-25…27, a Friday to Sunday
        (at(10, 9), {"working_days": 1}, at(10, 10)),  # to Saturday 10-10, a 调休 working day
        (at(9, 19), {"working_days": 1}, at(9, 20)),  # to Sunday 09-20, a 调休 working day
        (at(9, 18), {"working_days": 3}, at(9, 22)),  # Sunday 09-20 counts, Saturday 09-19 not
        (at(2, 13), {"working_days": 1}, at(2, 14)),  # Saturday 02-14 before Spring Festival works
        (at(2, 14), {"working_days": 1}, at(2, 24)),  # Spring Festival 02-15…23
        (at(12, 31, year=2025), {"working_days": 1}, at(1, 4)),  # New Year 01-01…03, then 调休 Sunday 01-04
        (at(11, 16, 17, 45), {"working_days": 1}, at(11, 17, 17, 45)),  # the same time of day
        (at(11, 16), {"working_days": 0}, at(11, 16)),
        (at(9, 30), {"days": 7}, at(10, 7)),  # calendar days ignore holidays
        (at(11, 20), {"hours": 24}, at(11, 21)),
        (at(11, 16, 23, 50), {"minutes": 30}, at(11, 17, 0, 20)),
        (at(11, 16), {"hours": 1.5}, at(11, 16, 11, 30)),
    ],
)
def test_a_span_after(start: datetime, spec: dict[str, Any], deadline: datetime) -> None:
    assert after(start, spec) == deadline


@pytest.mark.parametrize(
    ("urgency", "notified_at", "respond_due", "resolve_due", "respond_warn_at", "resolve_warn_at"),
    [
        # urgent: respond in 30 minutes (warned 10 before), resolve in 24 hours (warned 4 before)
        ("urgent", at(11, 16, 9), at(11, 16, 9, 30), at(11, 17, 9), at(11, 16, 9, 20), at(11, 17, 5)),
        ("urgent", at(9, 30, 22), at(9, 30, 22, 30), at(10, 1, 22), at(9, 30, 22, 20), at(10, 1, 18)),  # holidays too
        # normal: respond in one working day (warned 2 h before), resolve in 7 days (warned 24 h before)
        ("normal", at(11, 16, 9), at(11, 17, 9), at(11, 23, 9), at(11, 17, 7), at(11, 22, 9)),
        ("normal", at(11, 20, 16), at(11, 23, 16), at(11, 27, 16), at(11, 23, 14), at(11, 26, 16)),  # over a weekend
        (
            "normal",
            at(9, 30),
            at(10, 8),
            at(10, 7),
            at(10, 8, 8),
            at(10, 6),
        ),  # over National Day: respond after resolve
        ("normal", at(10, 9), at(10, 10), at(10, 16), at(10, 10, 8), at(10, 15)),  # to a 调休 Saturday
        ("unheard_of", at(11, 16, 9), at(11, 17, 9), at(11, 23, 9), at(11, 17, 7), at(11, 22, 9)),  # as normal
    ],
)
def test_deadlines(
    urgency: str,
    notified_at: datetime,
    respond_due: datetime,
    resolve_due: datetime,
    respond_warn_at: datetime,
    resolve_warn_at: datetime,
) -> None:
    assert due(urgency, notified_at) == Deadlines(respond_due, resolve_due, respond_warn_at, resolve_warn_at)


MINUTE = timedelta(minutes=1)


@pytest.mark.parametrize(
    ("urgency", "state", "notified_at", "now", "late_for"),
    [
        ("urgent", "notified", at(11, 16, 9), at(11, 16, 9, 30), ""),  # at the deadline: not yet late
        ("urgent", "notified", at(11, 16, 9), at(11, 16, 9, 30) + MINUTE, "respond"),
        ("urgent", "on_duty", at(11, 16, 9), at(11, 16, 9, 30) + MINUTE, ""),  # signed for: only 办结 is owed
        ("urgent", "in_progress", at(11, 17, 9), at(11, 18, 9), ""),
        ("urgent", "in_progress", at(11, 17, 9), at(11, 18, 9) + MINUTE, "resolve"),
        ("urgent", "notified", at(11, 16, 9), at(11, 17, 9) + MINUTE, "resolve"),  # both late: 办结 is what counts
        ("normal", "notified", at(11, 20, 16), at(11, 22, 16), ""),  # the weekend does not count
        ("normal", "notified", at(11, 20, 16), at(11, 23, 16) + MINUTE, "respond"),
        ("normal", "notified", at(9, 30), at(10, 7) + MINUTE, "resolve"),  # National Day: 办结 falls first
        ("normal", "on_duty", at(11, 16, 9), at(11, 23, 9) + MINUTE, "resolve"),
        ("normal", "done", at(11, 16, 9), at(12, 31), ""),  # nothing owed any more
        ("normal", "returned", at(11, 16, 9), at(12, 31), ""),
        ("normal", "withdrawn", at(11, 16, 9), at(12, 31), ""),
    ],
)
def test_overdue(urgency: str, state: str, notified_at: datetime, now: datetime, late_for: str) -> None:
    assert late(urgency, state, notified_at, now) == late_for
