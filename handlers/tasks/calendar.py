"""The 实事 reminder calendar of one year, from [tasks] in config/policy.toml: pure dates, no database.

Each occurrence is due at send_hour on its day (moved to the next working day by config/calendar.toml)
and stays relevant until the next cadre reminder is due: a reminder missed while the service was down
is sent once when it comes back, unless a newer one has taken its place by then.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from bot.calendar import WorkCalendar
from bot.clock import SHANGHAI
from config.policy import TasksPolicy


@dataclass(frozen=True)
class Occurrence:
    kind: str  # kickoff | monthly | quarter | last_call | summary
    period: str  # what makes this occurrence unique in its year and kind (goes into the dedupe key)
    due: datetime
    expires: datetime
    min_done: int = 0  # quarter checks: fewer finished than this by `due` is behind

    def key(self, year: int, who: str) -> str:
        return f"tasks:{year}:{self.kind}:{self.period}:{who}"


def _day(year: int, month_day: str) -> date:
    month, day = (int(part) for part in month_day.split("-"))
    return date(year, month, day)


def _due(day: date, hour: int, calendar: WorkCalendar) -> datetime:
    while not calendar.is_working_day(day):
        day += timedelta(days=1)
    return datetime.combine(day, time(hour), SHANGHAI)


def year_calendar(section: TasksPolicy, year: int, calendar: WorkCalendar) -> list[Occurrence]:
    """The year's occurrences, cadre reminders first (by due), then the year-end summary."""
    hour = section.send_hour
    planned: list[tuple[str, str, date, int]] = [("kickoff", "kickoff", _day(year, section.kickoff), 0)]
    for month in section.monthly_months:
        planned.append(("monthly", f"{month:02d}", date(year, month, section.monthly_day), 0))
    for check in section.quarter_checks:
        planned.append(("quarter", check.date, _day(year, check.date), check.min_done))
    planned.append(("last_call", "last_call", _day(year, section.last_call), 0))
    planned.sort(key=lambda item: item[2])
    dues = [_due(day, hour, calendar) for _, _, day, _ in planned]
    year_end = datetime(year + 1, 1, 1, tzinfo=SHANGHAI)
    found = [
        Occurrence(kind, period, dues[i], dues[i + 1] if i + 1 < len(dues) else year_end, min_done)
        for i, (kind, period, _, min_done) in enumerate(planned)
    ]
    summary_due = _due(_day(year, section.year_end_summary), hour, calendar)
    next_kickoff = _due(_day(year + 1, section.kickoff), hour, calendar)
    found.append(Occurrence("summary", "summary", summary_due, max(next_kickoff, summary_due + timedelta(days=1))))
    return found


def relevant(section: TasksPolicy, now: datetime, calendar: WorkCalendar) -> list[tuple[int, Occurrence]]:
    """(year, occurrence) pairs that are due and not yet superseded at `now` (last year's summary in January)."""
    return [
        (year, occ)
        for year in (now.year - 1, now.year)
        for occ in year_calendar(section, year, calendar)
        if occ.due <= now < occ.expires
    ]
