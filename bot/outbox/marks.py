"""Sent marks written together: the sends a worker has in flight at once (one per recipient) mostly finish in
the same moment, and each waits for its row's `sent` mark before it goes on. Marks that arrive while one batch
is being written go in the next batch: one statement per row, sent as one batch with one commit (one fsync on
SQLite) instead of a transaction each; a mark alone is one statement, with no BEGIN and COMMIT around it. A
sender resumes only after its mark is committed, so what was sent is recorded as soon as before; a failed
batch fails each of its senders, as a failed single update did."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tortoise.connection import connections

from bot.gathered import Gathered
from bot.outbox.budget import pieces
from models import OutboxMessage

COLUMNS = ("status", "sent_at", "result", "attempts", "last_error", "pieces")  # set; then claimed_until cleared


class SentMarks:
    def __init__(self) -> None:
        self._marked: Gathered[list[Any], None] = Gathered(_write_all, "outbox-marks")  # bot/gathered.py

    @property
    def batches(self) -> int:
        """Commits made (rows marked ÷ batches: how much the batching saved)."""
        return self._marked.calls

    async def mark(
        self,
        row: OutboxMessage,
        *,
        status: str,
        sent_at: datetime,
        result: dict[str, Any],
        last_error: str,
        only_if: str,
    ) -> None:
        """Set the row's outcome (and clear its lease) where it is still `only_if`; returns once committed."""
        fields = OutboxMessage._meta.fields_map
        values = {"status": status, "sent_at": sent_at, "result": result, "attempts": row.attempts + 1}
        values["last_error"], values["pieces"] = last_error, pieces(result)
        await self._marked([fields[name].to_db_value(values[name], row) for name in COLUMNS] + [row.id, only_if])


async def _write_all(rows: list[list[Any]]) -> list[None]:
    """All or none, in the fewest round trips: one row by itself (no BEGIN/COMMIT around it); several on
    PostgreSQL by asyncpg's executemany, atomic without a transaction (the ORM's would add BEGIN and COMMIT);
    SQLite, in-process, in one transaction."""
    client = connections.get("default")
    dialect = client.capabilities.dialect
    if len(rows) == 1:
        await client.execute_query(_statement(dialect), rows[0])
    elif dialect == "postgres":
        async with client.acquire_connection() as connection:
            await connection.executemany(_statement(dialect), rows)
    else:
        await client.execute_many(_statement(dialect), rows)
    return [None] * len(rows)


def _statement(dialect: str) -> str:
    mark = (lambda n: f"${n}") if dialect == "postgres" else (lambda n: "?")
    sets = ", ".join(f'"{name}" = {mark(n)}' for n, name in enumerate(COLUMNS, start=1))
    n = len(COLUMNS)
    return (
        f'UPDATE "outbox_message" SET {sets}, "claimed_until" = NULL '
        f'WHERE "id" = {mark(n + 1)} AND "status" = {mark(n + 2)}'
    )
