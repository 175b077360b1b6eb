"""包保 and 走访 (民情日记): the village secretary pairs households with cadres; cadres record visits, list
their households, and turn a diary entry into a request. 1:1 with the app (households' tags are private)."""

from __future__ import annotations

from config.errors import UserError
from config.policy import Policy
from handlers.common.cadres import village_of_speaker
from handlers.core.context import Context
from handlers.core.filters import AppPrivate, Roles
from handlers.core.router import Router
from handlers.visits.service import CADRE_VISITS, pair, pick_household
from models import CarePair, Person, Role, Visit
from models.area_tree import AreaTree
from models.cadre_queries import cadre_roles

router = Router("visits")

APP_ONLY = AppPrivate("visits.app_only")
NOT_ALLOWED = ("common.not_allowed", (("role", "visits.secretary_role"),))


def pairing_roles(policy: Policy) -> tuple[str, ...]:
    """Who pairs households with cadres: [visits] pairing_roles."""
    return policy.visits.pairing_roles


@router.command("visit", *CADRE_VISITS)
async def visit(ctx: Context) -> None:
    """`走访 户主 [序号] 记录`: a diary entry for a household (the cadre's own pairs first)."""
    head, _, rest = ctx.args.partition(" ")
    if not head:
        raise UserError("visits.usage")
    tree = await AreaTree.load()
    mine = [p.household for p in await CarePair.filter(cadre=ctx.person).prefetch_related("household")]
    picked = await pick_household(
        ctx, head, rest.strip(), village_of_speaker(ctx, tree), tree, usage="visits.usage_visit_choice", preferred=mine
    )
    if not picked.rest:
        raise UserError("visits.usage")
    entry = await Visit.create(
        household=picked.household, cadre=ctx.person, note=ctx.inbound.typed(picked.rest), visited_at=ctx.now
    )
    ctx.reply(
        "visits.recorded", id=entry.id, head=picked.household.head, place=tree.hamlet_name(picked.household.grid_id)
    )


@router.command("care", APP_ONLY, Roles(pairing_roles, *NOT_ALLOWED))
async def care_usage(ctx: Context) -> None:
    raise UserError("visits.usage_care")


@router.command("care", APP_ONLY, Roles(pairing_roles, *NOT_ALLOWED), sub="set")
async def care(ctx: Context) -> None:
    """`包保 设置 户主 干部 [序号]`: the village secretary pairs a household of the village with a cadre."""
    tree = await AreaTree.load()
    village = village_of_speaker(ctx, tree, pairing_roles(ctx.services.policy))
    if village is None:
        raise UserError(NOT_ALLOWED[0], role=ctx.say("visits.secretary_role"))
    parts = ctx.args.split()
    if len(parts) < 2:
        raise UserError("visits.usage_care")
    head, cadre_name, choice = parts[0], parts[1], " ".join(parts[2:])
    picked = await pick_household(ctx, head, choice, village, tree, usage="visits.usage_care_choice")
    cadre = await _cadre_in_village(ctx, cadre_name, village.id, tree)
    await pair(picked.household, cadre, ctx.now)
    ctx.reply(
        "visits.paired",
        head=picked.household.head,
        place=tree.hamlet_name(picked.household.grid_id),
        cadre=cadre.name,
        tags="、".join(picked.household.tags) or ctx.say("visits.no_tags"),
    )


async def _cadre_in_village(ctx: Context, name: str, village_id: int, tree: AreaTree) -> Person:
    """A cadre of this village by name or userid; names shared by two cadres must be given as the userid."""
    roles = await Role.filter(role__in=cadre_roles(ctx.services.policy)).prefetch_related("person")
    people = {
        r.person.id: r.person
        for r in roles
        if tree.within(r.area_id, village_id) and name in (r.person.name, r.person.userid)
    }
    if not people:
        raise UserError("visits.cadre_not_found", name=name)
    if len(people) > 1:
        raise UserError(
            "visits.cadre_ambiguous", name=name, userids="、".join(sorted(p.userid or "" for p in people.values()))
        )
    return next(iter(people.values()))
