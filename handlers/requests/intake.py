"""One message from a villager, whatever the channel: a burst's next piece, a follow-up, a new request, a photo
for their request, or not a request at all (kept for the grid member's daily list)."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Literal

from handlers.common.privacy import mask_private
from handlers.core.context import Context
from handlers.requests.answers import department_names, followup_answer, recorded_answer
from handlers.requests.burst import bounded_run, is_full, parts_of
from handlers.requests.lately import quiet
from handlers.requests.service import (
    VILLAGE,
    Sender,
    add_words,
    append_to_request,
    handled_as,
    record_request,
    sender_of,
)
from models import Attachment, NonRequest, Request, TicketEvent
from models.request_queries import latest_of_sender, open_requests_of_sender, recent_non_requests
from models.request_states import OPEN_STATES, RATEABLE_STATES, STILL_BEING_SAID
from nlp.router import Decision

MEDIA_KINDS = ("image", "file")


def answer(ctx: Context, text: str) -> None:
    """Replies in a group never show a phone number, ID number or house number in full."""
    ctx.reply_text(mask_private(text) if ctx.inbound.is_group else text)


async def take_message(ctx: Context, text: str | None = None, *, force: bool = False) -> Request | None:
    """Record or answer one message; returns the request it became part of, if any."""
    if ctx.inbound.kind in MEDIA_KINDS:
        return await take_media(ctx)
    services, sender = ctx.services, sender_of(ctx)
    text = (ctx.inbound.text if text is None else text).strip()  # as typed: the router folds widths itself
    if not text:  # an empty or blank text, or a voice WeCom heard no words in: no photo to speak of
        if not ctx.inbound.is_group:
            ctx.reply("requests.voice_unheard" if ctx.inbound.kind == "voice" else "requests.empty")
        return None
    rules = services.policy.requests
    router = services.router()
    decision = router.classify(text)  # this piece alone: a burst's next piece costs only its own words
    said_nothing = quiet(ctx)  # as read for the whole batch: neither question needs asking
    pending = None
    if not said_nothing:
        pending = await latest_of_sender(
            sender.channel, sender.ref, sender.person, STILL_BEING_SAID, since=ctx.now - rules.burst
        )
    if pending is not None and not ends_a_burst(ctx, text, decision):
        if pending.merged_into_id is not None:  # more words about a matter already merged: kept, nothing re-sent
            if not is_full(pending, 0, text, rules):
                await add_words(pending, text, ctx.now)
                ctx.reply("requests.appended", number=(await handled_as(pending)).number)
                return pending
        elif not is_full(pending, len(parts := await parts_of(pending)), text, rules):
            moved = await append_to_request(services, pending, text, decision, parts, now=ctx.now)
            if moved:
                ctx.reply("requests.appended_moved", number=pending.number, departments=await department_names(pending))
            else:
                ctx.reply("requests.appended", number=pending.number)
            return pending
        # The burst is as long as a request may grow: this piece starts a new one, about the same matter
        # unless its own words say otherwise.
        if not decision.is_request:
            decision = replace(decision, is_request=True, primary=pending.primary, also=tuple(pending.also))
        return await start_request(ctx, sender, text, decision, (), same_matter=False)
    if decision.is_followup and not force:
        found = await take_followup(ctx, sender, decision)
        if found is not False:
            return found
    earlier = [] if said_nothing else await recent_non_requests(sender.channel, sender.ref, ctx.now, rules.burst)
    run = bounded_run(earlier, text, rules)
    said = " ".join([row.text for row in run if row.text] + [text])
    if run:
        decision = router.classify(said)
    if force and not decision.is_request:
        decision = replace(decision, is_request=True, primary=VILLAGE, also=())
    if not decision.is_request:
        await keep_non_request(ctx, sender, text)
        if not ctx.inbound.is_group:
            ctx.reply("requests.not_request")
        elif not only_thanks(ctx, text):  # a group message reaches the bot only when it is @-mentioned
            ctx.reply("requests.not_request_group")
        return None
    return await start_request(ctx, sender, said, decision, run)


async def start_request(
    ctx: Context,
    sender: Sender,
    text: str,
    decision: Decision,
    run: list[NonRequest] | tuple[()],
    *,
    same_matter: bool = True,
) -> Request:
    """A new request from `text` (the not-request messages of `run` joined in), answered where it was said."""
    services = ctx.services
    recorded = await record_request(
        services,
        sender,
        text,
        decision,
        now=ctx.now,
        absorbed=run,
        check_same_matter=same_matter,
        in_backlog=ctx.in_backlog,
    )
    answer(ctx, await recorded_answer(services, recorded))
    return recorded.request


def ends_a_burst(ctx: Context, text: str, decision: Decision) -> bool:
    """收到 / 谢谢 / 你好 after a request is no more of it: a message that is not a request by itself (`decision`)
    and carries a word of the routing table's cue groups named in [requests] burst_breakers."""
    router = ctx.services.router()
    if decision.is_request:
        return False
    groups = set(ctx.services.policy.requests.burst_breakers)
    folded = text.lower()
    return any(word.lower() in folded for group in router.table.cues if group.name in groups for word in group.words)


