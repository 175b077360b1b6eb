"""What the personal-data rules leave behind: who read or changed a person's record (access records),
and each sanctioned redaction of an audit-trail event (the only way an event's details may change)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from models.tickets import TicketEvent


class AccessRecord(Model):
    """One read or change of a person's or a household's record: who, when, what, how."""

    id = fields.BigIntField(primary_key=True)
    actor = fields.CharField(max_length=64)  # a WeCom userid, or the operating-system user of a command
    action = fields.CharField(max_length=32)  # export | erase | show …
    subject = fields.CharField(max_length=96, db_index=True)  # person:USERID | household:CODE
    via = fields.CharField(max_length=32, default="command")  # command | chat | console
    detail = fields.TextField(default="")
    at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "access_record"


class EventRedaction(Model):
    """A sanctioned redaction of one audit-trail event: its personal details blanked, its facts kept.

    The database lets an event change only when such a row exists for it, and only in `reason` and
    `data` (migration 0004's triggers), so every redaction is itself on record.
    """

    id = fields.BigIntField(primary_key=True)
    event: fields.ForeignKeyRelation[TicketEvent] = fields.ForeignKeyField(
        "models.TicketEvent", related_name="redactions", on_delete=fields.RESTRICT
    )
    event_id: int
    why = fields.CharField(max_length=32)  # retention | erasure
    by = fields.CharField(max_length=64)
    at = fields.DatetimeField()

    class Meta:
        table = "event_redaction"
