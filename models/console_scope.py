"""What a person may see in the leaders' console, decided by their roles (checked on every page and API call).

The county (county_admin, county_leader) sees everything; a township committee member their township;
a liaison their department's tickets; a village secretary or first secretary their village. Anyone
else — villagers, grid members, people the org file does not know — sees nothing (403).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from models.area_tree import AreaTree
from models.people import Person, Role

COUNTY_ROLES = ("county_admin", "county_leader")
TOWNSHIP_ROLES = ("township_committee",)
VILLAGE_ROLES = ("village_secretary", "first_secretary")
DEPARTMENT_ROLES = ("liaison",)
CONSOLE_ROLES = (*COUNTY_ROLES, *TOWNSHIP_ROLES, *VILLAGE_ROLES, *DEPARTMENT_ROLES)


@dataclass(frozen=True)
class Scope:
    person_id: int
    name: str
    userid: str
    county: bool = False
    townships: frozenset[int] = frozenset()
    villages: frozenset[int] = frozenset()
    departments: frozenset[int] = frozenset()
    roles: tuple[str, ...] = field(default=())

    @property
    def empty(self) -> bool:
        return not (self.county or self.townships or self.villages or self.departments)

    @property
    def sees_areas(self) -> bool:
        """Area pages (乡镇/村, 实事, 走访) are for the county, townships and villages, not for departments."""
        return self.county or bool(self.townships or self.villages)

    def area_roots(self) -> set[int]:
        return set(self.townships | self.villages)

    def sees_area(self, tree: AreaTree, area_id: int | None) -> bool:
        if self.county:
            return True
        return any(tree.within(area_id, root) for root in self.area_roots())

    def sees_department(self, department_id: int) -> bool:
        return self.county or department_id in self.departments


async def scope_of(person: Person) -> Scope:
    roles = await Role.filter(person_id=person.id, role__in=CONSOLE_ROLES)
    return Scope(
        person_id=person.id,
        name=person.name,
        userid=person.userid or "",
        county=any(r.role in COUNTY_ROLES for r in roles),
        townships=frozenset(r.area_id for r in roles if r.role in TOWNSHIP_ROLES and r.area_id),
        villages=frozenset(r.area_id for r in roles if r.role in VILLAGE_ROLES and r.area_id),
        departments=frozenset(r.department_id for r in roles if r.role in DEPARTMENT_ROLES and r.department_id),
        roles=tuple(sorted({r.role for r in roles})),
    )
