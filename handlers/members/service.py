"""The members' summaries (双报告) in words: one line per member, for 我的报到 and the monthly reports."""

from __future__ import annotations

from datetime import datetime

from handlers.core.context import Services
from models.members import PartyMember
from models.members_queries import Work


def previous_month(now: datetime) -> tuple[datetime, datetime]:
    """The month before `now`'s: [its first moment, this month's first moment)."""
    this = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    before = this.replace(year=this.year - 1, month=12) if this.month == 1 else this.replace(month=this.month - 1)
    return before, this


def work_line(services: Services, member: PartyMember, work: Work) -> str:
    return services.texts.render(
        "members.work_line",
        name=member.person.name,
        unit=member.unit_name,
        grid=member.grid.name,
        registered=work.registered,
        done=work.done,
        claims=work.claims,
        answers=work.answers,
        visits=work.visits,
    )
