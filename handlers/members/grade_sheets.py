"""双考评 by upload in chat: a unit's Party secretary or a village's secretary sends the grades sheet (XLSX with
账号, 单位考评, 村考评) to the app, 1:1. The CLI's reader checks it (models/members_grades.py) and, besides, that
each grade is one of the sides the sender may give (sides_of); all or nothing. The reply says what was recorded,
or which rows are wrong. The year is the one in the file's name (`2026年考评.xlsx`), else this year.
"""

from __future__ import annotations

import re

from config.errors import ChannelError, UserError
from handlers.core.context import Context
from handlers.core.router import SkipHandler
from handlers.members.grades import sides_of
from models import Role
from models.area_tree import AreaTree
from models.members import PartyMember
from models.members_grades import SheetMistake, SheetRow, members_of, read_sheet, save_sheet

_SHEET_NAME = re.compile(r"\.(xlsx|xlsm)$", re.I)
_YEAR = re.compile(r"(?<!\d)(20\d\d)(?!\d)")
MAX_LINES = 20  # a reply lists this many mistakes at most; the rest are counted


async def may_grade(ctx: Context) -> bool:
    """A unit's Party secretary (of some member) or one of a village's grading roles."""
    me = ctx.speaker
    policy = ctx.services.policy.members
    return (
        await PartyMember.filter(unit_secretary_id=me.id, status="confirmed").exists()
        or await Role.filter(person_id=me.id, role__in=policy.village_grade_roles).exists()
    )


async def sheet_received(ctx: Context) -> None:
    """A file in 1:1 from someone who grades: a grades sheet. Anyone else's file goes on (as evidence)."""
    name = ctx.inbound.text.strip()
    if ctx.person is None or not ctx.is_app_private or not _SHEET_NAME.search(name) or not await may_grade(ctx):
        raise SkipHandler
    if ctx.services.files is None:
        raise UserError("members.sheet_fetch_failed")
    try:
        content = ctx.inbound_file()  # fetched before the message's transaction (FetchFirst)
    except ChannelError:
        raise UserError("members.sheet_fetch_failed") from None
    year_in_name = _YEAR.search(name)
    year = int(year_in_name.group(1)) if year_in_name else ctx.now.year
    policy = ctx.services.policy.members
    rows, mistakes = read_sheet(content, list(policy.grades))
    if any(m.problem == "unreadable" for m in mistakes):
        raise UserError("members.sheet_unreadable")
    members, strangers = await members_of(rows)
    mistakes += strangers + await _not_yours(ctx, rows, members)
    if mistakes:
        ctx.reply("members.sheet_wrong", count=len(mistakes), year=year, lines=_lines(ctx, mistakes, rows))
        return
    if not rows:
        raise UserError("members.sheet_no_grades")
    await save_sheet(rows, members, year, ctx.now, by=ctx.speaker)
    lines = [
        ctx.say(
            "members.sheet_line",
            name=members[r.userid].person.name,
            side=ctx.say(f"members.side_{r.side}"),
            grade=r.grade,
        )
        for r in rows
    ]
    ctx.reply("members.sheet_recorded", year=year, count=len(rows), lines="\n".join(lines))


async def _not_yours(ctx: Context, rows: list[SheetRow], members: dict[str, PartyMember]) -> list[SheetMistake]:
    """A grade for a side the sender may not give that member (another unit's, another village's)."""
    tree = await AreaTree.load()
    policy = ctx.services.policy.members
    sides = {m.id: await sides_of(policy, ctx.speaker, m, tree) for m in members.values()}
    return [
        SheetMistake("not_yours", r.sheet, r.row, r.side, members[r.userid].person.name)
        for r in rows
        if r.userid in members and r.side not in sides[members[r.userid].id]
    ]


def _lines(ctx: Context, mistakes: list[SheetMistake], rows: list[SheetRow]) -> str:
    several_sheets = len({m.sheet for m in mistakes} | {r.sheet for r in rows}) > 1
    lines = []
    for m in sorted(mistakes, key=lambda m: (m.sheet, m.row))[:MAX_LINES]:
        where = ctx.say("members.sheet_where", row=m.row)
        if several_sheets:
            where = ctx.say("members.sheet_where_in", sheet=m.sheet, row=m.row)
        side = ctx.say(f"members.sheet_column_{m.side or 'userid'}")
        lines.append(
            ctx.say(
                f"members.sheet_{m.problem}",
                where=where,
                column=side,
                value=m.value,
                found=m.detail,
                grades=m.detail,
                side=ctx.say(f"members.side_{m.side}") if m.side else "",
            )
        )
    if len(mistakes) > MAX_LINES:
        lines.append(ctx.say("members.sheet_more", count=len(mistakes) - MAX_LINES))
    return "\n".join(lines)
