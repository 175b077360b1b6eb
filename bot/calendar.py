"""Working days (holidays and 调休 make-up days) and quiet hours, from config data.

The calendar file is read once and then again when it changes (CalendarHolder), never per deadline.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from config.errors import ConfigError
from config.policy import QuietHoursPolicy
from config.texts import CONFIG_DIR, read_toml, shown

CALENDAR_FILE = CONFIG_DIR / "calendar.toml"
SECTIONS = ("holidays", "makeup_days")
RELOAD_SECONDS = 5.0  # how often the service looks at the calendar file for an edit

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkCalendar:
    holidays: frozenset[date]
    makeup_days: frozenset[date]  # weekend days that are working days (调休)

    @classmethod
    def load(cls, path: Path = CALENDAR_FILE) -> WorkCalendar:
        """Read and check a calendar file; a ConfigError lists every mistake, `file: [section] year: …` a line."""
        data, problems = read_toml(path), []
        where = shown(path)
        for section in data:
            if section not in SECTIONS:
                problems.append(f"{where}: [{section}]: unknown section; the sections are {', '.join(SECTIONS)}")
        found = {section: _dates(data.get(section, {}), f"{where}: [{section}]", problems) for section in SECTIONS}
        for day in sorted(found["holidays"] & found["makeup_days"]):
            problems.append(f"{where}: {day} is both a holiday and a make-up day")
        if problems:
            raise ConfigError("\n".join(problems))
        return cls(holidays=frozenset(found["holidays"]), makeup_days=frozenset(found["makeup_days"]))

    def is_working_day(self, day: date) -> bool:
        if day in self.makeup_days:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """The same time of day `days` working days later (a deadline of "1 working day")."""
        when = start
        remaining = days
        while remaining > 0:
            when += timedelta(days=1)
            if self.is_working_day(when.date()):
                remaining -= 1
        return when

    def years_without_entries(self, years: Iterable[int]) -> list[int]:
        """Those of `years` with no holiday at all: the State Council's notice was not added yet."""
        covered = {day.year for day in self.holidays}
        return [year for year in years if year not in covered]


def _dates(by_year: object, where: str, problems: list[str]) -> set[date]:
    """`2026 = [2026-01-01, …]` per year; dates may also be written as "2026-01-01"."""
    if not isinstance(by_year, dict):
        problems.append(f"{where}: should be a table of years, e.g. 2027 = [2027-01-01]")
        return set()
    found: set[date] = set()
    for year, values in by_year.items():
        if not (year.isdigit() and len(year) == 4):
            problems.append(f"{where} {year}: should be a year like 2027")
            continue
        if not isinstance(values, list):
            problems.append(f"{where} {year}: should be a list of dates like [{year}-10-01]")
            continue
        for value in values:
            day = _date(value)
            if day is None:
                problems.append(f"{where} {year}: {value!r} is not a date like {year}-10-01")
            elif day.year != int(year):
                problems.append(f"{where} {year}: {day} is not in {year}")
            else:
                found.add(day)
    return found


def _date(value: object) -> date | None:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


Signature = tuple[int, int]  # (mtime_ns, size): changes on every save


def _signature(path: Path) -> Signature | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


class CalendarHolder:
    """The current WorkCalendar, read once and again only when its file changes.

    Every deadline and every ticker reads `holder.calendar`, so after a holiday edit they all agree.
    `check()` is cheap (one stat); the service calls it every few seconds. A file with a mistake is
    logged once and the previous calendar stays in use.
    """

    def __init__(self, path: Path, calendar: WorkCalendar, signature: Signature | None) -> None:
        self.path = path
        self._calendar = calendar
        self._signature = signature
        self.last_error: str | None = None

    @classmethod
    def load(cls, path: str | Path = CALENDAR_FILE) -> CalendarHolder:
        """The first read, at start: a mistake raises ConfigError."""
        path = Path(path)
        signature = _signature(path)
        return cls(path, WorkCalendar.load(path), signature)

    @property
    def calendar(self) -> WorkCalendar:
        return self._calendar

    def check(self) -> bool:
        """Re-read the file if it changed since the last look; True when a new calendar is in use."""
        signature = _signature(self.path)
        if signature is None or signature == self._signature:
            return False
        self._signature = signature  # a broken file is reported once, not at every look
        try:
            calendar = WorkCalendar.load(self.path)
        except ConfigError as exc:
            self.last_error = str(exc)
            log.error("calendar not reloaded, keeping the previous one: %s", exc)
            return False
        self._calendar, self.last_error = calendar, None
        log.info("calendar reloaded from %s", self.path)
        return True

    def warn_about_missing_years(self, today: date) -> list[int]:
        """Log (and return) this year and next when the calendar has no holidays for them."""
        missing = self._calendar.years_without_entries((today.year, today.year + 1))
        for year in missing:
            log.warning(
                "%s has no holidays for %d: its working days skip weekends only; add that year's State Council notice",
                shown(self.path),
                year,
            )
        return missing


@dataclass(frozen=True)
class QuietHours:
    start: time
    end: time

    @classmethod
    def from_policy(cls, section: QuietHoursPolicy) -> QuietHours:
        return cls(section.start, section.end)

    def is_quiet(self, when: datetime) -> bool:
        now = when.timetz().replace(tzinfo=None)
        if self.start <= self.end:
            return self.start <= now < self.end
        return now >= self.start or now < self.end

    def next_allowed(self, when: datetime, *, urgent: bool = False) -> datetime:
        """`when` itself outside quiet hours or for urgent matters, else the end of the quiet window."""
        if urgent or not self.is_quiet(when):
            return when
        end = when.replace(hour=self.end.hour, minute=self.end.minute, second=0, microsecond=0)
        return end if end > when else end + timedelta(days=1)
