"""The county-wide number of requests and tickets, shown and typed as `#1042`.

One statement both creates the counter row (first call) and advances it, returning the new value.
It takes the row's lock until the caller's transaction ends, so concurrent callers on PostgreSQL
queue behind each other, and a rolled-back caller leaves no gap. SQLite serialises writers anyway.
"""

from __future__ import annotations

from tortoise.connection import connections

FIRST_NUMBER = 1001  # so the first request reads #1001, never #1
COUNTER_NAME = "number"

_NEXT = (
    f"INSERT INTO counter (name, value) VALUES ('{COUNTER_NAME}', {FIRST_NUMBER}) "
    "ON CONFLICT (name) DO UPDATE SET value = counter.value + 1 RETURNING value"
)


async def next_number() -> int:
    """The next number; call it inside the transaction that stores the request or ticket."""
    # connections.get returns the transaction's client inside `in_transaction()`.
    rows = await connections.get("default").execute_query_dict(_NEXT)
    return int(rows[0]["value"])


def display(number: int) -> str:
    return f"#{number}"
