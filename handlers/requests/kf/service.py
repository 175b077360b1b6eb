"""Who is this? A customer-service villager names themselves once (`我是 姓名 屯名`); their grid member confirms
with one tap, and from then on their requests are recorded against their household."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar, Literal

from bot.channels.types import Button, Card
from config.errors import UserError
from handlers.common.privacy import mask_private
from handlers.core.card_keys import CardKey
from handlers.core.context import Context
from models import Household, KfCustomer, KfLink, Person, Request
from models.area_cache import area_required
from models.area_tree import AreaTree
from models.request_queries import ancestor_at, area_ids_under, households_named, people_with_role

_SPLIT = re.compile(r"[\s,，、;；]+")


@dataclass(frozen=True)
class KfLinkKey(CardKey):
    """The grid member's confirmation buttons: `kflink:<yes|no>:<external userid>`."""

    scheme: ClassVar[str] = "kflink"
    answer: Literal["yes", "no"]
    external_userid: str


def is_unlinked_kf(ctx: Context) -> bool:
    return ctx.inbound.channel == "kf" and ctx.person is None


async def ask_who_once(ctx: Context) -> None:
    """The first time an unknown kf villager writes, ask for name and hamlet (once, not on every message)."""
    if not is_unlinked_kf(ctx):
        return
    _, created = await KfLink.get_or_create(external_userid=ctx.inbound.sender, defaults={"updated_at": ctx.now})
    if created:
        ctx.reply("requests.kf.ask_who")


async def claim(ctx: Context) -> None:
    """我是 姓名 屯名: find the household in the villager's village and ask the grid member to confirm."""
    words = [w for w in _SPLIT.split(ctx.args) if w]
    if not words:
        raise UserError("requests.kf.claim_usage")
    name, place = words[0], "".join(words[1:])
    village = await ancestor_at(ctx.area, "village")
    scope = await area_ids_under(village) if village else []
    tree = await AreaTree.load()
    candidates = await households_named(name, scope)
    if place and len(candidates) > 1:
        candidates = [
            h for h in candidates if place in tree.hamlet_name(h.grid_id) or h.address.startswith(place)
        ] or candidates
    if not candidates:
        raise UserError("requests.kf.claim_unknown", name=name)
    household = candidates[0]
    link, _ = await KfLink.get_or_create(external_userid=ctx.inbound.sender, defaults={"updated_at": ctx.now})
    link.state, link.claimed_name, link.claimed_place = "claimed", name, place
    link.household, link.updated_at = household, ctx.now
    await link.save()
    texts = ctx.services.texts
    card = Card(
        task_id=f"kflink-{link.external_userid[-20:]}-{int(ctx.now.timestamp())}",
        title=texts.render("requests.kf.card_title"),
        description=texts.render("requests.kf.card_description", name=name, place=place or "—"),
        fields=(
            (
                texts.render("requests.kf.card_household"),
                f"{tree.hamlet_name(household.grid_id)} {household.head}户 {mask_private(household.address)}",
            ),
        ),
        buttons=(
            Button(key=str(KfLinkKey("yes", link.external_userid)), text=texts.render("requests.kf.button_yes")),
            Button(key=str(KfLinkKey("no", link.external_userid)), text=texts.render("requests.kf.button_no"), style=2),
        ),
    )
    grid = await area_required(household.grid_id)
    members = [p.userid for p in await people_with_role(grid, "grid_member") if p.userid]
    await ctx.services.reach.people(
        members, card=card, dedupe_key=f"kflink:{link.external_userid}:{household.id}:{int(ctx.now.timestamp())}"
    )
    ctx.reply("requests.kf.claim_sent")


async def confirm(ctx: Context, external_userid: str, yes: bool) -> None:
    """The grid member's tap: link the villager to the household (for good), or turn the claim down."""
    link = await KfLink.get_or_none(external_userid=external_userid)
    if link is None or link.state != "claimed" or link.household_id is None:
        ctx.reply("requests.kf.cadre_done")
        return
    household = await Household.get(id=link.household_id)
    grid = await area_required(household.grid_id)
    if ctx.person is None or ctx.person.id not in {p.id for p in await people_with_role(grid, "grid_member")}:
        raise UserError("requests.village.not_yours", number="")
    link.updated_at = ctx.now
    if not yes:
        link.state = "refused"
        await link.save()
        await ctx.services.reach.customer_service(
            external_userid, ctx.say("requests.kf.refused"), dedupe_key=f"kflink:{external_userid}:refused"
        )
        ctx.reply("requests.kf.cadre_refused", name=link.claimed_name, head=household.head)
        return
    person = await link_person(external_userid, link.claimed_name, household)
    link.state = "linked"
    await link.save()
    await KfCustomer.filter(external_userid=external_userid).update(person_id=person.id)
    await Request.filter(channel="kf", sender_ref=external_userid, sender_id=None).update(
        sender_id=person.id, household_id=household.id
    )
    await ctx.services.reach.customer_service(
        external_userid,
        ctx.say("requests.kf.linked", head=household.head),
        dedupe_key=f"kflink:{external_userid}:linked",
    )
    ctx.reply("requests.kf.cadre_linked", name=link.claimed_name, head=household.head, code=household.code)


async def link_person(external_userid: str, name: str, household: Household) -> Person:
    """The household's member of that name gets the kf id; a member not on the roster is added."""
    person = await Person.filter(household_id=household.id, name=name, external_userid=None).first()
    if person is None:
        return await Person.create(name=name, household=household, external_userid=external_userid)
    person.external_userid = external_userid
    await person.save(update_fields=["external_userid"])
    return person
