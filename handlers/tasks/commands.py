"""实事: a cadre registers, follows up and finishes their 2–3 practical tasks a year, 1:1 with the app.

`实事 <subcommand> …`; the subcommand words are data ([subcommands.tasks] in config/commands.toml).
"""

from __future__ import annotations

import re

from config.errors import UserError
from handlers.common.cadres import cadre_work, is_cadre, village_of_speaker
from handlers.core.context import Context
from handlers.core.filters import AppPrivate
from handlers.core.router import Router, SkipHandler
from handlers.members import claims
from handlers.tasks import service as tasks
from handlers.tasks.stats import show_stats
from handlers.tasks.targets import split_target
from models import Request
from models.area_tree import AreaTree
from models.tasks_queries import OPEN_STATES

router = Router("tasks")

_NUMBER = re.compile(r"^[#第]?(\d{1,4})件?$")
APP_ONLY = AppPrivate("tasks.app_only")
CADRE_WORK = cadre_work("tasks.app_only", "tasks.not_cadre")


@router.command("tasks", APP_ONLY)
async def usage(ctx: Context) -> None:
    raise UserError("tasks.usage")


@router.command("tasks", APP_ONLY, sub="stats")
async def stats(ctx: Context) -> None:
    """Village secretaries and the township committee, who need not be cadres themselves."""
    await show_stats(ctx)


def _number_and_text(rest: str, usage: str, *, text_required: bool) -> tuple[int, str]:
    head, _, text = rest.partition(" ")
    match = _NUMBER.match(head.strip())
    if match is None or (text_required and not text.strip()):
        raise UserError(usage)
    return int(match.group(1)), text.strip()


def _number_and_typed(ctx: Context, usage: str) -> tuple[int, str]:
    """`#3 what was done` → (3, the text as typed: full-width punctuation kept)."""
    seq, text = _number_and_text(ctx.args, usage, text_required=True)
    return seq, ctx.inbound.typed(text)


def _quota(ctx: Context) -> tasks.Quota:
    return tasks.Quota.from_policy(ctx.services.policy.tasks)


@router.command("tasks", *CADRE_WORK, sub="register")
async def register(ctx: Context) -> None:
    rest = ctx.args
    if not rest:
        raise UserError("tasks.usage_register")
    tree = await AreaTree.load()
    village = village_of_speaker(ctx, tree)
    title, description, household, grid = await split_target(rest, village, tree)
    area = (await household.grid if household else None) or grid or ctx.area
    task = await tasks.register(
        ctx.speaker,
        year=ctx.now.year,
        title=title,
        description=description,
        household=household,
        area=area,
        now=ctx.now,
    )
    tally = (await tasks.tallies(ctx.now.year, [ctx.speaker.id])).get(ctx.speaker.id, tasks.Tally())
    ctx.reply("tasks.registered", seq=task.seq, title=task.title, registered=tally.registered, quota=_quota(ctx))


@router.command("tasks", *CADRE_WORK, sub="list")
async def show_list(ctx: Context) -> None:
    year = ctx.now.year
    mine = await tasks.PracticalTask.filter(cadre=ctx.speaker, year=year).order_by("seq")
    tally = (await tasks.tallies(year, [ctx.speaker.id])).get(ctx.speaker.id, tasks.Tally())
    lines = [ctx.say("tasks.list_header", year=year, quota=_quota(ctx), registered=tally.registered, done=tally.done)]
    for t in mine:
        lines.append(ctx.say("tasks.list_item", seq=t.seq, title=t.title, status=ctx.say(f"tasks.status_{t.status}")))
        held = await claims.held_by(t) if t.status in OPEN_STATES else []
        if held:  # the villagers' requests this 实事 answers (认领, 并入)
            lines.append(ctx.say("tasks.list_requests", numbers="、".join(f"#{r.number}" for r in held)))
    if not mine:
        lines.append(ctx.say("tasks.list_empty"))
    ctx.reply_text("\n".join(lines))


@router.command("tasks", *CADRE_WORK, sub="progress")
async def progress(ctx: Context) -> None:
    seq, text = _number_and_typed(ctx, "tasks.usage_progress")
    task = await tasks.find(ctx.speaker, ctx.now.year, seq)
    await tasks.add_progress(task, text, ctx.now)
    ctx.reply("tasks.progress_saved", seq=seq, title=task.title)


@router.command("tasks", *CADRE_WORK, sub="done")
async def finish(ctx: Context) -> None:
    seq, text = _number_and_typed(ctx, "tasks.usage_done")
    task = await tasks.find(ctx.speaker, ctx.now.year, seq)
    await tasks.finish(task, text, ctx.now)
    await claims.task_finished(ctx.services, task, ctx.speaker)  # a claimed request is 办结 with it
    tally = (await tasks.tallies(ctx.now.year, [ctx.speaker.id]))[ctx.speaker.id]
    ctx.reply(
        "tasks.done_saved",
        seq=seq,
        title=task.title,
        done=tally.done,
        quota=_quota(ctx),
        minutes=ctx.services.policy.tasks.photo_window_minutes,
    )


