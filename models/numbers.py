"""The county-wide number of requests and tickets, shown and typed as `#1042`.

PostgreSQL: `nextval` of the sequence `number_seq` (migration 0017). Taking a number locks nothing, so
messages handled side by side (the inbox's lanes, several processes) do not wait for each other; a number
taken by a message that then fails and is rolled back is not given again (a gap, as rare as a failed message).
SQLite: one statement both creates the counter row (first call) and advances it, inside the caller's
transaction; SQLite runs one writer at a time anyway, so a rolled-back caller leaves no gap there.
"""

from __future__ import annotations

from tortoise.connection import connections

FIRST_NUMBER = 1001  # so the first request reads #1001, never #1
COUNTER_NAME = "number"

NEXT_NUMBER_SQL = "nextval('number_seq')"  # PostgreSQL: also written inside a request's insert (models/audited.py)
_NEXT = {
    "postgres": f"SELECT {NEXT_NUMBER_SQL} AS value",
    "sqlite": (
        f"INSERT INTO counter (name, value) VALUES ('{COUNTER_NAME}', {FIRST_NUMBER}) "
        "ON CONFLICT (name) DO UPDATE SET value = counter.value + 1 RETURNING value"
    ),
}


async def next_number() -> int:
    """The next number; call it inside the transaction that stores the request or ticket."""
    # connections.get returns the transaction's client inside `in_transaction()`.
    client = connections.get("default")
    rows = await client.execute_query_dict(_NEXT[client.capabilities.dialect])
    return int(rows[0]["value"])


def display(number: int) -> str:
    return f"#{number}"
