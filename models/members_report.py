"""The year's table of serving Party members (双考评): each member's work and both grades, combined by the
policy formula, and the same per unit and per village. `gridwhistle report members` prints it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from config.policy import MembersPolicy
from models.area_tree import AreaTree
from models.members_queries import Work, confirmed_members, grades_of, work_of


@dataclass(frozen=True)
class MemberRow:
    unit: str
    township: str
    village: str
    grid: str
    name: str
    userid: str
    skills: str
    work: Work
    unit_grade: str  # "" until given
    village_grade: str
    points: float | None  # None until both grades are in
    result: str


@dataclass(frozen=True)
class GroupRow:
    name: str
    members: int
    registered: int
    done: int
    claims: int
    answers: int
    visits: int
    graded: int  # members with both grades
    results: dict[str, int]  # combined grade → members


async def member_rows(policy: MembersPolicy, year: int, tree: AreaTree, tz: object) -> list[MemberRow]:
    start = datetime(year, 1, 1, tzinfo=tz)  # type: ignore[arg-type]
    end = datetime(year + 1, 1, 1, tzinfo=tz)  # type: ignore[arg-type]
    members = await confirmed_members()
    works = await work_of([m.person_id for m in members], start, end)
    grades = await grades_of(year)
    rows = []
    for m in members:
        unit_grade, village_grade = grades.get((m.id, "unit"), ""), grades.get((m.id, "village"), "")
        points, result = (None, "")
        if unit_grade in policy.grades and village_grade in policy.grades:
            points, result = policy.combined(unit_grade, village_grade)
        village, township = tree.village_of(m.grid_id), tree.township_of(m.grid_id)
        rows.append(
            MemberRow(
                unit=m.unit_name,
                township=township.name if township else "",
                village=village.name if village else "",
                grid=m.grid.name,
                name=m.person.name,
                userid=m.person.userid or "",
                skills="、".join(m.skills),
                work=works[m.person_id],
                unit_grade=unit_grade,
                village_grade=village_grade,
                points=points,
                result=result,
            )
        )
    return sorted(rows, key=lambda r: (r.unit, r.village, r.grid, r.name))


def group_rows(rows: list[MemberRow], by: str) -> list[GroupRow]:
    """Per unit (`by="unit"`) or per village (`by="village"`)."""
    groups: dict[str, list[MemberRow]] = {}
    for row in rows:
        groups.setdefault(getattr(row, by), []).append(row)
    found = []
    for name, members in sorted(groups.items()):
        results: dict[str, int] = {}
        for m in members:
            if m.result:
                results[m.result] = results.get(m.result, 0) + 1
        found.append(
            GroupRow(
                name=name,
                members=len(members),
                registered=sum(m.work.registered for m in members),
                done=sum(m.work.done for m in members),
                claims=sum(m.work.claims for m in members),
                answers=sum(m.work.answers for m in members),
                visits=sum(m.work.visits for m in members),
                graded=sum(1 for m in members if m.result),
                results=results,
            )
        )
    return found