_ONE_CLAIM = re.compile(r"^[#＃](\d{1,9})号?(?:\s+(.*))?$", re.S)


@router.command("tasks", *CADRE_WORK, sub="cancel")
async def cancel(ctx: Context) -> None:
    """`实事 撤销 2 原因` cancels the task (its claimed requests go back); `实事 撤销 2 #1042 [原因]` gives back
    that one request and keeps the task."""
    seq, rest = _number_and_text(ctx.args, "tasks.usage_cancel", text_required=True)
    one = _ONE_CLAIM.match(rest)
    if one is not None:
        await _give_back_one(ctx, seq, int(one.group(1)), ctx.inbound.typed((one.group(2) or "").strip()))
        return
    seq, reason = _number_and_typed(ctx, "tasks.usage_cancel")
    task = await tasks.find(ctx.speaker, ctx.now.year, seq)
    await tasks.cancel(task, reason, ctx.now)
    await claims.task_cancelled(ctx.services, task, ctx.speaker)  # a claimed request goes back to the grid
    ctx.reply("tasks.cancelled", seq=seq, title=task.title)


@router.command("tasks", *CADRE_WORK, sub="claim")
async def claim(ctx: Context) -> None:
    match = re.fullmatch(r"#?(\d+)", ctx.args.strip())
    if match is None:
        raise UserError("tasks.usage_claim")
    number = int(match.group(1))
    request = await Request.get_or_none(number=number)
    if request is None:
        raise UserError("tasks.request_not_found", number=number)
    tree = await AreaTree.load()
    village = village_of_speaker(ctx, tree)
    if request.area_id is not None and (village is None or not tree.within(request.area_id, village.id)):
        raise UserError("tasks.claim_outside", number=number)
    task, _ = await claims.claim(ctx.services, ctx.speaker, request)  # a real claim: the request becomes `claimed`
    ctx.reply("tasks.claimed", seq=task.seq, number=number, title=task.title)


@router.command("tasks", *CADRE_WORK, sub="claim_into")
async def claim_into(ctx: Context) -> None:
    """`实事 并入 2 #1042`: the request is claimed as part of the speaker's open 实事 2 (which then holds several)."""
    seq, rest = _number_and_text(ctx.args, "tasks.usage_claim_into", text_required=True)
    match = re.fullmatch(r"[#＃]?(\d{1,9})号?", rest)
    if match is None:
        raise UserError("tasks.usage_claim_into")
    number = int(match.group(1))
    task = await tasks.find(ctx.speaker, ctx.now.year, seq)
    request = await _claimable_here(ctx, number)
    _, claimed = await claims.claim(ctx.services, ctx.speaker, request, into=task)
    held = await claims.held_by(task)
    ctx.reply("tasks.claimed_into", number=claimed.number, seq=task.seq, title=task.title, count=len(held))


async def _claimable_here(ctx: Context, number: int) -> Request:
    request = await Request.get_or_none(number=number)
    if request is None:
        raise UserError("tasks.request_not_found", number=number)
    tree = await AreaTree.load()
    village = village_of_speaker(ctx, tree)
    if request.area_id is not None and (village is None or not tree.within(request.area_id, village.id)):
        raise UserError("tasks.claim_outside", number=number)
    return request


async def _give_back_one(ctx: Context, seq: int, number: int, reason: str) -> None:
    task = await tasks.find(ctx.speaker, ctx.now.year, seq)
    tasks.require_open(task)
    request = next((r for r in await claims.held_by(task) if r.number == number), None)
    if request is None:
        raise UserError("tasks.not_held", number=number, seq=seq)
    await claims.give_back(ctx.services, task, request, ctx.speaker, reason)
    ctx.reply("tasks.given_back", number=number, seq=seq, title=task.title)


async def attach_photo_if_expected(ctx: Context) -> bool:
    """An image right after `实事 完成 N` (within the policy's window) is that task's photo; True when taken."""
    if ctx.person is None or ctx.inbound.is_group or ctx.inbound.channel != "app" or not is_cadre(ctx):
        return False
    task = await tasks.recently_finished(ctx.person, ctx.now - ctx.services.policy.tasks.photo_window)
    if task is None:
        return False
    media = {k: v for k, v in ctx.inbound.extra.items() if k in ("media_id", "pic_url")}
    await tasks.attach_photo(task, media, ctx.now)
    ctx.reply("tasks.photo_saved", seq=task.seq, title=task.title)
    return True


@router.kind("image")
async def image(ctx: Context) -> None:
    """A cadre's photo right after `实事 完成 N` belongs to that task; any other image goes on as free text."""
    if not await attach_photo_if_expected(ctx):
        raise SkipHandler
