"""收到 on an urgent notice: the cadre's acknowledgement is recorded once and their card says so."""

from __future__ import annotations

from handlers.core.context import Context
from handlers.core.router import Router
from handlers.tickets.cards import update_card
from handlers.urgent.notice import UrgentKey, alerted_cadres, task_id
from models import Request, TicketEvent

router = Router("urgent")


@router.card(UrgentKey)
async def acknowledge(ctx: Context) -> None:
    request = await Request.get_or_none(id=ctx.clicked(UrgentKey).request_id)
    person = ctx.person
    if (
        request is None
        or person is None
        or person.id not in {p.id for p in await alerted_cadres(ctx.services, request)}
    ):
        ctx.reply("urgent.not_yours")
        return
    earlier = await TicketEvent.filter(request_id=request.id, kind="urgent_ack", actor_id=person.id).first()
    if earlier is None:
        await TicketEvent.create(request=request, actor=person, kind="urgent_ack", at=ctx.now)
        ctx.reply("urgent.acknowledged", number=request.number)
    else:
        ctx.reply("urgent.already", number=request.number)
    # a repeated click too: the card shows the truth, 已收到, instead of its button
    await update_card(
        ctx.services,
        [ctx.inbound.sender],
        task_id=task_id(request, ctx.inbound.sender),
        click_code=str(ctx.inbound.extra.get("response_code", "")),
        replace_name=ctx.say("urgent.card_acknowledged", name=person.name),
    )
