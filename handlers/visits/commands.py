"""包保 and 走访 (民情日记): the village secretary pairs households with cadres; cadres record visits, list
their households, and turn a diary entry into a request. 1:1 with the app (households' tags are private)."""

from __future__ import annotations

from functools import cache

from config.errors import UserError
from config.subcommands import Subcommands
from handlers.core.context import Context, HandlerRouter
from handlers.common.cadres import is_cadre, village_of_speaker
from handlers.visits.service import pair, pick_household
from handlers.visits.list import show_pairs
from handlers.visits.to_request import to_request
from models import CarePair, Person, Role, Visit
from models.area_tree import AreaTree
from models.cadre_queries import cadre_roles

router = HandlerRouter("visits")


@cache
def words(command: str) -> Subcommands:
    return Subcommands.load(command)  # shipped data, read once per process


def _private_chat(ctx: Context) -> None:
    if ctx.inbound.is_group or ctx.inbound.channel != "app":
        raise UserError("visits.app_only")


@router.command("visit")
async def visit(ctx: Context) -> None:
    _private_chat(ctx)
    if ctx.person is None or not is_cadre(ctx):
        raise UserError("visits.not_cadre")
    found = words("visit").split(ctx.args)
    if found is not None and found[0] == "list":
        await show_pairs(ctx)
        return
    if found is not None and found[0] == "to_request":
        await to_request(ctx, found[1])
        return
    head, _, rest = ctx.args.partition(" ")
    if not head:
        raise UserError("visits.usage")
    tree = await AreaTree.load()
    mine = [p.household for p in await CarePair.filter(cadre=ctx.person).prefetch_related("household")]
    picked = await pick_household(ctx, head, rest.strip(), village_of_speaker(ctx, tree), tree,
                                  usage="visits.usage_visit_choice", preferred=mine)
    if not picked.rest:
        raise UserError("visits.usage")
    entry = await Visit.create(household=picked.household, cadre=ctx.person, note=picked.rest, visited_at=ctx.now)
    ctx.reply("visits.recorded", id=entry.id, head=picked.household.head,
              place=tree.hamlet_name(picked.household.grid_id))  # type: ignore[attr-defined]


@router.command("care")
async def care(ctx: Context) -> None:
    """`包保 设置 户主 干部 [序号]`: the village secretary pairs a household of the village with a cadre."""
    _private_chat(ctx)
    found = words("care").split(ctx.args)
    secretary_roles = ctx.services.policy.get("visits", {}).get("pairing_roles", ["village_secretary"])
    tree = await AreaTree.load()
    village = village_of_speaker(ctx, tree, secretary_roles)
    if ctx.person is None or village is None:
        raise UserError("common.not_allowed", role=ctx.say("visits.secretary_role"))
    if found is None or found[0] != "set":
        raise UserError("visits.usage_care")
    parts = found[1].split()
    if len(parts) < 2:
        raise UserError("visits.usage_care")
    head, cadre_name, choice = parts[0], parts[1], " ".join(parts[2:])
    picked = await pick_household(ctx, head, choice, village, tree, usage="visits.usage_care_choice")
    cadre = await _cadre_in_village(ctx, cadre_name, village.id, tree)
    await pair(picked.household, cadre, ctx.now)
    ctx.reply("visits.paired", head=picked.household.head, place=tree.hamlet_name(picked.household.grid_id),  # type: ignore[attr-defined]
              cadre=cadre.name, tags="、".join(picked.household.tags) or ctx.say("visits.no_tags"))


async def _cadre_in_village(ctx: Context, name: str, village_id: int, tree: AreaTree) -> Person:
    """A cadre of this village by name or userid; names shared by two cadres must be given as the userid."""
    roles = await Role.filter(role__in=cadre_roles(ctx.services.policy)).prefetch_related("person")
    people = {r.person.id: r.person for r in roles
              if tree.within(r.area_id, village_id) and name in (r.person.name, r.person.userid)}  # type: ignore[attr-defined]
    if not people:
        raise UserError("visits.cadre_not_found", name=name)
    if len(people) > 1:
        raise UserError("visits.cadre_ambiguous", name=name,
                        userids="、".join(sorted(p.userid or "" for p in people.values())))
    return next(iter(people.values()))


