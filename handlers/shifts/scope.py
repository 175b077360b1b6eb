"""Whose roster a person may read and set: a township manager their township and its villages, a village
manager their own village ([shifts] policy roles)."""

from __future__ import annotations

from config.errors import UserError
from handlers.core.context import Context
from models import Area
from models.area_tree import AreaTree


def managed(ctx: Context, tree: AreaTree) -> list[Area]:
    """The areas whose roster the speaker may set, township first, then villages by code."""
    policy = ctx.services.policy.shifts
    found: dict[int, Area] = {}
    for role in ctx.roles_named(*policy.township_manager_roles):
        township = tree.township_of(role.area_id)
        if township is not None:
            found[township.id] = township
            found.update({v.id: v for v in tree.villages_in(township.id)})
    for role in ctx.roles_named(*policy.village_manager_roles):
        village = tree.village_of(role.area_id)
        if village is not None:
            found[village.id] = village
    return sorted(found.values(), key=lambda a: (a.level != "township", a.code))


def pick_area(areas: list[Area], name: str) -> Area:
    """The area a `值班 排班` names (its name, its name without 村/镇, or its code); none named: the first."""
    if not name:
        return areas[0]
    for area in areas:
        if name in (area.name, area.code) or area.name.startswith(name):
            return area
    raise UserError("shifts.unknown_area", name=name, areas="、".join(a.name for a in areas))
