"""Household requests (诉求), the county-wide number sequence, and routing corrections."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from models.areas import Area
    from models.people import Chat, Household, Person
    from models.tickets import Ticket

SATISFACTION = ("satisfied", "basically_satisfied", "unsatisfied")


class Counter(Model):
    """Named sequences; `number` gives requests and tickets one county-wide `#1042` series."""

    name = fields.CharField(max_length=32, primary_key=True)
    value = fields.BigIntField(default=0)

    class Meta:
        table = "counter"


class Request(Model):
    id = fields.IntField(primary_key=True)
    number = fields.BigIntField(unique=True)
    text = fields.TextField()
    channel = fields.CharField(max_length=16)  # where it came from: app | aibot | kf | relay | visit
    sender: fields.ForeignKeyNullableRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="requests", null=True, on_delete=fields.SET_NULL
    )
    sender_id: int | None
    sender_ref = fields.CharField(max_length=128, default="")  # the channel's id of the sender
    relayed_by: fields.ForeignKeyNullableRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="relayed_requests", null=True, on_delete=fields.SET_NULL
    )
    relayed_by_id: int | None
    household: fields.ForeignKeyNullableRelation[Household] = fields.ForeignKeyField(
        "models.Household", related_name="requests", null=True, on_delete=fields.SET_NULL
    )
    household_id: int | None
    area: fields.ForeignKeyNullableRelation[Area] = fields.ForeignKeyField(
        "models.Area", related_name="requests", null=True, on_delete=fields.RESTRICT
    )
    area_id: int | None
    chat: fields.ForeignKeyNullableRelation[Chat] = fields.ForeignKeyField(
        "models.Chat", related_name="requests", null=True, on_delete=fields.SET_NULL
    )
    chat_id: int | None
    # how to reach the sender again on their channel (bot.reach.reply_context)
    reply_context: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    status = fields.CharField(max_length=16, default="recorded", db_index=True)  # models.request_states
    primary = fields.CharField(max_length=32)  # department code, or "village"
    also: fields.JSONField[list[str]] = fields.JSONField(default=list)  # department codes
    urgency = fields.CharField(max_length=8, default="normal")
    keywords: fields.JSONField[list[str]] = fields.JSONField(default=list)
    explanation = fields.TextField(default="")
    merged_into: fields.ForeignKeyNullableRelation[Request] = fields.ForeignKeyField(
        "models.Request", related_name="merged", null=True, on_delete=fields.SET_NULL
    )
    merged_into_id: int | None
    satisfaction = fields.CharField(max_length=24, null=True)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()
    resolved_at = fields.DatetimeField(null=True)
    # when the retention policy blanked its personal details (bot/retention); None while they are kept
    anonymised_at = fields.DatetimeField(null=True)
    # recorded and answered in a backlog: sent on (handlers/requests/backlog.py) once the inbox's backlog is cleared
    forward_after_backlog = fields.BooleanField(default=False, db_default=False)
    tickets: fields.ReverseRelation[Ticket]

    class Meta:
        table = "request"


class Attachment(Model):
    """A photo, voice or file sent as evidence; WeCom's media expire after 3 days, so a local copy is kept."""

    id = fields.IntField(primary_key=True)
    request: fields.ForeignKeyRelation[Request] = fields.ForeignKeyField(
        "models.Request", related_name="attachments", on_delete=fields.CASCADE
    )
    request_id: int
    kind = fields.CharField(max_length=16)
    media_id = fields.CharField(max_length=255, default="")
    local_path = fields.CharField(max_length=255, default="")
    created_at = fields.DatetimeField()

    class Meta:
        table = "attachment"


class RoutingCorrection(Model):
    """A township re-assignment kept as a labelled example for `gridwhistle lexicon suggest`."""

    id = fields.IntField(primary_key=True)
    text = fields.TextField()
    original = fields.CharField(max_length=32)
    corrected = fields.CharField(max_length=32)
    request: fields.ForeignKeyNullableRelation[Request] = fields.ForeignKeyField(
        "models.Request", related_name="corrections", null=True, on_delete=fields.SET_NULL
    )
    request_id: int | None
    created_at = fields.DatetimeField()
    # How the township chose otherwise: "reassign" (改派), "whistle" (吹哨 naming other departments) or
    # "runner_up" (the card's button for a department the router considered close).
    via = fields.CharField(max_length=16, default="reassign")
    # Learning data only once a cadre accepts it as following the routing guide (`lexicon accept`);
    # "rejected" ones no longer feed `lexicon suggest`.
    review = fields.CharField(max_length=16, default="pending")  # pending | accepted | rejected
    reviewed_by = fields.CharField(max_length=64, default="")
    reviewed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "routing_correction"
