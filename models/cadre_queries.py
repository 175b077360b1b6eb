"""Who counts as a cadre for 实事 and 包保 (roles from policy), and the village each works in."""

from __future__ import annotations

from dataclasses import dataclass

from models.area_tree import AreaTree
from models.areas import Area
from models.people import Person, Role

DEFAULT_CADRE_ROLES = ("grid_member", "village_secretary", "first_secretary", "village_cadre")


@dataclass(frozen=True)
class Cadre:
    person: Person
    village: Area | None
    township: Area | None


def cadre_roles(policy: dict) -> list[str]:
    return list(policy.get("tasks", {}).get("cadre_roles", DEFAULT_CADRE_ROLES))


async def all_cadres(policy: dict, tree: AreaTree) -> list[Cadre]:
    """Every person holding a cadre role, once, in the village of their first such role; sorted by village, name."""
    roles = await Role.filter(role__in=cadre_roles(policy)).prefetch_related("person").order_by("person_id", "id")
    found: dict[int, Cadre] = {}
    for role in roles:
        if role.person_id not in found:  # type: ignore[attr-defined]
            area_id = role.area_id  # type: ignore[attr-defined]
            found[role.person_id] = Cadre(role.person, tree.village_of(area_id), tree.township_of(area_id))  # type: ignore[attr-defined]
    return sorted(found.values(), key=lambda c: (c.village.code if c.village else "", c.person.name, c.person.id))
