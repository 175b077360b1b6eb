"""Matters the grid keeps: the village card's 办结 / 上报乡镇 buttons, and the same as words
(`村办结 #1042 说明`, `上报乡镇 #1042 原因`)."""

from __future__ import annotations

import re

from config.errors import UserError
from handlers.core.context import Context, HandlerRouter
from handlers.requests.hearback import request_resolved
from handlers.requests.village.service import CARD_PREFIX, escalate, village_request_for
from models import Request

router = HandlerRouter("requests-village")

HANDLED_BY_VILLAGE = ("kept_in_grid",)
_NUMBER = re.compile(r"^#?\s*(\d+)\s*(.*)$", re.S)


async def act(ctx: Context, action: str, request: Request, note: str) -> None:
    if request.status not in HANDLED_BY_VILLAGE:
        raise UserError("requests.village.not_open", number=request.number,
                        status=ctx.say(f"requests.status_name.{request.status}"))
    assert ctx.person is not None
    if action == "close":
        await request_resolved(ctx.services, request, note or ctx.say("requests.village.closed_note"),
                               dedupe_key=f"request:{request.id}:village-closed:{ctx.now.isoformat()}", actor=ctx.person)
        ctx.reply("requests.village.closed", number=request.number)
    else:
        await escalate(ctx.services, request, ctx.person, note)
        ctx.reply("requests.village.escalated", number=request.number)


@router.card(CARD_PREFIX)
async def village_button(ctx: Context) -> None:
    _, action, request_id = str(ctx.inbound.extra.get("event_key", "")).split(":", 2)
    await act(ctx, action, await village_request_for(ctx.person, request_id=int(request_id)), "")


async def by_words(ctx: Context, action: str) -> None:
    found = _NUMBER.match(ctx.args)
    if found is None:
        raise UserError("requests.village.usage")
    request = await village_request_for(ctx.person, number=int(found.group(1)))
    await act(ctx, action, request, found.group(2).strip())


@router.command("request_village_close")
async def close_by_words(ctx: Context) -> None:
    await by_words(ctx, "close")


@router.command("request_village_escalate")
async def escalate_by_words(ctx: Context) -> None:
    await by_words(ctx, "escalate")
