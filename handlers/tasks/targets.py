"""Reading `标题 [说明] [户/网格]`: the last word names a household head or a grid of the cadre's village."""

from __future__ import annotations

from config.errors import UserError
from models import Area, Household
from models.area_tree import AreaTree


async def split_target(
    rest: str, village: Area | None, tree: AreaTree
) -> tuple[str, str, Household | None, Area | None]:
    """(title, description, household, grid); the target word is taken off the description when found."""
    words = rest.split()
    title, others = words[0], words[1:]
    if not others or village is None:
        return title, " ".join(others), None, None
    last = others[-1]
    households = [h for h in await Household.filter(head=last) if tree.within(h.grid_id, village.id)]
    if len(households) > 1:
        raise UserError("tasks.household_ambiguous", head=last)
    if households:
        return title, " ".join(others[:-1]), households[0], None
    grids = [
        a
        for a in tree.areas.values()
        if a.level == "grid" and last in (a.name, a.code) and tree.within(a.id, village.id)
    ]
    if len(grids) == 1:
        return title, " ".join(others[:-1]), None, grids[0]
    return title, " ".join(others), None, None
