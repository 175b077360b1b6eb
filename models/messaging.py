"""What came in (inbox), what must go out (outbox), and the state the WeCom channels keep."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from models.areas import Area
    from models.people import Person


class InboxMessage(Model):
    """One inbound message or event, stored before WeCom gets its 200; the unique key stops retries."""

    id = fields.BigIntField(primary_key=True)
    channel = fields.CharField(max_length=16)  # app | aibot | kf
    message_key = fields.CharField(max_length=160)  # MsgId; FromUserName+CreateTime+Event; msgid
    payload: fields.JSONField[dict[str, Any]] = fields.JSONField()  # the internal Inbound, serialised
    status = fields.CharField(max_length=16, default="pending", db_index=True)  # pending | done | failed
    attempts = fields.IntField(default=0)
    error = fields.TextField(default="")
    received_at = fields.DatetimeField()
    processed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "inbox_message"
        unique_together = (("channel", "message_key"),)


class OutboxMessage(Model):
    """A message that must reach WeCom; written in the same transaction as the change it reports.

    `dedupe_key` (unique, optional) makes a reminder or notice impossible to enqueue twice.
    """

    id = fields.BigIntField(primary_key=True)
    kind = fields.CharField(
        max_length=32
    )  # app_message | update_card | appchat_create | appchat_send | webhook | aibot_response | kf_message
    target = fields.CharField(max_length=255, default="")  # userid, chatid, webhook key, response_url, external_userid
    payload: fields.JSONField[dict[str, Any]] = fields.JSONField()  # the internal Outbound, serialised
    dedupe_key = fields.CharField(max_length=191, unique=True, null=True)
    status = fields.CharField(max_length=16, default="pending", db_index=True)  # pending | sent | dead | combined
    attempts = fields.IntField(default=0)
    not_before = fields.DatetimeField(db_index=True)  # quiet hours, rate limits and back-off push this forward
    priority = fields.SmallIntField(
        default=0, db_default=0
    )  # 1: urgent, claimed before the rest (bot.outbox.queue.URGENT)
    claimed_until = fields.DatetimeField(null=True)  # a worker's lease on the row
    last_error = fields.TextField(default="")
    # WeCom's answer (msgid, response_code, chatid …)
    result: fields.JSONField[dict[str, Any] | None] = fields.JSONField(null=True)
    created_at = fields.DatetimeField()
    sent_at = fields.DatetimeField(null=True)
    # messages WeCom counted for a sent row (a long text goes in several): a recipient's hourly allowance is
    # their sum, added up by the database (bot/outbox/budget.py)
    pieces = fields.SmallIntField(default=1, db_default=1)

    class Meta:
        table = "outbox_message"


class ApiToken(Model):
    """A WeCom access token shared by every process, and one refresher at a time holds `refresh_lock_until`."""

    key = fields.CharField(max_length=128, primary_key=True)  # corp id + app
    token = fields.TextField(default="")
    expires_at = fields.DatetimeField(null=True)
    refresh_lock_until = fields.DatetimeField(null=True)

    class Meta:
        table = "api_token"


class KfCursor(Model):
    """The customer-service pull position per kf account, advanced under a row lock."""

    open_kfid = fields.CharField(max_length=64, primary_key=True)
    cursor = fields.CharField(max_length=128, default="")
    updated_at = fields.DatetimeField(null=True)

    class Meta:
        table = "kf_cursor"


class KfCustomer(Model):
    """A villager on personal WeChat reached through customer service: their grid and send window."""

    external_userid = fields.CharField(max_length=64, primary_key=True)
    open_kfid = fields.CharField(max_length=64)
    grid: fields.ForeignKeyNullableRelation[Area] = fields.ForeignKeyField(
        "models.Area", related_name="kf_customers", null=True, on_delete=fields.SET_NULL
    )
    grid_id: int | None
    person: fields.ForeignKeyNullableRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="kf_links", null=True, on_delete=fields.SET_NULL
    )
    person_id: int | None
    last_customer_message_at = fields.DatetimeField(null=True)
    sent_since_customer_message = fields.IntField(default=0)  # WeCom allows 5 before the villager writes again

    class Meta:
        table = "kf_customer"
