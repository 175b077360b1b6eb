"""代报: a grid member or village cadre records a request for a villager who phoned, came by, or wrote where the
bot cannot see; the household is found by head or member name within the cadre's own area."""

from __future__ import annotations

import re
from dataclasses import dataclass

from config.errors import UserError
from config.policy import Policy
from handlers.common.privacy import mask_phone
from handlers.core.context import Context
from handlers.requests.service import Sender
from models import Household, Person
from models.area_tree import AreaTree
from models.request_queries import area_ids_under, households_named

_WORDS = re.compile(r"\s+")


def relay_roles(policy: Policy) -> tuple[str, ...]:
    """Who may relay (代报): [requests] relay_roles."""
    return policy.requests.relay_roles


@dataclass(frozen=True)
class Relay:
    household: Household
    villager: Person | None  # the person named, when the roster has them
    text: str


async def cadre_area_ids(ctx: Context, roles: list[str]) -> list[int]:
    ids: list[int] = []
    for role in ctx.roles_named(*roles):
        if role.area is not None:
            ids.extend(await area_ids_under(role.area))
    return ids


async def parse_relay(ctx: Context, roles: list[str]) -> Relay:
    """`姓名 [屯名] 内容` or `户号 内容` → the one household meant; several → the cadre is asked which."""
    parts = _WORDS.split(ctx.args.strip(), maxsplit=2)
    if len(parts) < 2 or not parts[1]:
        raise UserError("requests.relay.usage")
    scope = await cadre_area_ids(ctx, roles)
    who, rest = parts[0], " ".join(parts[1:])
    tree = await AreaTree.load()
    by_code = await Household.get_or_none(code=who, grid_id__in=scope)
    candidates = [by_code] if by_code else await households_named(who, scope)
    if len(candidates) > 1 and len(parts) == 3:  # `姓名 屯名 内容` narrows it
        narrowed = [
            h
            for h in candidates
            if parts[1] in (tree.hamlet_name(h.grid_id), h.address) or h.address.startswith(parts[1])
        ]
        if narrowed:
            candidates, rest = narrowed, parts[2]
    if not candidates:
        raise UserError("requests.relay.not_found", name=who)
    if len(candidates) > 1:
        choices = [
            ctx.say(
                "requests.relay.choice",
                place=tree.hamlet_name(h.grid_id),
                head=h.head,
                phone=await household_phone(h),
                code=h.code,
            )
            for h in candidates
        ]
        raise UserError(
            "requests.relay.ambiguous",
            count=len(candidates),
            name=who,
            example=candidates[0].code,
            text=rest[:20],
            choices="\n".join(choices),
        )
    household = candidates[0]
    villager = (
        await Person.filter(household_id=household.id, name=who).first()
        or await Person.filter(household_id=household.id, name=household.head).first()
    )
    return Relay(household, villager, ctx.inbound.typed(rest))  # the words as typed


async def household_phone(household: Household) -> str:
    person = await Person.filter(household_id=household.id).exclude(mobile="").order_by("id").first()
    return mask_phone(person.mobile) if person else ""


def villager_sender(relay: Relay, grid) -> Sender:
    """The villager as the sender: how the news reaches them is worked out when there is news."""
    villager = relay.villager
    reach = {"channel": "relay"}
    if villager is not None and villager.userid:
        reach["userid"] = villager.userid
    if villager is not None and villager.external_userid:
        reach["external_userid"] = villager.external_userid
    return Sender(
        channel="relay",
        ref=(villager.userid or villager.external_userid or "") if villager else "",
        person=villager,
        household_id=relay.household.id,
        area=grid,
        chat=None,
        reply_context=reach,
    )
