"""Cross-checks over everything one load describes: keys unique, every reference points at something
of the right kind. Shapes of single values were checked by the readers; empty values were reported
there and are skipped here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol, TypeVar

from tortoise.fields import CharField

from config.departments import DEPARTMENT_CODES
from models.areas import Area, Department
from models.org.problems import Problems
from models.org.spec import AreaSpec, DepartmentSpec, OrgSpec, PersonSpec, RoleSpec
from models.org.where import Where
from models.people import Chat, Household, Person


class Written(Protocol):
    """Anything an org file describes: it knows where it was written."""

    @property
    def where(self) -> Where: ...


T = TypeVar("T", bound=Written)

# Which area levels a role may be held at; a role missing here may be held at any level.
ROLE_LEVELS = {
    "villager": ("village", "hamlet", "grid"),
    "grid_member": ("village", "hamlet", "grid"),
    "village_secretary": ("village",),
    "first_secretary": ("village",),
    "village_cadre": ("village", "hamlet", "grid"),
    "township_committee": ("township",),
    "county_admin": ("county",),
    "county_leader": ("county",),
}
PARENT_LEVELS = {
    "township": ("county",),
    "village": ("township",),
    "hamlet": ("village",),
    "grid": ("hamlet", "village"),
}


def validate(spec: OrgSpec, problems: Problems) -> None:
    _check_lengths(spec, problems)
    areas = _unique(spec.areas, lambda a: a.code, "area code", "code", problems)
    departments = _unique(spec.departments, lambda d: d.code, "department code", "code", problems)
    people = _unique(spec.people, lambda p: p.userid, "userid", "userid", problems)
    households = _unique(spec.households, lambda h: h.code, "household code", "code", problems)
    _unique(
        spec.chats, lambda c: f"{c.channel}:{c.chatid}" if c.channel and c.chatid else "", "chat", "chatid", problems
    )

    for area in spec.areas:
        _check_parent(area, areas, problems)
    for department in spec.departments:
        if department.code and department.code not in DEPARTMENT_CODES:
            problems.add(
                department.where,
                "code",
                f"unknown department {department.code!r}; codes are {', '.join(DEPARTMENT_CODES)}",
            )
    for person in spec.people:
        if person.household and person.household not in households:
            problems.add(person.where, "household", f"no household {person.household!r} in this load")
        for role in person.roles:
            _check_role(role, areas, departments, problems)
        if person.posts and post_village(person, areas) is None:
            post = person.posts[0]
            problems.add(
                post.where,
                post.key,
                f"{post.value or post.post} is a village post: give the person a role in a village",
            )
    for household in spec.households:
        grid = areas.get(household.grid)
        if household.grid and grid is None:
            problems.add(household.where, "grid", f"unknown area code {household.grid!r}")
        elif grid is not None and grid.level != "grid":
            problems.add(household.where, "grid", f"{household.grid!r} is a {grid.level}, not a grid")
        if household.care_cadre and household.care_cadre not in people:
            problems.add(
                household.where, "care_cadre", f"{household.care_cadre!r} is not a person (userid) in this load"
            )
    for chat in spec.chats:
        if chat.area and chat.area not in areas:
            problems.add(chat.where, "area", f"unknown area code {chat.area!r}")
    slots: set[tuple] = set()
    for row in spec.shifts:
        rostered = areas.get(row.area)
        if rostered is None:
            problems.add(row.where, "area", f"unknown area code {row.area!r}")
        elif rostered.level not in ("township", "village"):
            problems.add(
                row.where, "area", f"{row.area!r} is a {rostered.level}; a duty roster is a township's or a village's"
            )
        for key, userid in (("lead", row.lead), ("duty", row.duty)):
            if userid and userid not in people:
                problems.add(row.where, key, f"{userid!r} is not a person (userid) in this load")
        if (row.day, row.shift, row.area) in slots:
            problems.add(row.where, "day", f"{row.area} has this shift of {row.day} on an earlier row too")
        slots.add((row.day, row.shift, row.area))
    _check_members(spec, areas, departments, people, problems)


def _check_members(
    spec: OrgSpec,
    areas: dict[str, AreaSpec],
    departments: dict[str, DepartmentSpec],
    people: dict[str, PersonSpec],
    problems: Problems,
) -> None:
    """A member serves one grid, belongs to a department or a township, and is listed once."""
    members = _unique(spec.members, lambda m: m.userid, "party member userid", "userid", problems)
    for member in spec.members:
        grid = areas.get(member.grid)
        if member.grid and grid is None:
            problems.add(member.where, "grid", f"unknown area code {member.grid!r}")
        elif grid is not None and grid.level != "grid":
            problems.add(member.where, "grid", f"{member.grid!r} is a {grid.level}, not a grid")
        unit = areas.get(member.unit)
        if member.unit and member.unit not in departments and (unit is None or unit.level != "township"):
            problems.add(member.where, "unit", f"{member.unit!r} is neither a department's nor a township's code")
        if member.unit_secretary and member.unit_secretary not in people and member.unit_secretary not in members:
            problems.add(
                member.where, "unit_secretary", f"{member.unit_secretary!r} is not a person (userid) in this load"
            )


def post_village(person: PersonSpec, areas: dict[str, AreaSpec]) -> str | None:
    """The village a person's posts are held in: that of their first role in a village or below it."""
    for role in person.roles:
        code = role.area
        while code and code in areas:
            area = areas[code]
            if area.level == "village":
                return code
            if area.level not in ("hamlet", "grid"):
                break
            code = area.parent
    return None


