"""Deadlines of a department's part in a ticket, from config/policy.toml [whistle.deadlines.<urgency>].

Every deadline counts from when the department was notified (a re-assignment or a reopening starts
its clock again), so the tickers, the cards and the report all compute it the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.calendar import WorkCalendar
from config.errors import ConfigError

UNITS = ("minutes", "hours", "days", "working_days")


@dataclass(frozen=True)
class Deadlines:
    respond_due: datetime  # 签收 by
    resolve_due: datetime  # 办结 by
    respond_warn_at: datetime
    resolve_warn_at: datetime


def _spec(policy: dict[str, Any], urgency: str, name: str) -> dict[str, Any]:
    table = policy.get("whistle", {}).get("deadlines", {})
    spec = table.get(urgency, table.get("normal", {})).get(name)
    if not isinstance(spec, dict) or len(spec) != 1 or next(iter(spec)) not in UNITS:
        raise ConfigError(
            f"config/policy.toml [whistle.deadlines.{urgency}] {name}: give one of {', '.join(UNITS)}, "
            f"e.g. {name} = {{ hours = 24 }}"
        )
    return spec


def add_span(start: datetime, spec: dict[str, Any], calendar: WorkCalendar) -> datetime:
    unit, amount = next(iter(spec.items()))
    if unit == "working_days":
        return calendar.add_working_days(start, int(amount))
    return start + timedelta(**{unit: float(amount)})


def span(spec: dict[str, Any]) -> timedelta:
    """A warning lead time (working days count as days here: a lead is short)."""
    unit, amount = next(iter(spec.items()))
    return timedelta(days=float(amount)) if unit == "working_days" else timedelta(**{unit: float(amount)})


def deadlines(policy: dict[str, Any], urgency: str, notified_at: datetime,
              calendar: WorkCalendar | None = None) -> Deadlines:
    calendar = calendar or WorkCalendar.load()
    respond = add_span(notified_at, _spec(policy, urgency, "respond"), calendar)
    resolve = add_span(notified_at, _spec(policy, urgency, "resolve"), calendar)
    return Deadlines(
        respond_due=respond,
        resolve_due=resolve,
        respond_warn_at=respond - span(_spec(policy, urgency, "respond_warning")),
        resolve_warn_at=resolve - span(_spec(policy, urgency, "resolve_warning")),
    )


def overdue(policy: dict[str, Any], urgency: str, state: str, notified_at: datetime, now: datetime,
            calendar: WorkCalendar | None = None) -> str:
    """"respond" when 签收 is late, "resolve" when 办结 is late, "" when neither (or nothing is owed)."""
    if state not in ("notified", "on_duty", "in_progress"):
        return ""
    due = deadlines(policy, urgency, notified_at, calendar)
    if now > due.resolve_due:
        return "resolve"
    if state == "notified" and now > due.respond_due:
        return "respond"
    return ""
