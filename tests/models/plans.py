"""The database's plan of a query, for the tests that show a query is read on its index."""

from __future__ import annotations

from tortoise.connection import connections


async def plan(sql: str, table: str) -> str:
    """The plan of `sql` (values inline) as one text; PostgreSQL, which plans by its statistics, first
    analyses `table` (SQLite keeps none)."""
    conn = connections.get("default")
    if conn.capabilities.dialect == "postgres":
        await conn.execute_script(f"ANALYZE {table}")
        rows = (await conn.execute_query(f"EXPLAIN {sql}"))[1]
        return "\n".join(str(row["QUERY PLAN"]) for row in rows)
    rows = (await conn.execute_query(f"EXPLAIN QUERY PLAN {sql}"))[1]
    return "\n".join(str(row["detail"]) for row in rows)
