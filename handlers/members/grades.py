"""双考评: at the year's end the member's unit (its Party secretary) and the village (its secretaries) each give
a grade; `考评 周电明 优秀 [单位|村] [2026]` in chat, or a sheet (`gridwhistle members grades FILE`)."""

from __future__ import annotations

from datetime import datetime

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from config.errors import UserError
from config.policy import MembersPolicy
from handlers.core.context import Context
from models import Person, Role
from models.area_tree import AreaTree
from models.members import MemberGrade, PartyMember


async def sides_of(policy: MembersPolicy, grader: Person, member: PartyMember, tree: AreaTree) -> list[str]:
    """Which sides `grader` may grade `member` for: the unit (its secretary) and/or the village (its secretaries)."""
    sides = []
    if member.unit_secretary_id == grader.id:
        sides.append("unit")
    village = tree.village_of(member.grid_id)
    if (
        village is not None
        and await Role.filter(person_id=grader.id, area_id=village.id, role__in=policy.village_grade_roles).exists()
    ):
        sides.append("village")
    return sides


async def save_grade(member: PartyMember, year: int, side: str, grade: str, by: Person | None, now: datetime) -> None:
    """One grade per member, year and side: a second one replaces the first (the unique key holds it once)."""
    async with in_transaction():
        updated = await MemberGrade.filter(member_id=member.id, year=year, side=side).update(
            grade=grade, by_id=by.id if by else None, at=now
        )
        if not updated:
            try:
                async with in_transaction():
                    await MemberGrade.create(member=member, year=year, side=side, grade=grade, by=by, at=now)
            except IntegrityError:  # given at the same moment elsewhere: this one replaces it
                await MemberGrade.filter(member_id=member.id, year=year, side=side).update(
                    grade=grade, by_id=by.id if by else None, at=now
                )


async def grade_in_chat(ctx: Context) -> None:
    policy = ctx.services.policy.members
    words = ctx.args.split()
    side_words = {ctx.say("members.side_word_unit"): "unit", ctx.say("members.side_word_village"): "village"}
    year = ctx.now.year
    wanted_side = None
    rest = []
    for word in words:
        if word.isdigit() and len(word) == 4:
            year = int(word)
        elif word in side_words:
            wanted_side = side_words[word]
        else:
            rest.append(word)
    if len(rest) != 2 or rest[1] not in policy.grades:
        raise UserError("members.usage_grade", grades="、".join(policy.grades))
    name, grade = rest
    candidates = await PartyMember.filter(person__name=name, status="confirmed").prefetch_related("person")
    candidates += await PartyMember.filter(person__userid=name, status="confirmed").prefetch_related("person")
    tree = await AreaTree.load()
    allowed = [(m, await sides_of(policy, ctx.speaker, m, tree)) for m in {m.id: m for m in candidates}.values()]
    allowed = [(m, sides) for m, sides in allowed if sides and (wanted_side is None or wanted_side in sides)]
    if not allowed:
        raise UserError("members.grade_not_yours", name=name)
    if len(allowed) > 1:
        raise UserError("members.grade_ambiguous", name=name)
    member, sides = allowed[0]
    if wanted_side is None and len(sides) > 1:
        raise UserError("members.grade_which_side", name=name)
    side = wanted_side or sides[0]
    await save_grade(member, year, side, grade, ctx.speaker, ctx.now)
    ctx.reply("members.graded", name=member.person.name, year=year, side=ctx.say(f"members.side_{side}"), grade=grade)
