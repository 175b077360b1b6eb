"""Who counts as a cadre for 实事 and 包保 (roles from policy), and the village each works in."""

from __future__ import annotations

from dataclasses import dataclass

from config.policy import Policy, TasksPolicy
from models.area_tree import AreaTree
from models.areas import Area
from models.people import Role


@dataclass(frozen=True)
class Cadre:
    person_id: int
    userid: str
    name: str
    village: Area | None
    township: Area | None


def cadre_roles(policy: Policy) -> tuple[str, ...]:
    """[tasks] cadre_roles: who counts as a cadre (also what a role filter reads)."""
    return policy.tasks.cadre_roles


async def all_cadres(tasks: TasksPolicy, tree: AreaTree) -> list[Cadre]:
    """Every person holding a cadre role, once, in the village of their first such role; sorted by village, name.

    One query: tickers call this every run.
    """
    rows = (
        await Role.filter(role__in=tasks.cadre_roles)
        .order_by("person_id", "id")
        .values_list("person_id", "area_id", "person__userid", "person__name")
    )
    found: dict[int, Cadre] = {}
    for person_id, area_id, userid, name in rows:
        if person_id not in found:
            found[person_id] = Cadre(person_id, userid or "", name, tree.village_of(area_id), tree.township_of(area_id))
    return sorted(found.values(), key=lambda c: (c.village.code if c.village else "", c.name, c.person_id))
