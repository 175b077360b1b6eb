"""Whistle tickets (哨单), one assignment per department, and the append-only event trail."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.manager import Manager
from tortoise.models import Model
from tortoise.queryset import QuerySet

if TYPE_CHECKING:
    from models.areas import Area, Department
    from models.people import Person
    from models.requests import Request


class Ticket(Model):
    id = fields.IntField(primary_key=True)
    number = fields.BigIntField(unique=True)
    request: fields.ForeignKeyRelation[Request] = fields.ForeignKeyField(
        "models.Request", related_name="tickets", on_delete=fields.RESTRICT
    )
    request_id: int
    township: fields.ForeignKeyRelation[Area] = fields.ForeignKeyField(
        "models.Area", related_name="tickets", on_delete=fields.RESTRICT
    )
    township_id: int
    urgency = fields.CharField(max_length=8, default="normal")
    status = fields.CharField(max_length=16, default="open", db_index=True)  # models.ticket_states
    note = fields.TextField(default="")  # the township's 说明
    created_by: fields.ForeignKeyNullableRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="whistled", null=True, on_delete=fields.SET_NULL
    )
    created_by_id: int | None
    appchat_id = fields.CharField(max_length=32, default="")  # joint-handling group, for three or more departments
    created_at = fields.DatetimeField()
    respond_due = fields.DatetimeField(null=True)
    resolve_due = fields.DatetimeField(null=True)
    resolved_at = fields.DatetimeField(null=True)

    class Meta:
        table = "ticket"


class Assignment(Model):
    """One department's part in a ticket, and exactly one per ticket is primary (a partial unique index)."""

    id = fields.IntField(primary_key=True)
    ticket: fields.ForeignKeyRelation[Ticket] = fields.ForeignKeyField(
        "models.Ticket", related_name="assignments", on_delete=fields.CASCADE
    )
    ticket_id: int
    department: fields.ForeignKeyRelation[Department] = fields.ForeignKeyField(
        "models.Department", related_name="assignments", on_delete=fields.RESTRICT
    )
    department_id: int
    is_primary = fields.BooleanField(default=False)
    state = fields.CharField(max_length=16, default="notified", db_index=True)  # models.assignment_states
    urged = fields.BooleanField(default=False)  # 督办
    card_task_id = fields.CharField(max_length=128, default="")
    notified_at = fields.DatetimeField()
    on_duty_at = fields.DatetimeField(null=True)
    done_at = fields.DatetimeField(null=True)
    returned_reason = fields.TextField(default="")

    class Meta:
        table = "assignment"
        unique_together = (("ticket", "department"),)


class AppendOnlyError(Exception):
    """An attempt to change or remove an audit event."""


class _AppendOnlyQuerySet(QuerySet):
    def update(self, **kwargs: Any):
        raise AppendOnlyError("ticket events are append-only")

    def delete(self):
        raise AppendOnlyError("ticket events are append-only")

    def bulk_update(self, *args: Any, **kwargs: Any):
        raise AppendOnlyError("ticket events are append-only")


class _AppendOnlyManager(Manager):
    def get_queryset(self) -> QuerySet:
        return _AppendOnlyQuerySet(self._model)


class TicketEvent(Model):
    """Who did what, when and why, to a ticket or a request: the audit trail. Never edited, never deleted."""

    id = fields.BigIntField(primary_key=True)
    ticket: fields.ForeignKeyNullableRelation[Ticket] = fields.ForeignKeyField(
        "models.Ticket", related_name="events", null=True, on_delete=fields.RESTRICT
    )
    ticket_id: int | None
    request: fields.ForeignKeyNullableRelation[Request] = fields.ForeignKeyField(
        "models.Request", related_name="events", null=True, on_delete=fields.RESTRICT
    )
    request_id: int | None
    department: fields.ForeignKeyNullableRelation[Department] = fields.ForeignKeyField(
        "models.Department", related_name="events", null=True, on_delete=fields.RESTRICT
    )
    department_id: int | None
    actor: fields.ForeignKeyNullableRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="events", null=True, on_delete=fields.RESTRICT
    )
    actor_id: int | None
    kind = fields.CharField(
        max_length=32
    )  # recorded, whistled, on_duty, progress, done, returned, reassigned, urged, rated …
    reason = fields.TextField(default="")
    data: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)  # what the kind of event adds
    at = fields.DatetimeField()

    all_objects = _AppendOnlyManager()

    class Meta:
        table = "ticket_event"
        manager = _AppendOnlyManager()

    async def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._saved_in_db:
            await super().save(*args, **kwargs)
            return
        raise AppendOnlyError("ticket events are append-only")

    async def delete(self, *args: Any, **kwargs: Any) -> None:
        raise AppendOnlyError("ticket events are append-only")
