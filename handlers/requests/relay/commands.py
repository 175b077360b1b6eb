"""代报 户主或姓名 内容 (1:1 with the app; grid members and village cadres): recorded for the villager, who is told
through whatever reaches them — or the cadre is asked to pass it on."""

from __future__ import annotations

from dataclasses import replace

from handlers.core.context import Context
from handlers.core.filters import Private, Roles
from handlers.core.router import Router
from handlers.requests.answers import recorded_answer, where_words
from handlers.requests.hearback import tell_reporter
from handlers.requests.relay.service import parse_relay, relay_roles, villager_sender
from handlers.requests.service import VILLAGE, record_request
from models.area_cache import area_required
from models.area_tree import AreaTree

router = Router("requests-relay")

NOT_ALLOWED = ("common.not_allowed", (("role", "requests.relay.role_name"),))


@router.command("request_relay", Private(*NOT_ALLOWED), Roles(relay_roles, *NOT_ALLOWED))
async def relay(ctx: Context) -> None:
    found = await parse_relay(ctx, list(relay_roles(ctx.services.policy)))
    grid = await area_required(found.household.grid_id)
    decision = ctx.services.router().classify(found.text)
    if not decision.is_request:
        decision = replace(decision, is_request=True, primary=VILLAGE, also=())
    recorded = await record_request(
        ctx.services, villager_sender(found, grid), found.text, decision, now=ctx.now, relayed_by=ctx.speaker
    )
    main = recorded.handled_as
    where = await where_words(ctx.services, main)
    tree = await AreaTree.load()
    ctx.reply(
        "requests.relay.recorded",
        number=main.number,
        place=tree.hamlet_name(grid.id),
        head=found.household.head,
        where=where,
    )
    route = await ctx.services.reach.reporter(recorded.request)
    if route.kind in ("grid_member", "none"):
        ctx.reply("requests.relay.tell_them")
        ctx.reply_text(await recorded_answer(ctx.services, recorded))
        return
    told = ctx.say(
        "requests.relay.to_villager", cadre=ctx.speaker.name, text=found.text, number=main.number, where=where
    )
    await tell_reporter(ctx.services, recorded.request, told, dedupe_key=f"request:{recorded.request.id}:relayed")
    ctx.reply("requests.relay.told")
