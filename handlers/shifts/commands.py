"""值班表 by chat: `谁值班` for anyone; `值班 今天|本周` and `值班 排班 …` for those who keep the roster.

`值班 排班 11-18 夜班 [后道老村] 带班 姜峰 值班 王军`: one or both posts of one shift; no area named is the
first the speaker keeps (a township manager's township). Whoever is put in a post is told so.
"""

from __future__ import annotations

from datetime import date, timedelta

from config.errors import UserError
from handlers.core.context import Context
from handlers.core.filters import AppPrivate
from handlers.core.router import Router
from handlers.shifts import roster, swap, words
from handlers.shifts.people import person_named
from handlers.shifts.scope import managed, pick_area
from models import Area, Person
from models.area_tree import AreaTree
from models.shifts import POSTS, SHIFTS

router = Router("shifts")
APP_ONLY = AppPrivate("shifts.app_only")
WEEKDAYS = "一二三四五六日"


def _keeper_areas(ctx: Context, tree: AreaTree) -> list[Area]:
    areas = managed(ctx, tree)
    if not areas:
        raise UserError("shifts.not_keeper")
    return areas


def _holder(ctx: Context, held: roster.Holders, area: Area, day: date, shift: str, post: str) -> str:
    person = held.get((area.id, day, shift, post))
    return person.name if person else ctx.say("shifts.open")


def _day_lines(ctx: Context, held: roster.Holders, areas: list[Area], day: date) -> list[str]:
    lines = [ctx.say("shifts.day_header", day=f"{day:%m-%d}", weekday=WEEKDAYS[day.weekday()])]
    for area in areas:
        for shift in SHIFTS:
            lines.append(
                ctx.say(
                    "shifts.line",
                    area=area.name,
                    shift=words.shift_name(ctx, shift),
                    lead=_holder(ctx, held, area, day, shift, "lead"),
                    duty=_holder(ctx, held, area, day, shift, "duty"),
                )
            )
    return lines


async def _show(ctx: Context, first: date, last: date) -> None:
    areas = _keeper_areas(ctx, await AreaTree.load())
    held = await roster.holders([a.id for a in areas], first, last)
    lines: list[str] = []
    for offset in range((last - first).days + 1):
        lines += _day_lines(ctx, held, areas, first + timedelta(days=offset))
    ctx.reply_text("\n".join(lines))


@router.command("shifts", APP_ONLY)
async def usage(ctx: Context) -> None:
    raise UserError("shifts.usage")


@router.command("shifts", APP_ONLY, sub="today")
async def today(ctx: Context) -> None:
    await _show(ctx, ctx.now.date(), ctx.now.date())


@router.command("shifts", APP_ONLY, sub="week")
async def this_week(ctx: Context) -> None:
    monday = ctx.now.date() - timedelta(days=ctx.now.weekday())
    await _show(ctx, monday, monday + timedelta(days=6))


@router.command("shifts", APP_ONLY, sub="set")
async def set_roster(ctx: Context) -> None:
    tree = await AreaTree.load()
    areas = _keeper_areas(ctx, tree)
    parts = ctx.args.split()
    if len(parts) < 4:
        raise UserError("shifts.usage_set")
    day, shift = words.day_of(ctx, parts[0]), words.shift_of(ctx, parts[1])
    if day is None or shift is None:
        raise UserError("shifts.usage_set")
    rest = parts[2:]
    area = pick_area(areas, "" if words.post_of(ctx, rest[0]) else rest.pop(0))
    if len(rest) % 2 or not rest:
        raise UserError("shifts.usage_set")
    wanted: dict[str, Person] = {}
    for post_word, name in zip(rest[::2], rest[1::2], strict=True):
        post = words.post_of(ctx, post_word)
        if post is None:
            raise UserError("shifts.usage_set")
        wanted[post] = await person_named(ctx, tree, area, name)
    when = roster.Shift(day, shift)
    for post in POSTS:
        person = wanted.get(post)
        if person is not None and await roster.set_post(area, when, post, person, ctx.now) and person.userid:
            await ctx.services.reach.person(
                person.userid,
                text=ctx.say(
                    "shifts.you_are_on",
                    day=f"{day:%m-%d}",
                    shift=words.shift_name(ctx, shift),
                    area=area.name,
                    post=ctx.say(f"shifts.post_{post}"),
                    start=f"{when.start(ctx.services.policy.shifts):%H:%M}",
                ),
                dedupe_key=f"shifts:set:{area.code}:{day}:{shift}:{post}:{person.userid}:{ctx.now:%Y%m%d%H%M%S}",
            )
    held = await roster.holders([area.id], day, day)
    ctx.reply(
        "shifts.set_ok",
        day=f"{day:%m-%d}",
        line=ctx.say(
            "shifts.line",
            area=area.name,
            shift=words.shift_name(ctx, shift),
            lead=_holder(ctx, held, area, day, shift, "lead"),
            duty=_holder(ctx, held, area, day, shift, "duty"),
        ),
    )


@router.command("shifts_who")
async def who(ctx: Context) -> None:
    """Anyone, anywhere: who leads and keeps the current shift of their village and township."""
    tree = await AreaTree.load()
    area_id = ctx.area.id if ctx.area else None
    places = [a for a in (tree.village_of(area_id), tree.township_of(area_id)) if a is not None]
    if not places:
        raise UserError("shifts.who_no_area")
    policy = ctx.services.policy.shifts
    now = roster.shift_at(policy, ctx.now)
    lines = [
        ctx.say(
            "shifts.who_header",
            day=f"{now.day:%m-%d}",
            shift=words.shift_name(ctx, now.shift),
            start=f"{now.start(policy):%H:%M}",
            end=f"{now.end(policy):%H:%M}",
        )
    ]
    for place in places:
        posts = await roster.on_shift(place, now)
        lines.append(
            ctx.say(
                "shifts.who_line",
                area=place.name,
                lead=posts["lead"].name if "lead" in posts else ctx.say("shifts.open"),
                duty=posts["duty"].name if "duty" in posts else ctx.say("shifts.open"),
            )
        )
    ctx.reply_text("\n".join(lines))


@router.command("shifts_swap", APP_ONLY)
async def swap_command(ctx: Context) -> None:
    await swap.ask(ctx)


@router.card(swap.SwapKey)
async def swap_click(ctx: Context) -> None:
    await swap.clicked(ctx)


__all__ = ["router"]
