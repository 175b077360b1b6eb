"""SQLite without a thread hop per statement: the ORM's SQLite client, each call made on the event loop's thread.

aiosqlite hands every statement to a worker thread and wakes the event loop with the answer: two thread
switches and a wake-up of the loop per statement, which cost more than the statement itself — SQLite answers
from its page cache in microseconds, and a commit's fsync of the write-ahead log takes about a quarter of a
millisecond here. The service keeps one SQLite connection, its statements one after another (the ORM's lock),
so while one waits on the worker thread nothing else can use the database anyway. Made on the loop's own
thread instead (after one turn of the loop, so that other tasks still get their turn between statements), a
flood of messages is answered faster (bench/RESULTS.md). Selected by models/db.py's
configuration as the `engine` of every sqlite:// URL.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Generator
from functools import partial
from typing import Any

import aiosqlite
from tortoise.backends.sqlite.client import SqliteClient


class InlineConnection(aiosqlite.Connection):
    """aiosqlite's connection whose calls run where they are awaited; its worker thread is never started."""

    def __await__(self) -> Generator[Any, None, InlineConnection]:
        return self._open().__await__()

    async def _open(self) -> InlineConnection:
        if self._connection is None:
            self._connection = self._connector()
        return self

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if self._connection is None:
            raise ValueError("Connection closed")
        # Each statement still lets the loop run what is ready first, as waiting on the thread did: a pass of
        # the inbox must not keep the callbacks and the outbox waiting until its last message is done.
        await asyncio.sleep(0)
        return fn(*args, **kwargs)

    def stop(self) -> None:
        self._running = False
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    async def close(self) -> None:
        self.stop()


class InlineSqliteClient(SqliteClient):
    """The ORM's SQLite client on an InlineConnection; pragmas as the ORM sets them."""

    async def create_connection(self, with_db: bool) -> None:
        if self._connection:
            return
        connection = await InlineConnection(partial(sqlite3.connect, self.filename, isolation_level=None), 64)
        connection._conn.row_factory = sqlite3.Row
        for pragma, value in self.pragmas.items():
            await (await connection.execute(f"PRAGMA {pragma}={value}")).close()
        self._connection = connection
        await self._post_connect()


client_class = InlineSqliteClient  # what the ORM looks up in an `engine` module
