"""Working days (holidays and 调休 make-up days) and quiet hours, from config data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from config.texts import CONFIG_DIR, read_toml


@dataclass(frozen=True)
class WorkCalendar:
    holidays: frozenset[date]
    makeup_days: frozenset[date]  # weekend days that are working days (调休)

    @classmethod
    def load(cls, path: Path = CONFIG_DIR / "calendar.toml") -> "WorkCalendar":
        data = read_toml(path)
        return cls(
            holidays=frozenset(_dates(data.get("holidays", {}))),
            makeup_days=frozenset(_dates(data.get("makeup_days", {}))),
        )

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


def _dates(by_year: dict[str, list]) -> list[date]:
    found: list[date] = []
    for values in by_year.values():
        found.extend(value if isinstance(value, date) else date.fromisoformat(str(value)) for value in values)
    return found


@dataclass(frozen=True)
class QuietHours:
    start: time
    end: time

    @classmethod
    def from_policy(cls, policy: dict) -> "QuietHours":
        section = policy.get("quiet_hours", {})
        return cls(time.fromisoformat(section.get("start", "21:00")), time.fromisoformat(section.get("end", "07:30")))

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
