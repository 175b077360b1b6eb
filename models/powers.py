"""The small-powers list at work (小微权力清单): questions answered from it, and its flows run step by step.

The list itself is data (config/powers_file.py); these rows are what happened with it, in a village:
- PowerAnswer: a villager's request answered at once from an item of the list;
- PowerFlow / PowerStep: one use of a flow item (四议两公开 …), its steps with deadlines, who recorded what;
- PowerEvent: the flow's append-only trail (started, step done, made public, warned);
- PowerWarning: one 失责预警 per (flow, step, kind), so a warning is raised once whatever runs twice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from models.areas import Area
    from models.people import Person
    from models.requests import Request

WARNING_KINDS = ("overdue", "skipped", "out_of_order")


class PowerAnswer(Model):
    """A request answered from the list: which item, in which village (the record's 'questions by item')."""

    id = fields.IntField(primary_key=True)
    request: fields.OneToOneRelation[Request] = fields.OneToOneField(
        "models.Request", related_name="power_answer", on_delete=fields.CASCADE
    )
    request_id: int
    item = fields.CharField(max_length=32)  # an item code of the list
    village: fields.ForeignKeyRelation[Area] = fields.ForeignKeyField(
        "models.Area", related_name="power_answers", on_delete=fields.RESTRICT
    )
    village_id: int
    at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "power_answer"


class PowerFlow(Model):
    """One use of a flow item in a village: `权力 启动 大额资金 修缮村部 8万元`."""

    id = fields.IntField(primary_key=True)
    item = fields.CharField(max_length=32)
    item_name = fields.CharField(max_length=64)  # as the list named it when the flow started
    village: fields.ForeignKeyRelation[Area] = fields.ForeignKeyField(
        "models.Area", related_name="power_flows", on_delete=fields.RESTRICT
    )
    village_id: int
    subject = fields.TextField()
    started_by: fields.ForeignKeyNullableRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="power_flows", null=True, on_delete=fields.SET_NULL
    )
    started_by_id: int | None
    started_at = fields.DatetimeField(db_index=True)
    status = fields.CharField(max_length=16, default="running")  # models/power_states.py
    completed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "power_flow"


class PowerStep(Model):
    """A step of a flow, copied from the list when the flow started (a later edit of the list does not move it)."""

    id = fields.IntField(primary_key=True)
    flow: fields.ForeignKeyRelation[PowerFlow] = fields.ForeignKeyField(
        "models.PowerFlow", related_name="steps", on_delete=fields.CASCADE
    )
    flow_id: int
    position = fields.IntField()  # 1-based
    name = fields.CharField(max_length=64)
    who = fields.CharField(max_length=64, default="")
    post = fields.CharField(max_length=32)  # who records it and hears its warnings
    what = fields.TextField(default="")
    days = fields.IntField()
    public = fields.BooleanField(default=False)
    due_at = fields.DatetimeField()
    state = fields.CharField(max_length=16, default="pending")  # models/power_states.py
    done_at = fields.DatetimeField(null=True)
    done_by: fields.ForeignKeyNullableRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="power_steps", null=True, on_delete=fields.SET_NULL
    )
    done_by_id: int | None
    result = fields.TextField(default="")

    class Meta:
        table = "power_step"
        unique_together = (("flow", "position"),)


class PowerEvent(Model):
    """The flow's trail: who did what, when; never edited."""

    id = fields.BigIntField(primary_key=True)
    flow: fields.ForeignKeyRelation[PowerFlow] = fields.ForeignKeyField(
        "models.PowerFlow", related_name="events", on_delete=fields.CASCADE
    )
    flow_id: int
    position = fields.IntField(null=True)  # the step it is about, if any
    kind = fields.CharField(max_length=32)  # started, step_done, published, warned, completed
    actor: fields.ForeignKeyNullableRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="power_events", null=True, on_delete=fields.SET_NULL
    )
    actor_id: int | None
    at = fields.DatetimeField()
    data: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)

    class Meta:
        table = "power_event"


class PowerWarning(Model):
    """A 失责预警 raised: unique per flow, step and kind, so it is raised once."""

    id = fields.IntField(primary_key=True)
    flow: fields.ForeignKeyRelation[PowerFlow] = fields.ForeignKeyField(
        "models.PowerFlow", related_name="warnings", on_delete=fields.CASCADE
    )
    flow_id: int
    position = fields.IntField()
    kind = fields.CharField(max_length=16)  # one of WARNING_KINDS
    at = fields.DatetimeField()

    class Meta:
        table = "power_warning"
        unique_together = (("flow", "position", "kind"),)
