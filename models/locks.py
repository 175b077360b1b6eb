"""PostgreSQL advisory locks that serialise start-up work (migrations, org loads) across processes.

The lock lives on a connection of its own, opened with asyncpg directly: a session-level advisory
lock on a pooled ORM connection would stay behind in the pool, and one held by a process that dies
is released when its connection closes. On SQLite there is only one process, so the lock is a no-op.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from tortoise import Tortoise


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for a lock name (pg_advisory_lock takes a bigint)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def is_postgres(url: str) -> bool:
    return url.startswith(("postgres://", "postgresql://"))


async def connect_own(url: str | None = None) -> asyncpg.Connection | None:
    """A fresh asyncpg connection to the database at `url` (or the open ORM's), None on SQLite."""
    if url is not None:
        return await asyncpg.connect(url) if is_postgres(url) else None
    client: Any = Tortoise.get_connection("default")
    if client.capabilities.dialect != "postgres":
        return None
    return await asyncpg.connect(
        user=client.user, password=client.password, database=client.database, host=client.host, port=client.port
    )


@asynccontextmanager
async def advisory_lock(name: str, url: str | None = None) -> AsyncIterator[None]:
    """Hold PostgreSQL's advisory lock `name` for the block, waiting for whoever holds it.

    Without `url` it locks the database the ORM has open. A no-op on SQLite.
    """
    conn = await connect_own(url)
    if conn is None:
        yield
        return
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", lock_key(name))
        yield
    finally:
        # Closing the session releases the lock even if the unlock itself fails.
        await conn.close()
