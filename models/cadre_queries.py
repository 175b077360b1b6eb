"""Who counts as a cadre for 实事 and 包保 (roles from policy), and the village each works in."""

from __future__ import annotations

from dataclasses import dataclass

from models.area_tree import AreaTree
from models.areas import Area
from models.people import Role

DEFAULT_CADRE_ROLES = ("grid_member", "village_secretary", "first_secretary", "village_cadre")


@dataclass(frozen=True)
class Cadre:
    person_id: int
    userid: str
    name: str
    village: Area | None
    township: Area | None


def cadre_roles(policy: dict) -> list[str]:
    return list(policy.get("tasks", {}).get("cadre_roles", DEFAULT_CADRE_ROLES))


async def all_cadres(policy: dict, tree: AreaTree) -> list[Cadre]:
    """Every person holding a cadre role, once, in the village of their first such role; sorted by village, name.

    One query: tickers call this every run.
    """
    rows = await Role.filter(role__in=cadre_roles(policy)).order_by("person_id", "id").values_list(
        "person_id", "area_id", "person__userid", "person__name")
    found: dict[int, Cadre] = {}
    for person_id, area_id, userid, name in rows:
        if person_id not in found:
            found[person_id] = Cadre(person_id, userid or "", name, tree.village_of(area_id), tree.township_of(area_id))
    return sorted(found.values(), key=lambda c: (c.village.code if c.village else "", c.name, c.person_id))
