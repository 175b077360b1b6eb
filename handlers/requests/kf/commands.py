"""Customer-service villagers: `我是 姓名 屯名` once, and the grid member's one-tap confirmation card."""

from __future__ import annotations

from config.errors import UserError
from handlers.core.context import Context, HandlerRouter
from handlers.requests.intake import take_message
from handlers.requests.kf.service import CARD_PREFIX, claim, is_unlinked_kf, confirm

router = HandlerRouter("requests-kf")


@router.command("request_whoami")
async def whoami(ctx: Context) -> None:
    """Only an unlinked kf villager introduces themselves; from anyone else, or when the words name no household
    but do say something is wrong (我是三屯的，桥塌了), 我是… is an ordinary message."""
    if not is_unlinked_kf(ctx):
        await take_message(ctx)
        return
    try:
        await claim(ctx)
    except UserError:
        if not ctx.services.router().classify(ctx.text).is_request:
            raise
        await take_message(ctx)


@router.card(CARD_PREFIX)
async def confirm_button(ctx: Context) -> None:
    _, answer, external_userid = str(ctx.inbound.extra.get("event_key", "")).split(":", 2)
    await confirm(ctx, external_userid, answer == "yes")
