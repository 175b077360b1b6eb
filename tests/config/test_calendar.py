"""The work calendar: read once, re-read when its file changes, mistakes named, a year without holidays warned about."""

from __future__ import annotations

import logging
import os
from datetime import date, datetime
from pathlib import Path

import pytest

from bot.calendar import CALENDAR_FILE, CalendarHolder, WorkCalendar
from bot.clock import SHANGHAI, ManualClock
from config.errors import ConfigError
from config.policy import load_policy
from config.texts import CommandWords, Texts
from handlers.core.context import Services
from handlers.tickets.deadlines import deadlines_for

NATIONAL_DAY = "[holidays]\n2026 = [2026-10-01, 2026-10-02]\n\n[makeup_days]\n2026 = [2026-10-10]\n"


def write(path: Path, text: str, mtime_ns: int) -> None:
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(mtime_ns, mtime_ns))  # a distinct time per edit, however fast the test writes


def test_the_shipped_calendar_loads() -> None:
    calendar = WorkCalendar.load(CALENDAR_FILE)
    assert not calendar.is_working_day(date(2026, 10, 1))
    assert calendar.is_working_day(date(2026, 10, 10))  # a Saturday worked (调休)
    assert calendar.years_without_entries([2026]) == []


def test_the_holder_reloads_after_the_file_changes(tmp_path: Path) -> None:
    path = tmp_path / "calendar.toml"
    write(path, NATIONAL_DAY, 1_000_000_000)
    holder = CalendarHolder.load(path)
    friday = datetime(2026, 10, 2, 9, 0, tzinfo=SHANGHAI)
    assert holder.calendar.add_working_days(friday, 1).date() == date(2026, 10, 5)  # Monday
    assert holder.check() is False  # unchanged: not read again

    write(path, NATIONAL_DAY.replace("2026-10-02]", "2026-10-02, 2026-10-05]"), 2_000_000_000)
    assert holder.check() is True
    assert holder.calendar.add_working_days(friday, 1).date() == date(2026, 10, 6)
    assert holder.check() is False


def test_a_broken_edit_keeps_the_previous_calendar_and_is_reported_once(tmp_path: Path, caplog) -> None:
    path = tmp_path / "calendar.toml"
    write(path, NATIONAL_DAY, 1_000_000_000)
    holder = CalendarHolder.load(path)
    write(path, NATIONAL_DAY.replace("2026-10-02]", "2026-10-32]"), 2_000_000_000)
    with caplog.at_level(logging.ERROR, logger="bot.calendar"):
        assert holder.check() is False
        assert holder.check() is False
    assert holder.calendar.holidays == {date(2026, 10, 1), date(2026, 10, 2)}
    assert f"{path}: " in (holder.last_error or "") and "line 2" in (holder.last_error or "")
    assert len(caplog.records) == 1

    write(path, NATIONAL_DAY, 3_000_000_000)
    assert holder.check() is True and holder.last_error is None


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("[holiday]\n2026 = [2026-10-01]\n", "[holiday]: unknown section; the sections are holidays, makeup_days"),
        ("[holidays]\n2026 = [2027-01-01]\n", "[holidays] 2026: 2027-01-01 is not in 2026"),
        ("[holidays]\nnext = [2027-01-01]\n", "[holidays] next: should be a year like 2027"),
        ('[holidays]\n2026 = ["10-01"]\n', "[holidays] 2026: '10-01' is not a date like 2026-10-01"),
        ("[holidays]\n2026 = 2026-10-01\n", "[holidays] 2026: should be a list of dates"),
        (
            "[holidays]\n2026 = [2026-10-10]\n[makeup_days]\n2026 = [2026-10-10]\n",
            "2026-10-10 is both a holiday and a make-up day",
        ),
    ],
    ids=["unknown-section", "wrong-year", "not-a-year", "not-a-date", "not-a-list", "both"],
)
def test_a_mistake_names_the_file_section_and_year(tmp_path: Path, text: str, named: str) -> None:
    path = tmp_path / "calendar.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        CalendarHolder.load(path)
    assert f"{path}: {named}" in str(caught.value)


def test_a_year_without_holidays_is_warned_about(tmp_path: Path, caplog) -> None:
    path = tmp_path / "calendar.toml"
    path.write_text(NATIONAL_DAY, encoding="utf-8")
    holder = CalendarHolder.load(path)
    with caplog.at_level(logging.WARNING, logger="bot.calendar"):
        assert holder.warn_about_missing_years(date(2026, 12, 6)) == [2027]
        assert holder.warn_about_missing_years(date(2025, 12, 6)) == [2025]
    assert "has no holidays for 2027" in caplog.records[0].getMessage()


def test_deadlines_follow_the_holders_current_calendar(tmp_path: Path) -> None:
    path = tmp_path / "calendar.toml"
    write(path, NATIONAL_DAY, 1_000_000_000)
    holder = CalendarHolder.load(path)
    services = Services(
        clock=ManualClock(datetime(2026, 10, 2, 9, 0, tzinfo=SHANGHAI)),
        texts=Texts.load(),
        commands=CommandWords.load(),
        policy=load_policy(),
        calendar=holder,
        router=lambda: None,
    )
    friday = datetime(2026, 10, 2, 9, 0, tzinfo=SHANGHAI)
    assert deadlines_for(services, "normal", friday).respond_due.date() == date(2026, 10, 5)  # 1 working day

    write(path, NATIONAL_DAY.replace("2026-10-02]", "2026-10-02, 2026-10-05]"), 2_000_000_000)  # Monday off too
    assert deadlines_for(services, "normal", friday).respond_due.date() == date(2026, 10, 5)  # not re-read per call
    assert holder.check()
    assert deadlines_for(services, "normal", friday).respond_due.date() == date(2026, 10, 6)
