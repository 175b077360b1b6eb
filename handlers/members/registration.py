"""双报到 in chat: `进网格 后道老村3网格 特长 电工 [单位 交通运输局]`, confirmed by a tap of the grid's village.

A registration waits (`pending`) until one of the village's [members] confirm_roles taps 确认 on the card; only
then does the member hold the party_member role at the grid (实事, 答复, offers of matching requests follow it).
The org file's members roster overrides a chat registration for the people it lists (models/org/members.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from config.errors import UserError
from handlers.core.context import Context, Services
from models import Area, Department, Person, Role
from models.area_cache import area_required
from models.area_tree import AreaTree
from models.members import PartyMember
from models.org.members import place_in_grid

_SEPARATORS = re.compile(r"[、,，/;；\s]+")


@dataclass(frozen=True)
class Unit:
    code: str
    name: str


def grid_named(tree: AreaTree, words: str) -> Area | None:
    """A grid by its code or by its village's name and its own (`后道老村3网格`, `后道老3网格`): grid names repeat."""
    wanted = re.sub(r"\s+", "", words)
    for area in tree.areas.values():
        if area.level != "grid":
            continue
        village = tree.village_of(area.id)
        names = {area.code}
        if village is not None:
            short = re.sub(r"(村|社区|农场)$", "", village.name)
            names |= {village.name + area.name, short + area.name}
        if wanted in names:
            return area
    return None


async def unit_named(tree: AreaTree, words: str) -> Unit | None:
    """A department (name, short name or code) or a township (name or code)."""
    for department in await Department.all():
        if words in (department.code, department.name, *department.short_names) and department.code != "village":
            return Unit(department.code, department.name)
    for area in tree.areas.values():
        if area.level == "township" and words in (area.code, area.name):
            return Unit(area.code, area.name)
    return None


def split_words(ctx: Context, text: str) -> tuple[str, list[str], str]:
    """`<grid> 特长 <skills…> 单位 <unit>` → (grid words, skills, unit words); the marker words are data."""
    markers = {ctx.say("members.word_skills"): "skills", ctx.say("members.word_unit"): "unit"}
    parts: dict[str, list[str]] = {"grid": [], "skills": [], "unit": []}
    current = "grid"
    for word in text.split():
        if word in markers:
            current = markers[word]
        else:
            parts[current].append(word)
    skills = [s for word in parts["skills"] for s in _SEPARATORS.split(word) if s]
    return " ".join(parts["grid"]), list(dict.fromkeys(skills)), "".join(parts["unit"])


async def own_unit(ctx: Context, tree: AreaTree, member: PartyMember | None) -> Unit | None:
    """Without `单位 …`: the unit registered before, else a liaison's department or a committee member's township."""
    if member is not None and member.unit:
        return Unit(member.unit, member.unit_name)
    for role in ctx.roles:
        if role.role == "liaison" and role.department is not None:
            return Unit(role.department.code, role.department.name)
        if role.role == "township_committee" and role.area is not None:
            return Unit(role.area.code, role.area.name)
    return None


async def register(ctx: Context) -> tuple[PartyMember, Area, list[Person]]:
    """The registration, waiting for the village; returns it, its grid and who may confirm it."""
    grid_words, skills, unit_words = split_words(ctx, ctx.args)
    if not grid_words:
        raise UserError("members.usage_register")
    tree = await AreaTree.load()
    grid = grid_named(tree, grid_words)
    if grid is None:
        raise UserError("members.grid_unknown", grid=grid_words)
    me = ctx.speaker
    member = await PartyMember.get_or_none(person_id=me.id)
    unit = await unit_named(tree, unit_words) if unit_words else await own_unit(ctx, tree, member)
    if unit is None:
        raise UserError("members.unit_unknown" if unit_words else "members.unit_needed", unit=unit_words)
    village = tree.village_of(grid.id)
    confirmers = await _confirmers(ctx.services, village)
    if not confirmers:
        raise UserError("members.nobody_confirms", village=village.name if village else grid.name)
    secretary_id = await _secretary_of(unit, member)
    fields: dict[str, Any] = {
        "unit": unit.code,
        "unit_name": unit.name,
        "unit_secretary_id": secretary_id,
        "grid_id": grid.id,
        "skills": skills or (member.skills if member else []),
        "source": "chat",
        "status": "pending",
        "registered_at": ctx.now,
        "confirmed_at": None,
        "confirmed_by_id": None,
    }
    if member is None:
        member = await PartyMember.create(person_id=me.id, **fields)
    else:
        await PartyMember.filter(id=member.id).update(**fields)
        await member.refresh_from_db()
    return member, grid, confirmers


async def _confirmers(services: Services, village: Area | None) -> list[Person]:
    if village is None:
        return []
    roles = await Role.filter(area_id=village.id, role__in=services.policy.members.confirm_roles).prefetch_related(
        "person"
    )
    return [r.person for r in roles if r.person.userid]


async def _secretary_of(unit: Unit, member: PartyMember | None) -> int | None:
    """The unit's Party secretary as the org file named it for this member or another member of the unit."""
    if member is not None and member.unit == unit.code and member.unit_secretary_id:
        return member.unit_secretary_id
    other = await PartyMember.filter(unit=unit.code, unit_secretary_id__not_isnull=True).order_by("id").first()
    return other.unit_secretary_id if other else None


async def decide(member: PartyMember, grid_id: int, by: Person, yes: bool, now: datetime) -> bool:
    """The village's tap: True when this tap decided it (a second tap, or a stale card, changes nothing)."""
    changed = await PartyMember.filter(id=member.id, status="pending", grid_id=grid_id).update(
        status="confirmed" if yes else "declined", confirmed_at=now, confirmed_by_id=by.id
    )
    if changed and yes:
        await place_in_grid(member.person_id, await area_required(grid_id))
    return bool(changed)