# The routing table's cue groups that are all a group member says when they only thank or acknowledge.
THANKS_CUES = ("thanks", "ack")
_NOT_WORDS = re.compile(r"[\W_]+")


def only_thanks(ctx: Context, text: str) -> bool:
    """收到 / 谢谢 / 好的，辛苦了: nothing but words of acknowledgement and thanks (and punctuation), which need
    no answer in a group; 今天天气真好 is more than that."""
    words = sorted(
        (w.lower() for g in ctx.services.router().table.cues if g.name in THANKS_CUES for w in g.words),
        key=len,
        reverse=True,
    )
    rest = text.lower()
    for word in words:
        rest = rest.replace(word, " ")
    return not _NOT_WORDS.sub("", rest)


async def take_followup(ctx: Context, sender: Sender, decision: Decision) -> Request | None | Literal[False]:
    """A follow-up about the sender's own open request: answered with its status. False: treat it as new."""
    mine = await open_requests_of_sender(sender.channel, sender.ref, sender.person)
    if not mine:
        rateable = await latest_of_sender(sender.channel, sender.ref, sender.person, RATEABLE_STATES)
        mine = [rateable] if rateable else []
    if not mine:
        if decision.keywords:
            return False
        ctx.reply("requests.followup_none")
        return None
    same = [r for r in mine if r.primary == decision.primary]
    if decision.keywords and not same:
        return False  # it names another matter
    request = (same or mine)[0]
    await TicketEvent.create(
        request_id=request.merged_into_id or request.id,
        kind="followup",
        at=ctx.now,
        data={"text": ctx.inbound.text, "from_request": request.id},
    )
    answer(ctx, await followup_answer(ctx.services, request))
    return request


async def take_media(ctx: Context) -> Request | None:
    """A photo or file is evidence for the sender's latest open request; before any request, it waits (as a
    non-request) for the words that follow it."""
    sender = sender_of(ctx)
    media_id = str(ctx.inbound.extra.get("media_id", ""))
    request = await latest_of_sender(sender.channel, sender.ref, sender.person, OPEN_STATES + RATEABLE_STATES)
    if request is None:
        await keep_non_request(ctx, sender, "", media_id=media_id)
        if not ctx.inbound.is_group:
            ctx.reply("requests.media_alone")
        return None
    await Attachment.create(request=request, kind=ctx.inbound.kind, media_id=media_id, created_at=ctx.now)
    await TicketEvent.create(
        request_id=request.merged_into_id or request.id,
        kind="attachment",
        at=ctx.now,
        data={"kind": ctx.inbound.kind, "media_id": media_id, "from_request": request.id},
    )
    main_number = (await Request.get(id=request.merged_into_id)).number if request.merged_into_id else request.number
    ctx.reply("requests.attached", number=main_number)
    return request


async def keep_non_request(ctx: Context, sender: Sender, text: str, *, media_id: str = "") -> NonRequest:
    return await NonRequest.create(
        channel=sender.channel,
        sender_ref=sender.ref,
        sender=sender.person,
        area=sender.area,
        kind=ctx.inbound.kind,
        text=text[:500],
        media_id=media_id,
        created_at=ctx.now,
    )
