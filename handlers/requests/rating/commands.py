"""Ratings: the reply words 满意 / 基本满意 / 不满意 (any channel) and the rating card's buttons (app)."""

from __future__ import annotations

from handlers.core.context import Context
from handlers.core.router import Router, SkipHandler
from handlers.requests.rating.card import RateKey, Rating
from handlers.requests.rating.service import rate
from handlers.requests.service import handled_as, sender_of
from handlers.tickets.cards import update_card
from models import Request
from models.request_queries import latest_of_sender
from models.request_states import RATEABLE_STATES

router = Router("requests-rating")

WORDS: dict[str, Rating] = {
    "request_rate_satisfied": "satisfied",
    "request_rate_basic": "basically_satisfied",
    "request_rate_unsatisfied": "unsatisfied",
}


async def rate_by_word(ctx: Context) -> None:
    sender = sender_of(ctx)
    reporter = await latest_of_sender(sender.channel, sender.ref, sender.person, RATEABLE_STATES)
    if reporter is None:
        if ctx.args:  # 满意… that is no rating: an ordinary message
            raise SkipHandler
        if not ctx.inbound.is_group:
            ctx.reply("requests.rate.nothing")
        return
    key = await rate(ctx.services, reporter, WORDS[ctx.command], actor=ctx.person, reason=ctx.inbound.typed(ctx.args))
    ctx.reply(key, number=(await handled_as(reporter)).number)


for command in WORDS:
    router.command(command)(rate_by_word)


@router.card(RateKey)
async def rate_by_button(ctx: Context) -> None:
    """Only the household's own card counts."""
    rating = ctx.clicked(RateKey).rating
    reporter = await Request.get_or_none(id=ctx.clicked(RateKey).request_id)
    if reporter is None or ctx.person is None or reporter.sender_id != ctx.person.id:
        ctx.reply("requests.rate.nothing")
        return
    key = await rate(ctx.services, reporter, rating, actor=ctx.person)
    ctx.reply(key, number=(await handled_as(reporter)).number)
    # The card's buttons become the chosen rating, so it no longer reads "submitted, in progress".
    await update_card(
        ctx.services,
        [ctx.inbound.sender],
        task_id=str(ctx.inbound.extra.get("task_id", "")),
        click_code=str(ctx.inbound.extra.get("response_code", "")),
        replace_name=ctx.say("requests.rate.rated", rating=ctx.say(f"requests.rate.button.{rating}")),
    )
