"""The one clock of the service: all code asks it for the time, so tests can move time by hand."""

from __future__ import annotations

from datetime import datetime, timedelta

from config.timezone import SHANGHAI  # noqa: F401  (re-exported: the clock's zone)


class Clock:
    """Wall-clock time in Asia/Shanghai."""

    def now(self) -> datetime:
        return datetime.now(SHANGHAI)


class ManualClock(Clock):
    """A clock that only moves when told to (tests, simulations)."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            start = start.replace(tzinfo=SHANGHAI)
        self._now = start.astimezone(SHANGHAI)

    def now(self) -> datetime:
        return self._now

    def advance(self, **delta: float) -> datetime:
        self._now += timedelta(**delta)
        return self._now

    def set(self, when: datetime) -> datetime:
        if when.tzinfo is None:
            when = when.replace(tzinfo=SHANGHAI)
        self._now = when.astimezone(SHANGHAI)
        return self._now