def _unique(items: Iterable[T], key_of: Callable[[T], str], what: str, key: str, problems: Problems) -> dict[str, T]:
    seen: dict[str, T] = {}
    for item in items:
        key_value = key_of(item)
        if not key_value:
            continue
        if key_value in seen:
            first = seen[key_value].where.at(key)
            problems.add(item.where, key, f"duplicate {what} {key_value!r} (first at {first})")
        else:
            seen[key_value] = item
    return seen


def _check_parent(area: AreaSpec, areas: dict[str, AreaSpec], problems: Problems) -> None:
    if area.level == "county" or not area.parent:
        return
    parent = areas.get(area.parent)
    if parent is None:
        problems.add(area.where, area.parent_key, f"unknown area code {area.parent!r}")
    elif parent.level not in PARENT_LEVELS[area.level]:
        problems.add(area.where, area.parent_key, f"{area.parent!r} is a {parent.level}, not a {area.parent_key}")


def _check_role(
    role: RoleSpec, areas: dict[str, AreaSpec], departments: dict[str, DepartmentSpec], problems: Problems
) -> None:
    if not role.role:
        return
    if role.role == "party_member":
        problems.add(role.where, role.key, "serving Party members are listed in [rosters] members", role.value)
        return
    if role.role == "liaison":
        if role.area:
            problems.add(role.where, role.scope_key, "a liaison names a department, not an area", role.value)
        elif not role.department:
            problems.add(role.where, role.scope_key, "a liaison needs its department's code", role.value)
        elif role.department not in departments and role.department != "village":
            problems.add(role.where, role.scope_key, f"unknown department {role.department!r} for liaison", role.value)
        return
    if role.department:
        problems.add(
            role.where, role.scope_key, f"only a liaison has a department; {role.role} names an area", role.value
        )
        return
    area = areas.get(role.area or "")
    if not role.area:
        problems.add(role.where, role.scope_key, f"{role.role} needs an area code", role.value)
    elif area is None:
        problems.add(role.where, role.scope_key, f"unknown area code {role.area!r} for {role.role}", role.value)
    elif area.level not in ROLE_LEVELS.get(role.role, (area.level,)):
        allowed = " or ".join(ROLE_LEVELS[role.role])
        problems.add(
            role.where,
            role.scope_key,
            f"{role.role} is held at a {allowed}; {role.area!r} is a {area.level}",
            role.value,
        )


def _check_lengths(spec: OrgSpec, problems: Problems) -> None:
    """A value longer than its column would fail inside the transaction; say which one instead."""
    checks = (
        (spec.areas, Area, ("name",)),
        (spec.departments, Department, ("name",)),
        (spec.people, Person, ("name", "mobile")),
        (spec.households, Household, ("head", "address")),
        (spec.chats, Chat, ("chatid", "name", "webhook_key")),
        (spec.members, Person, ("name", "mobile")),
    )
    for items, model, names in checks:
        for name in names:
            column = model._meta.fields_map[name]
            assert isinstance(column, CharField), f"{model.__name__}.{name} has no length to check"
            limit = column.max_length
            for item in items:
                value = getattr(item, name)
                if len(value) > limit:
                    problems.add(item.where, name, f"too long: {len(value)} characters, at most {limit}")
