"""Redacting an audit-trail event: the one sanctioned change to an append-only row, itself recorded.

A row in event_redaction comes first, in the same transaction; the database's trigger (migration 0004)
allows an UPDATE of an event only when one exists, and only of `reason` and `data`. The event keeps its
facts — kind, time, ticket, request, department, actor — and loses the words a person wrote.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from tortoise.transactions import in_transaction

from models import EventRedaction, TicketEvent

DETAIL_KEYS = ("text", "claimed_name", "claimed_place", "note")  # what events' data may hold in a person's words


async def redact_event(event: TicketEvent, clean: Callable[[str], str], *, why: str, by: str, now: datetime) -> bool:
    """Pass the event's reason and its data's detail strings through `clean`; True when anything changed."""
    reason = clean(event.reason)
    data: dict[str, Any] = dict(event.data or {})
    for key in DETAIL_KEYS:
        if isinstance(data.get(key), str):
            data[key] = clean(data[key])
    if reason == event.reason and data == (event.data or {}):
        return False
    async with in_transaction() as conn:
        await EventRedaction.create(event_id=event.id, why=why, by=by, at=now)
        dialect = conn.capabilities.dialect
        if dialect == "postgres":
            sql = "UPDATE ticket_event SET reason = $1, data = $2::jsonb WHERE id = $3"
        else:
            sql = "UPDATE ticket_event SET reason = ?, data = ? WHERE id = ?"
        await conn.execute_query(sql, [reason, json.dumps(data, ensure_ascii=False), event.id])
    return True
