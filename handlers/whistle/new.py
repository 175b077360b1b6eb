"""`吹哨 新 后道老村 内容 部门…`: the township blows the whistle on a matter nobody reported yet.

The request is recorded too (relayed by the committee member), so the ticket has a matter to hear back on.
"""

from __future__ import annotations

import difflib

from config.errors import UserError
from handlers.core.context import Context
from handlers.core.router import Router
from handlers.tickets.audit import record
from handlers.tickets.departments import NOT_COUNTY, DepartmentNames, Unknown
from handlers.tickets.lookup import COMMITTEE, committee_townships
from handlers.whistle.replies import ask_about_unknown, reply_whistled
from handlers.whistle.service import blow
from models import Area, Department, Request
from models.area_cache import departments_by_code
from models.area_tree import AreaTree
from models.numbers import next_number
from models.request_states import RequestState


async def _village(ctx: Context, word: str) -> Area:
    """A village (or farm, community) of the speaker's township(s) by name; a typo gets the closest name."""
    tree = await AreaTree.load()
    townships = committee_townships(ctx)
    villages = [a for t in townships for a in tree.villages_in(t)]
    found = next((v for v in villages if v.name == word or v.code == word), None)
    if found is None:
        close = difflib.get_close_matches(word, [v.name for v in villages], n=1, cutoff=0.4)
        raise UserError(
            "whistle.unknown_village",
            word=word,
            suggestion=close[0] if close else "、".join(v.name for v in villages[:5]),
        )
    return found


router = Router("whistle-new")


@router.command("whistle", COMMITTEE, sub="new")
async def new_matter(ctx: Context) -> None:
    words = ctx.args.split()
    if len(words) < 2:
        raise UserError("whistle.usage_new")
    village = await _village(ctx, words[0])
    names = await DepartmentNames.load()
    body = words[1:]
    departments: list[Department] = []
    unknown: list[Unknown] = []
    while body and ((department := names.get(body[-1])) is not None or names.looks_like_a_department(body[-1])):
        word = body.pop()
        if department is None:
            close = names.closest(word)
            unknown.insert(0, Unknown(word, (close,) if close else names.suggest(word)))
        elif department not in departments:
            departments.insert(0, department)
    if unknown and not departments:  # what they meant is unknown: record nothing yet
        raise names.unknown_error(unknown[0])
    text = " ".join(body)
    if not text:
        raise UserError("whistle.usage_new")
    decision = ctx.services.router().classify(text)
    if not departments:
        codes = [c for c in (decision.primary, *decision.also) if c not in NOT_COUNTY]
        by_code = await departments_by_code(codes)
        departments = [by_code[c] for c in codes if c in by_code]
    if not departments:
        raise UserError("whistle.no_department")
    now = ctx.now
    request = await Request.create(
        number=await next_number(),
        text=text,
        channel="relay",
        sender_ref="",
        relayed_by_id=ctx.speaker.id,
        area_id=village.id,
        status=RequestState.RECORDED,
        primary=departments[0].code,
        also=[d.code for d in departments[1:]],
        urgency=decision.urgency,
        keywords=list(decision.keywords),
        created_at=now,
        updated_at=now,
    )
    await record("recorded", now, request=request, actor=ctx.speaker, reason="吹哨 新", source="whistle_new")
    ticket = await blow(ctx.services, request, departments, actor=ctx.speaker)
    assert ticket is not None, "a request recorded just now is still whistleable"
    reply_whistled(ctx, ticket, request, departments, "whistle.done_new", place=village.name)
    ask_about_unknown(ctx, request, unknown)
