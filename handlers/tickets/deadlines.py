"""Deadlines of a department's part in a ticket, from config/policy.toml [whistle.deadlines.<urgency>].

Every deadline counts from when the department was notified (a re-assignment or a reopening starts
its clock again), so the tickers, the cards and the report all compute it the same way — on the one
work calendar the caller passes (Services.calendar), never one read from disk per computation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.calendar import WorkCalendar
from config.policy import DeadlinesPolicy
from handlers.core.context import Services
from models.assignment_states import ACTIVE_STATES, AssignmentState


@dataclass(frozen=True)
class Deadlines:
    respond_due: datetime  # 签收 by
    resolve_due: datetime  # 办结 by
    respond_warn_at: datetime
    resolve_warn_at: datetime


def deadlines(rules: DeadlinesPolicy, urgency: str, notified_at: datetime, calendar: WorkCalendar) -> Deadlines:
    spans = rules.of(urgency)
    respond = spans.respond.after(notified_at, calendar)
    resolve = spans.resolve.after(notified_at, calendar)
    return Deadlines(
        respond_due=respond,
        resolve_due=resolve,
        respond_warn_at=respond - spans.respond_warning.lead,
        resolve_warn_at=resolve - spans.resolve_warning.lead,
    )


def deadlines_for(services: Services, urgency: str, notified_at: datetime) -> Deadlines:
    """The deadlines under the service's policy and current work calendar."""
    return deadlines(services.policy.whistle.deadlines, urgency, notified_at, services.calendar.calendar)


def overdue(
    rules: DeadlinesPolicy, urgency: str, state: str, notified_at: datetime, now: datetime, calendar: WorkCalendar
) -> str:
    """ "respond" when 签收 is late, "resolve" when 办结 is late, "" when neither (or nothing is owed)."""
    if state not in ACTIVE_STATES:
        return ""
    due = deadlines(rules, urgency, notified_at, calendar)
    if now > due.resolve_due:
        return "resolve"
    if state == AssignmentState.NOTIFIED and now > due.respond_due:
        return "respond"
    return ""
