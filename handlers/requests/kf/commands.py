"""Customer-service villagers: `我是 姓名 屯名` once, and the grid member's one-tap confirmation card."""

from __future__ import annotations

from config.errors import UserError
from handlers.core.context import Context
from handlers.core.router import Router, SkipHandler
from handlers.requests.intake import take_message
from handlers.requests.kf.service import KfLinkKey, claim, confirm, is_unlinked_kf

router = Router("requests-kf")


@router.command("request_whoami")
async def whoami(ctx: Context) -> None:
    """Only an unlinked kf villager introduces themselves; from anyone else 我是… is an ordinary message. When the
    words name no household but do say something is wrong (我是三屯的，桥塌了), they are recorded as said."""
    if not is_unlinked_kf(ctx):
        raise SkipHandler
    try:
        await claim(ctx)
    except UserError:
        if not ctx.services.router().classify(ctx.text).is_request:
            raise
        await take_message(ctx)


@router.card(KfLinkKey)
async def confirm_button(ctx: Context) -> None:
    key = ctx.clicked(KfLinkKey)
    await confirm(ctx, key.external_userid, key.answer == "yes")
