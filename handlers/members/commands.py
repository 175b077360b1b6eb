"""Serving Party members (在职党员) in chat: `进网格` (双报到) and the village's tap, `答复 #N`, `我的报到`, `考评`,
and the tap on an offered request (claimed as `实事 认领 #N` is)."""

from __future__ import annotations

from config.errors import UserError
from config.policy import Policy
from handlers.common.cadres import cadre_work, village_of_speaker
from handlers.core.context import Context
from handlers.core.filters import AppPrivate, Roles
from handlers.core.router import Router
from handlers.members import claims, grade_sheets, grades, registration
from handlers.members.answers import answer
from handlers.members.cards import ConfirmKey, OfferIntoKey, OfferKey, confirm_card, confirm_task
from handlers.members.service import work_line
from handlers.tickets.cards import update_card
from models import Person, PracticalTask, Request
from models.area_cache import area_of
from models.area_tree import AreaTree
from models.members import MEMBER_ROLE, PartyMember
from models.members_queries import work_of

router = Router("members")
APP_ONLY = AppPrivate("members.app_only")


def _answerers(policy: Policy) -> tuple[str, ...]:
    return (MEMBER_ROLE, *policy.members.answer_roles)


def _confirmers(policy: Policy) -> tuple[str, ...]:
    return tuple(policy.members.confirm_roles)


@router.command("member_register", APP_ONLY)
async def register(ctx: Context) -> None:
    """Anyone the org file knows (a WeCom member) may register; the village decides."""
    if ctx.person is None or not ctx.person.userid:
        raise UserError("members.unknown_person")
    member, grid, confirmers = await registration.register(ctx)
    tree = await AreaTree.load()
    village = tree.village_of(grid.id)
    card = confirm_card(ctx.services, member, ctx.speaker, grid, village.name if village else "")
    await ctx.services.reach.together(
        [p.userid for p in confirmers if p.userid], card=card, dedupe_key=f"card:{card.task_id}"
    )
    ctx.reply(
        "members.registered",
        village=village.name if village else "",
        grid=grid.name,
        names="、".join(p.name for p in confirmers),
    )


@router.card(ConfirmKey, Roles(_confirmers, "members.not_confirmer"))
async def confirm_clicked(ctx: Context) -> None:
    key = ctx.clicked(ConfirmKey)
    member = await PartyMember.get_or_none(id=key.member_id).prefetch_related("person")
    grid = await area_of(key.grid_id)
    if member is None or grid is None:
        raise UserError("members.registration_gone")
    tree = await AreaTree.load()
    village = tree.village_of(grid.id)
    if village is None or not any(r.area_id == village.id for r in ctx.roles_named(*_confirmers(ctx.services.policy))):
        raise UserError("members.not_confirmer")
    decided = await registration.decide(member, grid.id, ctx.speaker, key.answer == "yes", ctx.now)
    if not decided:
        ctx.reply("members.already_decided", name=member.person.name)
        return
    outcome = "confirmed" if key.answer == "yes" else "declined"
    text = ctx.say(f"members.{outcome}_news", village=village.name, grid=grid.name, name=ctx.speaker.name)
    if member.person.userid:
        await ctx.services.reach.person(
            member.person.userid, text=text, dedupe_key=f"members:{outcome}:{confirm_task(member, grid)}"
        )
    ctx.reply(f"members.{outcome}", name=member.person.name, grid=grid.name)
    await update_card(
        ctx.services,
        [ctx.inbound.sender],
        task_id=confirm_task(member, grid),
        click_code=str(ctx.inbound.extra.get("response_code", "")),
        replace_name=ctx.say(f"members.card_{outcome}", name=ctx.speaker.name),
    )


@router.card(OfferKey, *cadre_work("members.app_only", "tasks.not_cadre"))
@router.card(OfferIntoKey, *cadre_work("members.app_only", "tasks.not_cadre"))
async def offer_clicked(ctx: Context) -> None:
    key = ctx.card_key
    assert isinstance(key, OfferKey | OfferIntoKey), "registered for these two button types only"
    request = await Request.get_or_none(id=key.request_id)
    if request is None:
        raise UserError("members.registration_gone")
    tree = await AreaTree.load()
    village = village_of_speaker(ctx, tree)
    if request.area_id is not None and (village is None or not tree.within(request.area_id, village.id)):
        raise UserError("tasks.claim_outside", number=request.number)
    into = None
    if isinstance(key, OfferIntoKey):  # the offer's other buttons: part of one of the member's open 实事
        into = await PracticalTask.get_or_none(id=key.task_id, cadre_id=ctx.speaker.id)
        if into is None:
            raise UserError("members.registration_gone")
    task, claimed = await claims.claim(ctx.services, ctx.speaker, request, into=into)
    if into is None:
        ctx.reply("tasks.claimed", seq=task.seq, number=claimed.number, title=task.title)
    else:
        held = await claims.held_by(task)
        ctx.reply("tasks.claimed_into", number=claimed.number, seq=task.seq, title=task.title, count=len(held))
    await update_card(
        ctx.services,
        [ctx.inbound.sender],
        task_id=f"gw-offer-{request.id}-{ctx.speaker.id}",
        click_code=str(ctx.inbound.extra.get("response_code", "")),
        replace_name=ctx.say("members.offer_taken"),
    )


@router.command("member_answer", Roles(_answerers, "members.not_answerer"))
async def answer_command(ctx: Context) -> None:
    await answer(ctx)


@router.command("member_mine", APP_ONLY)
async def mine(ctx: Context) -> None:
    person: Person | None = ctx.person
    member = await PartyMember.get_or_none(person_id=person.id).prefetch_related("person", "grid") if person else None
    if member is None:
        raise UserError("members.not_registered")
    year_start = ctx.now.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    work = (await work_of([member.person_id], year_start, ctx.now))[member.person_id]
    village = (await AreaTree.load()).village_of(member.grid_id)
    lines = [
        ctx.say(
            f"members.mine_{member.status}",
            village=village.name if village else "",
            grid=member.grid.name,
            unit=member.unit_name,
            skills="、".join(member.skills) or ctx.say("members.none"),
        ),
        ctx.say("members.mine_year", year=ctx.now.year),
        work_line(ctx.services, member, work),
    ]
    ctx.reply_text("\n".join(lines))


@router.command("member_grade", APP_ONLY)
async def grade(ctx: Context) -> None:
    if ctx.person is None:
        raise UserError("members.grade_not_yours", name=ctx.args)
    await grades.grade_in_chat(ctx)


@router.kind("file")
async def file_sent(ctx: Context) -> None:
    """A grades sheet from a unit's or a village's secretary (双考评 by upload); any other file goes on."""
    await grade_sheets.sheet_received(ctx)
