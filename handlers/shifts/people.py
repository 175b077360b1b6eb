"""Naming a cadre in a roster command: by name or userid, among those with a cadre's role in the same township
(a villager of the same name is not a candidate)."""

from __future__ import annotations

from config.errors import UserError
from handlers.core.context import Context
from models import Area, Person, Role
from models.area_tree import AreaTree


async def person_named(ctx: Context, tree: AreaTree, within: Area, name: str) -> Person:
    """A person with a role in `within`'s township (its own cadres and its villages'), by name or userid."""
    township = tree.township_of(within.id) or within
    roles = await Role.filter(person__name=name).prefetch_related("person")
    roles += await Role.filter(person__userid=name).prefetch_related("person")
    found = {
        r.person.id: r.person
        for r in roles
        if r.role != "villager" and r.area_id is not None and tree.within(r.area_id, township.id)
    }
    if not found:
        raise UserError("shifts.unknown_person", name=name, township=township.name)
    if len(found) > 1:
        raise UserError("shifts.ambiguous_person", name=name)
    return next(iter(found.values()))
