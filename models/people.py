"""People, their roles, the households they belong to, and the chats the bot serves."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from models.areas import Area, Department

ROLES = (
    "villager",
    "grid_member",
    "village_secretary",
    "first_secretary",
    "village_cadre",
    "township_committee",
    "liaison",
    "county_admin",
    "admin",
    "party_member",  # 在职党员: a serving Party member of a county or township unit, in a grid
    "county_leader",
)


class Household(Model):
    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=64, unique=True)
    head = fields.CharField(max_length=32)
    grid: fields.ForeignKeyRelation[Area] = fields.ForeignKeyField(
        "models.Area", related_name="households", on_delete=fields.RESTRICT
    )
    grid_id: int
    address = fields.CharField(max_length=128, default="")
    tags: fields.JSONField[list[str]] = fields.JSONField(default=list)  # 独居老人, 低保, 五保, 残疾 …

    class Meta:
        table = "household"


class Person(Model):
    """Anyone the bot talks to: a WeCom member (userid) or a customer-service villager (external_userid)."""

    id = fields.IntField(primary_key=True)
    userid = fields.CharField(max_length=64, unique=True, null=True)
    external_userid = fields.CharField(max_length=64, unique=True, null=True)
    name = fields.CharField(max_length=32)
    mobile = fields.CharField(max_length=20, default="")
    # when WeCom first answered a send to them "not a member" (bot/membership.py); None while they are one
    left_wecom_at = fields.DatetimeField(null=True)
    household: fields.ForeignKeyNullableRelation[Household] = fields.ForeignKeyField(
        "models.Household", related_name="members", null=True, on_delete=fields.SET_NULL
    )
    household_id: int | None
    roles: fields.ReverseRelation[Role]

    class Meta:
        table = "person"

    def __str__(self) -> str:
        return self.name


class CarePair(Model):
    """包保: a vulnerable household paired with the cadre who visits it (one cadre per household)."""

    id = fields.IntField(primary_key=True)
    household: fields.OneToOneRelation[Household] = fields.OneToOneField(
        "models.Household", related_name="care_pair", on_delete=fields.CASCADE
    )
    household_id: int
    cadre: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="care_pairs", on_delete=fields.RESTRICT
    )
    cadre_id: int
    since = fields.DatetimeField(null=True)

    class Meta:
        table = "care_pair"


class Role(Model):
    """A role held in an area or for a department; `scope` is that area's or department's code."""

    id = fields.IntField(primary_key=True)
    person: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="roles", on_delete=fields.CASCADE
    )
    person_id: int
    role = fields.CharField(max_length=32)  # one of ROLES
    area: fields.ForeignKeyNullableRelation[Area] = fields.ForeignKeyField(
        "models.Area", related_name="roles", null=True, on_delete=fields.RESTRICT
    )
    area_id: int | None
    department: fields.ForeignKeyNullableRelation[Department] = fields.ForeignKeyField(
        "models.Department", related_name="liaisons", null=True, on_delete=fields.RESTRICT
    )
    department_id: int | None
    # NULLs never collide in a unique index, so the scope's code is kept as a plain column for it.
    scope = fields.CharField(max_length=64)

    class Meta:
        table = "role"
        unique_together = (("person", "role", "scope"),)


class Chat(Model):
    """A group or conversation the bot serves, tied to an area."""

    id = fields.IntField(primary_key=True)
    channel = fields.CharField(max_length=16)  # aibot | appchat | kf
    chatid = fields.CharField(max_length=128)
    name = fields.CharField(max_length=64, default="")
    area: fields.ForeignKeyNullableRelation[Area] = fields.ForeignKeyField(
        "models.Area", related_name="chats", null=True, on_delete=fields.RESTRICT
    )
    area_id: int | None
    webhook_key = fields.CharField(max_length=128, default="")

    class Meta:
        table = "chat"
        unique_together = (("channel", "chatid"),)
