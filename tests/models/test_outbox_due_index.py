"""The outbox's claim reads due rows in its own order on an index (migration 0020): urgent first, then the
longest due — without it the database read every pending row and sorted them at each claim."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.clock import ManualClock
from bot.outbox.worker import _due
from models import OutboxMessage
from tests.models.plans import plan


@pytest.mark.parametrize("from_least", [False, True])
async def test_the_claim_reads_due_rows_in_order_on_the_index(db: str, clock: ManualClock, from_least: bool) -> None:
    now = clock.now()
    await OutboxMessage.bulk_create(  # a flood's backlog: answers and notices, a fifth urgent, some held for later
        OutboxMessage(
            kind="app",
            target=f"u{n % 40}",
            payload={"text": "收到"},
            status="sent" if n % 7 == 0 else "pending",
            priority=1 if n % 5 == 0 else 0,
            not_before=now + timedelta(minutes=10 if n % 11 == 0 else -(n % 60)),
            created_at=now,
        )
        for n in range(2000)
    )
    query = _due(from_least=from_least).build(now, 50, 1)
    found = await plan(query.sql(params_inline=True), "outbox_message")
    assert "outbox_message_due" in found, found
    assert "Sort" not in found and "TEMP B-TREE" not in found, found  # read in order, not sorted
    due = await query
    assert [(r.priority, r.not_before, r.id) for r in due] == sorted(
        ((r.priority, r.not_before, r.id) for r in due), key=lambda k: (-k[0], k[1], k[2])
    )
    assert all(r.status == "pending" and r.not_before <= now for r in due)
    assert len(due) == 50 and (not from_least or {r.priority for r in due} == {1})
