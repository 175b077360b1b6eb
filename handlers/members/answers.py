"""`答复 #1042 …`: a member of the request's grid, or one of its cadres, answers a villager's question through
the bot. The answer reaches the villager as any news of their request does, and is counted for whoever gave it."""

from __future__ import annotations

import re

from config.errors import UserError
from handlers.core.context import Context
from handlers.members.claims import who_is
from handlers.requests.hearback import tell_requester
from models import Request
from models.area_tree import AreaTree
from models.lifecycle import Event
from models.members import MEMBER_ROLE, MemberAnswer

_NUMBER_AND_TEXT = re.compile(r"^[#＃]?(\d{1,9})号?\s+(.+)$", re.S)


async def answer(ctx: Context) -> None:
    match = _NUMBER_AND_TEXT.match(ctx.args.strip())
    if match is None:
        raise UserError("members.usage_answer")
    number, text = int(match.group(1)), ctx.inbound.typed(match.group(2).strip())
    request = await Request.get_or_none(number=number)
    if request is None:
        raise UserError("tasks.request_not_found", number=number)
    if request.merged_into_id:
        request = await Request.get(id=request.merged_into_id)
    tree = await AreaTree.load()
    roles = ctx.roles_named(MEMBER_ROLE, *ctx.services.policy.members.answer_roles)
    if request.area_id is None or not any(
        role.area_id is not None and tree.within(request.area_id, role.area_id) for role in roles
    ):
        raise UserError("members.answer_outside", number=request.number)
    given = await MemberAnswer.create(request=request, person=ctx.speaker, text=text, at=ctx.now)
    await Event("answered", request=request, actor=ctx.speaker, reason=text).write(ctx.now)
    news = ctx.say("members.answer_news", who=await who_is(ctx.services, ctx.speaker), text=text)
    await tell_requester(ctx.services, request, news, dedupe_key=f"members:answer:{given.id}")
    count = await MemberAnswer.filter(
        person=ctx.speaker, at__gte=ctx.now.replace(month=1, day=1, hour=0, minute=0)
    ).count()
    ctx.reply("members.answered", number=request.number, count=count)
