"""The AI bot's long connection as every process sees it: one row per bot, written by the process holding it."""

from __future__ import annotations

from datetime import datetime

from tortoise import fields
from tortoise.models import Model


class AibotLink(Model):
    """Whether the bot's WebSocket is up, since when, how often it reconnected, and whether WeCom displaced it.

    state: down | up | displaced. `displaced` keeps every process from dialling again (a connection we do not
    know of took the bot over; dialling back would kick it, and it us, for ever) until `resume()` clears it
    (`gridwhistle aibot resume`, or a restart of the service).
    """

    bot_id = fields.CharField(max_length=64, primary_key=True)
    state = fields.CharField(max_length=16, default="down")
    holder = fields.CharField(max_length=128, default="")  # host:pid of the process holding the socket
    up_since = fields.DatetimeField(null=True)
    down_since = fields.DatetimeField(null=True)
    reconnects = fields.IntField(default=0)
    last_frame_at = fields.DatetimeField(null=True)
    displaced_at = fields.DatetimeField(null=True)
    outage_alerted = fields.BooleanField(default=False)  # the admins were told of the current outage
    updated_at = fields.DatetimeField()

    class Meta:
        table = "aibot_link"


async def resume(bot_id: str, now: datetime) -> bool:
    """Let the processes dial again after a displacement (True when the bot was displaced): each serving process
    asks for the socket's lock every `elect_seconds`, and the one that gets it reconnects."""
    return bool(await AibotLink.filter(bot_id=bot_id, state="displaced").update(state="down", updated_at=now))
