"""Serving Party members (在职党员) in the grids: who is registered where (双报到), the answers they gave
villagers, and the grades their unit and their village give them at the year's end (双考评)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from models.areas import Area
    from models.people import Person
    from models.requests import Request

MEMBER_ROLE = "party_member"  # the Role row that puts a member in their grid (so 实事 and help follow it)
MEMBER_STATES = ("pending", "confirmed", "declined")  # a chat registration waits for the village's tap
MEMBER_SOURCES = ("org", "chat")
GRADE_SIDES = ("unit", "village")


class PartyMember(Model):
    """One serving Party member's registration: their own unit and the grid they serve (one each)."""

    id = fields.IntField(primary_key=True)
    person: fields.OneToOneRelation[Person] = fields.OneToOneField(
        "models.Person", related_name="party_member", on_delete=fields.CASCADE
    )
    person_id: int
    # the unit: a department's code or a township's code, with its display name as registered
    unit = fields.CharField(max_length=64, default="")
    unit_name = fields.CharField(max_length=64, default="")
    unit_secretary: fields.ForeignKeyNullableRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="unit_members", null=True, on_delete=fields.SET_NULL
    )
    unit_secretary_id: int | None
    grid: fields.ForeignKeyRelation[Area] = fields.ForeignKeyField(
        "models.Area", related_name="party_members", on_delete=fields.RESTRICT
    )
    grid_id: int
    skills: fields.JSONField[list[str]] = fields.JSONField(default=list)
    source = fields.CharField(max_length=8, default="org")  # one of MEMBER_SOURCES
    status = fields.CharField(max_length=16, default="confirmed")  # one of MEMBER_STATES
    registered_at = fields.DatetimeField()
    confirmed_at = fields.DatetimeField(null=True)
    confirmed_by: fields.ForeignKeyNullableRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="member_confirmations", null=True, on_delete=fields.SET_NULL
    )
    confirmed_by_id: int | None

    class Meta:
        table = "party_member"


class MemberAnswer(Model):
    """`答复 #1042 …`: an answer to a villager's question, sent as news and counted for whoever gave it."""

    id = fields.IntField(primary_key=True)
    request: fields.ForeignKeyRelation[Request] = fields.ForeignKeyField(
        "models.Request", related_name="member_answers", on_delete=fields.CASCADE
    )
    request_id: int
    person: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="member_answers", on_delete=fields.CASCADE
    )
    person_id: int
    text = fields.TextField()
    at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "member_answer"


class MemberGrade(Model):
    """A year-end grade (优秀, 称职 …) one side (the unit or the village) gives a member; one per side and year."""

    id = fields.IntField(primary_key=True)
    member: fields.ForeignKeyRelation[PartyMember] = fields.ForeignKeyField(
        "models.PartyMember", related_name="grades", on_delete=fields.CASCADE
    )
    member_id: int
    year = fields.IntField()
    side = fields.CharField(max_length=8)  # one of GRADE_SIDES
    grade = fields.CharField(max_length=16)
    by: fields.ForeignKeyNullableRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="member_grades_given", null=True, on_delete=fields.SET_NULL
    )
    by_id: int | None
    at = fields.DatetimeField()

    class Meta:
        table = "member_grade"
        unique_together = (("member", "year", "side"),)
