"""The rows a claim holds back: each waits until its recipient's allowance frees, all in one statement.

Written as text, not built by the ORM: a claim in a flood holds rows of several people, each until their own
time, and the ORM took longer to build that CASE over ids than the database took to run it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from models import OutboxMessage


async def hold(waits: dict[datetime, list[int]], conn: Any) -> None:
    """`waits`: a time → the rows that wait until then. (ELSE keeps the column's type for PostgreSQL's CASE.)"""
    if not waits:
        return
    column = OutboxMessage._meta.fields_map["not_before"]
    params: list[Any] = []
    postgres = conn.capabilities.dialect == "postgres"

    def slot(value: Any) -> str:
        params.append(value)
        return f"${len(params)}" if postgres else "?"

    cases = " ".join(
        f'WHEN "id" IN ({", ".join(slot(row_id) for row_id in ids)}) THEN {slot(column.to_db_value(at, OutboxMessage))}'
        for at, ids in waits.items()
    )
    every = ", ".join(slot(row_id) for ids in waits.values() for row_id in ids)
    await conn.execute_query(
        f'UPDATE "outbox_message" SET "not_before" = CASE {cases} ELSE "not_before" END WHERE "id" IN ({every})', params
    )
