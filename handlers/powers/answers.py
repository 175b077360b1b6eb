"""A villager's question answered from the small-powers list: the village's own answer (who, what to bring,
where, how long), and the request recorded as answered at once, sent to no department. 满意 closes it;
没解决 / 不满意 makes it an ordinary request, sent where the routing decided (the grid, or the township)."""

from __future__ import annotations

from handlers.core.context import Context, Services
from handlers.powers.matching import Match
from handlers.powers.people import SECRETARY, names, post_name
from handlers.requests.service import Sender, forward, new_request
from models import Area, Person, PowerAnswer, Request
from models.lifecycle import Event
from models.posts import holders
from models.request_states import RequestState, move_request
from nlp.router import Decision

ANSWERED_EVENT = "answered_from_list"


async def answer_question(
    ctx: Context, sender: Sender, text: str, decision: Decision, match: Match, village: Area
) -> Request:
    """Record the question as a request answered from the list, and reply with the village's own answer."""
    now = ctx.now
    request = await new_request(sender, text, decision, now=now)
    item = match.item
    answered = Event(ANSWERED_EVENT, request=request, data={"item": item.code, "words": list(match.words)})
    await move_request(request, RequestState.ANSWERED, now, event=answered)
    await PowerAnswer.create(request=request, item=item.code, village=village, at=now)
    ctx.reply_text(await answer_text(ctx.services, match, village, request.number))
    return request


async def answer_text(services: Services, match: Match, village: Area, number: int) -> str:
    item, texts = match.item, services.texts
    people = await holders(village.id, item.post)
    if people:
        who = texts.render("powers.answer.who", post=post_name(item.post), people=names(people))
    else:
        secretaries = await holders(village.id, SECRETARY)
        who = texts.render(
            "powers.answer.who_unknown",
            post=post_name(item.post),
            secretary=names(secretaries) or texts.render("powers.answer.village_office"),
        )
    return texts.render(
        "powers.answer.text",
        item=item.name,
        village=village.name,
        who=who,
        bring="、".join(item.bring) or texts.render("powers.answer.bring_nothing"),
        where=item.where,
        time_limit=item.time_limit,
        basis=item.basis,
        number=number,
    )


async def unsolved(services: Services, request: Request, *, actor: Person | None, reason: str) -> None:
    """没解决 / 不满意: the list's answer was not enough; the request goes where an ordinary one goes."""
    now = services.clock.now()
    event = Event("answer_unsolved", request=request, actor=actor, reason=reason)
    if await move_request(request, RequestState.RECORDED, now, event=event, only_from=(RequestState.ANSWERED,)):
        await forward(services, request, now)


async def satisfied(services: Services, request: Request, rating: str, *, actor: Person | None) -> bool:
    now = services.clock.now()
    rated = Event("rated", request=request, actor=actor, data={"rating": rating, "from_request": request.id})
    moved = await move_request(
        request, RequestState.CLOSED, now, event=rated, only_from=(RequestState.ANSWERED,), satisfaction=rating
    )
    return moved is not None
