"""Opening and closing the database for the service, the CLI and the tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from tortoise import Tortoise, connections
from tortoise.backends.base.config_generator import expand_db_url

from models import MODEL_MODULES

MIGRATIONS_MODULE = "models.migrations"
# PostgreSQL connections per process. The inbox's lanes (bot/inbox.py WORKERS) each hold one for a whole
# message; the callbacks' inserts, the outbox's claims and sent marks and the tickers need their own
# meanwhile, or they queue behind the lanes (the ORM's default is 5).
POOL_SIZE = 12


def tortoise_config(url: str) -> dict:
    """The ORM configuration for one database URL (`sqlite://…` or `postgres://…`)."""
    if url.startswith("postgresql://"):
        url = "postgres://" + url.removeprefix("postgresql://")
    connection: str | dict = url
    if url.startswith("postgres://"):
        connection = expand_db_url(url)
        connection["credentials"]["reset"] = keep_session
        connection["credentials"].setdefault("maxsize", POOL_SIZE)  # `?maxsize=N` in the URL overrides it
    elif url.startswith("sqlite://"):
        connection = expand_db_url(url)
        connection["engine"] = "models.sqlite_client"  # no thread hop per statement (see there)
    return {
        "connections": {"default": connection},
        "apps": {
            "models": {
                "models": MODEL_MODULES,
                "default_connection": "default",
                "migrations": MIGRATIONS_MODULE,
            }
        },
        "use_tz": True,
        "timezone": "Asia/Shanghai",
    }


async def keep_session(conn: Any) -> None:
    """A pooled connection given back: only an open transaction is undone. asyncpg's default also runs
    `pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL` on every release — a round trip per
    statement the ORM runs outside a transaction — but no pooled connection ever holds session state here
    (session advisory locks are taken on connections of their own: models/locks.py, bot/scheduler.py)."""
    if conn.is_in_transaction():
        await conn.execute("ROLLBACK")


def ensure_sqlite_dir(url: str) -> None:
    """`sqlite://data/x.sqlite3` must work on a fresh checkout, where data/ does not exist yet."""
    if url.startswith("sqlite://"):
        path = url.removeprefix("sqlite://").split("?", 1)[0]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)


async def open_db(url: str) -> None:
    ensure_sqlite_dir(url)
    await Tortoise.init(config=tortoise_config(url))
    # Connect now, before the workers start: Tortoise connects lazily, and two tasks making the first query
    # together would each open a SQLite connection, one of which is then never closed.
    await connections.get("default").execute_query("SELECT 1")


async def close_db() -> None:
    await Tortoise.close_connections()


@asynccontextmanager
async def database(url: str) -> AsyncIterator[None]:
    await open_db(url)
    try:
        yield
    finally:
        await close_db()
