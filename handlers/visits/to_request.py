"""`走访 转诉求 N`: a diary entry that describes a problem becomes a request of its household, recorded and
routed by the requests feature exactly as a cadre's 代报 is (handlers/services_requests.record_request)."""

from __future__ import annotations

import re
from dataclasses import replace

from config.errors import UserError
from handlers.common.cadres import village_of_speaker
from handlers.core.context import Context
from handlers.core.router import Router
from handlers.requests.answers import where_words
from handlers.requests.relay.service import Relay, villager_sender
from handlers.requests.service import VILLAGE, record_request
from handlers.visits.service import CADRE_VISITS
from models import Person, Visit
from models.area_cache import area_required
from models.area_tree import AreaTree

router = Router("visits-to-request")


@router.command("visit", *CADRE_VISITS, sub="to_request")
async def to_request(ctx: Context) -> None:
    match = re.fullmatch(r"[#第]?(\d+)条?", ctx.args.strip())
    if match is None:
        raise UserError("visits.usage_to_request")
    entry = await Visit.get_or_none(id=int(match.group(1))).prefetch_related("household", "request")
    tree = await AreaTree.load()
    village = village_of_speaker(ctx, tree)
    if entry is None or (
        entry.cadre_id != ctx.speaker.id and not (village and tree.within(entry.household.grid_id, village.id))
    ):
        raise UserError("visits.entry_not_found", id=match.group(1))
    if entry.request is not None:
        raise UserError("visits.already_request", id=entry.id, number=entry.request.number)
    household = entry.household
    villager = await Person.filter(household_id=household.id, name=household.head).first()
    grid = await area_required(household.grid_id)
    decision = ctx.services.router().classify(entry.note)
    if not decision.is_request:  # the cadre says it is one: the village's own cadres take it first
        decision = replace(decision, is_request=True, primary=VILLAGE, also=())
    recorded = await record_request(
        ctx.services,
        villager_sender(Relay(household, villager, entry.note), grid),
        entry.note,
        decision,
        now=ctx.now,
        relayed_by=ctx.person,
    )
    recorded.request.channel = "visit"
    await recorded.request.save(update_fields=["channel"])
    entry.request = recorded.handled_as
    await entry.save(update_fields=["request_id"])
    ctx.reply(
        "visits.became_request",
        id=entry.id,
        number=recorded.handled_as.number,
        where=await where_words(ctx.services, recorded.handled_as),
    )
