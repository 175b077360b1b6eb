"""Cadres' practical tasks (实事) and care visits (包保走访, 民情日记)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from models.areas import Area
    from models.people import Household, Person
    from models.requests import Request

TASK_STATES = ("registered", "in_progress", "done", "cancelled")


class PracticalTask(Model):
    id = fields.IntField(primary_key=True)
    cadre: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="practical_tasks", on_delete=fields.RESTRICT
    )
    cadre_id: int
    year = fields.IntField(db_index=True)
    seq = fields.IntField()  # the cadre's own 1, 2, 3 … for the year, as typed in `实事 完成 2`
    title = fields.CharField(max_length=128)
    description = fields.TextField(default="")
    household: fields.ForeignKeyNullableRelation[Household] = fields.ForeignKeyField(
        "models.Household", related_name="practical_tasks", null=True, on_delete=fields.SET_NULL
    )
    household_id: int | None
    area: fields.ForeignKeyNullableRelation[Area] = fields.ForeignKeyField(
        "models.Area", related_name="practical_tasks", null=True, on_delete=fields.SET_NULL
    )
    area_id: int | None
    request: fields.ForeignKeyNullableRelation[Request] = fields.ForeignKeyField(
        "models.Request", related_name="practical_tasks", null=True, on_delete=fields.SET_NULL
    )
    request_id: int | None
    status = fields.CharField(max_length=16, default="registered")
    # [{at, text | cancelled | photo}]: a note, the reason it was cancelled, or the photo's media
    progress: fields.JSONField[list[dict[str, Any]]] = fields.JSONField(default=list)
    result = fields.TextField(default="")
    cancel_reason = fields.TextField(default="")
    created_at = fields.DatetimeField()
    done_at = fields.DatetimeField(null=True)

    class Meta:
        table = "practical_task"
        unique_together = (("cadre", "year", "seq"),)


class Visit(Model):
    """One care visit and its diary entry (民情日记)."""

    id = fields.IntField(primary_key=True)
    household: fields.ForeignKeyRelation[Household] = fields.ForeignKeyField(
        "models.Household", related_name="visits", on_delete=fields.RESTRICT
    )
    household_id: int
    cadre: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="visits", on_delete=fields.RESTRICT
    )
    cadre_id: int
    note = fields.TextField(default="")
    request: fields.ForeignKeyNullableRelation[Request] = fields.ForeignKeyField(
        "models.Request", related_name="visits", null=True, on_delete=fields.SET_NULL
    )
    request_id: int | None
    visited_at = fields.DatetimeField()

    class Meta:
        table = "visit"
