"""Villagers' requests (诉求): every message that is no command, `报事 …` to insist, `我的诉求` to see one's own."""

from __future__ import annotations

from handlers.common.format import summary
from handlers.common.privacy import mask_private
from handlers.core.context import Context
from handlers.core.router import Router
from handlers.requests.intake import take_message
from handlers.requests.kf.service import ask_who_once
from handlers.requests.lately import read_quiet_senders
from handlers.requests.service import handled_as, sender_of
from models import Request
from models.request_queries import own_requests
from models.request_states import FINISHED

router = Router("requests")
router.batch()(read_quiet_senders)


@router.text()
async def free_text(ctx: Context) -> None:
    await take_message(ctx)
    await ask_who_once(ctx)


@router.command("request_force")
async def force(ctx: Context) -> None:
    """报事 …: what follows is recorded as a request even when the router thinks it is none."""
    if not ctx.args:
        ctx.reply("requests.force_usage")
        return
    await take_message(ctx, ctx.inbound.typed(ctx.args), force=True)  # stored as typed, not width-folded
    await ask_who_once(ctx)


def shown_status(own: Request, main: Request) -> str:
    """A merged report stands as the request it was merged into, until it is resolved for this household."""
    return own.status if own.status in FINISHED else main.status


@router.command("request_mine")
async def mine(ctx: Context) -> None:
    """我的诉求: the sender's own requests only, newest first."""
    sender = sender_of(ctx)
    limit = ctx.services.policy.requests.my_requests_limit
    found = await own_requests(sender.channel, sender.ref, sender.person, limit)
    if not found:
        ctx.reply("requests.mine.none")
        return
    lines = [ctx.say("requests.mine.header", count=len(found))]
    for request in found:
        main = await handled_as(request)
        lines.append(
            ctx.say(
                "requests.mine.line",
                number=main.number,
                date=request.created_at.strftime("%m-%d"),
                summary=summary(request.text),
                status=ctx.say(f"requests.status_name.{shown_status(request, main)}"),
            )
        )
    text = "\n".join(lines)
    if ctx.inbound.is_group and ctx.person is not None and ctx.person.userid:
        await ctx.services.reach.person(ctx.person.userid, text=text)  # a group must not read someone's list
        ctx.reply("requests.mine.sent_privately")
        return
    ctx.reply_text(mask_private(text) if ctx.inbound.is_group else text)
