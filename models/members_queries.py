"""What serving Party members did in a period (实事, claims, answers, visits), for 我的报到, the monthly
reports and the year's table: one query per kind for all members at once."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from models.members import MemberAnswer, MemberGrade, PartyMember
from models.tasks import PracticalTask, Visit
from models.tickets import TicketEvent


@dataclass(frozen=True)
class Work:
    registered: int = 0  # 实事 registered in the period (not cancelled)
    done: int = 0  # 实事 finished in the period
    claims: int = 0  # villagers' requests taken on in the period and not given back (a 实事 may hold several)
    answers: int = 0  # 答复 given in the period
    visits: int = 0  # 走访 recorded in the period


async def work_of(person_ids: list[int], start: datetime, end: datetime) -> dict[int, Work]:
    """Per person id: their work from `start` (included) to `end` (excluded)."""
    if not person_ids:
        return {}
    tasks = await (
        PracticalTask.filter(cadre_id__in=person_ids)
        .exclude(status="cancelled")
        .values_list("cadre_id", "created_at", "done_at", "request_id")
    )
    registered, done = Counter[int](), Counter[int]()
    for person_id, created_at, done_at, _ in tasks:
        if start <= created_at < end:
            registered[person_id] += 1
        if done_at is not None and start <= done_at < end:
            done[person_id] += 1
    claims = await _claims(person_ids, start, end)
    answered = MemberAnswer.filter(person_id__in=person_ids, at__gte=start, at__lt=end)
    answers: Counter[int] = Counter(row[0] for row in await answered.values_list("person_id"))
    visited = Visit.filter(cadre_id__in=person_ids, visited_at__gte=start, visited_at__lt=end)
    visits: Counter[int] = Counter(row[0] for row in await visited.values_list("cadre_id"))
    return {pid: Work(registered[pid], done[pid], claims[pid], answers[pid], visits[pid]) for pid in person_ids}


async def _claims(person_ids: list[int], start: datetime, end: datetime) -> Counter[int]:
    """Claims made in the period (the request's `claimed` events by the person), less those given back later
    (an `unclaimed` event of theirs on the same request after it): a 实事 counts once, each claim it holds counts."""
    events = await (
        TicketEvent.filter(kind__in=("claimed", "unclaimed"), actor_id__in=person_ids, at__gte=start)
        .order_by("id")
        .values_list("id", "kind", "actor_id", "request_id", "at")
    )
    held: dict[tuple[int, int], datetime] = {}  # (person, request) → when claimed, while not given back
    for _, kind, person_id, request_id, at in events:
        if kind == "claimed":
            held[(person_id, request_id)] = at
        else:
            held.pop((person_id, request_id), None)
    return Counter(person_id for (person_id, _), at in held.items() if at < end)


async def confirmed_members() -> list[PartyMember]:
    """Every confirmed member with their person, grid and unit secretary, ordered by unit and name."""
    members = await PartyMember.filter(status="confirmed").prefetch_related("person", "grid", "unit_secretary")
    return sorted(members, key=lambda m: (m.unit, m.person.name, m.id))


async def grades_of(year: int) -> dict[tuple[int, str], str]:
    """(member id, side) → grade for the year."""
    rows = await MemberGrade.filter(year=year).values_list("member_id", "side", "grade")
    return {(member_id, side): grade for member_id, side, grade in rows}
