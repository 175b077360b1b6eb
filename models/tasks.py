"""Cadres' practical tasks (实事) and care visits (包保走访, 民情日记)."""

from tortoise import fields
from tortoise.models import Model

TASK_STATES = ("registered", "in_progress", "done", "cancelled")


class PracticalTask(Model):
    id = fields.IntField(primary_key=True)
    cadre = fields.ForeignKeyField("models.Person", related_name="practical_tasks", on_delete=fields.RESTRICT)
    year = fields.IntField(db_index=True)
    seq = fields.IntField()  # the cadre's own 1, 2, 3 … for the year, as typed in `实事 完成 2`
    title = fields.CharField(max_length=128)
    description = fields.TextField(default="")
    household = fields.ForeignKeyField(
        "models.Household", related_name="practical_tasks", null=True, on_delete=fields.SET_NULL
    )
    area = fields.ForeignKeyField("models.Area", related_name="practical_tasks", null=True, on_delete=fields.SET_NULL)
    request = fields.ForeignKeyField(
        "models.Request", related_name="practical_tasks", null=True, on_delete=fields.SET_NULL
    )
    status = fields.CharField(max_length=16, default="registered")
    progress = fields.JSONField(default=list)  # [{at, text}]
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
    household = fields.ForeignKeyField("models.Household", related_name="visits", on_delete=fields.RESTRICT)
    cadre = fields.ForeignKeyField("models.Person", related_name="visits", on_delete=fields.RESTRICT)
    note = fields.TextField(default="")
    request = fields.ForeignKeyField("models.Request", related_name="visits", null=True, on_delete=fields.SET_NULL)
    visited_at = fields.DatetimeField()

    class Meta:
        table = "visit"
