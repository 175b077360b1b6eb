"""Writing to the outbox: call inside the transaction that makes the change the message reports."""

from __future__ import annotations

from datetime import datetime

from tortoise.exceptions import IntegrityError

from bot.channels.types import Outbound
from models import OutboxMessage


async def enqueue(
    message: Outbound, *, now: datetime, not_before: datetime | None = None, dedupe_key: str | None = None
) -> OutboxMessage | None:
    """Queue one message; with a dedupe_key already queued it does nothing and returns None.

    Call it inside `in_transaction()` together with the data change, so both commit or neither does.
    """
    if dedupe_key is not None and await OutboxMessage.filter(dedupe_key=dedupe_key).exists():
        return None
    try:
        return await OutboxMessage.create(
            kind=message.to.channel,
            target=message.to.target,
            payload=message.to_json(),
            dedupe_key=dedupe_key,
            not_before=not_before or now,
            created_at=now,
        )
    except IntegrityError:
        if dedupe_key is None:
            raise
        return None  # a concurrent writer queued the same key first
