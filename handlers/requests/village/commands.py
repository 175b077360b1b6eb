"""Matters the grid keeps: the village card's 办结 / 上报乡镇 buttons, and the same as words
(`村办结 #1042 说明`, `上报乡镇 #1042 原因`, and plain `办结 #1042` for a matter the grid keeps)."""

from __future__ import annotations

from config.errors import UserError
from handlers.common.numbers import leading_number
from handlers.core.context import Context
from handlers.core.router import Router, SkipHandler
from handlers.requests.hearback import request_resolved
from handlers.requests.village.service import VillageKey, escalate, settle_village_cards, village_request_for
from models import Request
from models.request_states import HANDLED_BY_VILLAGE

router = Router("requests-village")


async def act(ctx: Context, action: str, request: Request, note: str, click_code: str = "") -> None:
    if request.status not in HANDLED_BY_VILLAGE:
        raise UserError(
            "requests.village.not_open", number=request.number, status=ctx.say(f"requests.status_name.{request.status}")
        )
    assert ctx.person is not None
    if action == "close":
        await request_resolved(
            ctx.services,
            request,
            note or ctx.say("requests.village.closed_note"),
            dedupe_key=f"request:{request.id}:village-closed:{ctx.now.isoformat()}",
            actor=ctx.person,
        )
        ctx.reply("requests.village.closed", number=request.number)
    else:
        await escalate(ctx.services, request, ctx.person, note)
        ctx.reply("requests.village.escalated", number=request.number)
    await request.refresh_from_db()
    if request.status not in HANDLED_BY_VILLAGE:  # (not when another cadre acted a moment before)
        label = ctx.say(f"requests.village.card_{'closed' if action == 'close' else 'escalated'}", name=ctx.person.name)
        await settle_village_cards(ctx.services, request, label, click=(ctx.inbound.sender, click_code))


@router.card(VillageKey)
async def village_button(ctx: Context) -> None:
    key = ctx.clicked(VillageKey)
    request = await village_request_for(ctx.person, request_id=key.request_id)
    await act(ctx, key.action, request, "", click_code=str(ctx.inbound.extra.get("response_code", "")))


async def by_words(ctx: Context, action: str) -> None:
    found = leading_number(ctx.args)
    if found is None:
        raise UserError("requests.village.usage")
    number, note = found
    await act(ctx, action, await village_request_for(ctx.person, number=number), ctx.inbound.typed(note))


@router.command("request_village_close")
async def close_by_words(ctx: Context) -> None:
    await by_words(ctx, "close")


@router.command("request_village_escalate")
async def escalate_by_words(ctx: Context) -> None:
    await by_words(ctx, "escalate")


@router.command("duty_done")
async def done_by_words(ctx: Context) -> None:
    """A grid member naturally types 办结 for a matter the grid keeps: closed as 村办结 would; any other number
    is a department's ticket (the duty feature's)."""
    found = leading_number(ctx.args)
    if found is None or not await Request.filter(number=found[0], status__in=HANDLED_BY_VILLAGE).exists():
        raise SkipHandler
    await by_words(ctx, "close")
