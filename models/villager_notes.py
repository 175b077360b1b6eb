"""What the requests feature keeps besides Request itself: messages judged not to be requests, what each
requester was told, and a customer-service villager's claim of who they are."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from models.areas import Area
    from models.people import Household, Person
    from models.requests import Request


class NonRequest(Model):
    """A message the router judged not to be a request; kept minimally so the grid member's daily list can
    catch misses, and so a burst of short messages can become one request once the whole of it is said."""

    id = fields.BigIntField(primary_key=True)
    channel = fields.CharField(max_length=16)
    sender_ref = fields.CharField(max_length=128, db_index=True)
    sender: fields.ForeignKeyNullableRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="non_requests", null=True, on_delete=fields.SET_NULL
    )
    sender_id: int | None
    area: fields.ForeignKeyNullableRelation[Area] = fields.ForeignKeyField(
        "models.Area", related_name="non_requests", null=True, on_delete=fields.SET_NULL
    )
    area_id: int | None
    kind = fields.CharField(max_length=16, default="text")  # text | voice | image | file
    text = fields.CharField(max_length=500, default="")
    media_id = fields.CharField(max_length=255, default="")
    # later part of a burst that became this request
    absorbed_into: fields.ForeignKeyNullableRelation[Request] = fields.ForeignKeyField(
        "models.Request", related_name="absorbed", null=True, on_delete=fields.SET_NULL
    )
    absorbed_into_id: int | None
    created_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "non_request"


class RequestUpdate(Model):
    """One piece of news for a requester; `dedupe_key` makes it impossible to tell them the same thing twice,
    and `outbox_id` is the message it went out in (several updates of one request share one message)."""

    id = fields.BigIntField(primary_key=True)
    request: fields.ForeignKeyRelation[Request] = fields.ForeignKeyField(
        "models.Request", related_name="updates", on_delete=fields.CASCADE
    )
    request_id: int
    dedupe_key = fields.CharField(max_length=191, unique=True)
    text = fields.TextField()
    route = fields.CharField(max_length=16)  # webhook | app | kf | grid_member | none
    outbox_id = fields.BigIntField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "request_update"


class KfLink(Model):
    """A customer-service villager's answer to "who are you": waits for the grid member's one tap."""

    external_userid = fields.CharField(max_length=64, primary_key=True)
    state = fields.CharField(max_length=16, default="asked")  # asked | claimed | linked | refused
    claimed_name = fields.CharField(max_length=32, default="")
    claimed_place = fields.CharField(max_length=64, default="")
    household: fields.ForeignKeyNullableRelation[Household] = fields.ForeignKeyField(
        "models.Household", related_name="kf_claims", null=True, on_delete=fields.SET_NULL
    )
    household_id: int | None
    updated_at = fields.DatetimeField()

    class Meta:
        table = "kf_link"
