"""The service's SQLite client runs each statement on the event loop's thread, with transactions as before."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from tortoise import Tortoise
from tortoise.transactions import in_transaction

from models import Area
from models.db import database
from models.migrate import upgrade
from models.sqlite_client import InlineSqliteClient


@pytest.fixture
async def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite://{tmp_path / 'inline.sqlite3'}"
    await upgrade(url)
    return url


async def test_statements_run_on_the_loops_thread_and_start_no_thread(sqlite_url: str) -> None:
    threads = threading.active_count()
    async with database(sqlite_url):
        client = Tortoise.get_connection("default")
        assert isinstance(client, InlineSqliteClient)
        client._connection._conn.create_function("thread_id", 0, threading.get_ident)
        rows = await client.execute_query_dict("SELECT thread_id() AS id")
        assert rows[0]["id"] == threading.get_ident()
        assert threading.active_count() == threads
    assert threading.active_count() == threads


async def test_a_rolled_back_transaction_leaves_nothing_and_a_committed_one_stays(sqlite_url: str) -> None:
    async with database(sqlite_url):
        with pytest.raises(RuntimeError):
            async with in_transaction():
                await Area.create(code="lost", name="不留", level="county")
                raise RuntimeError("undone")
        async with in_transaction():
            await Area.create(code="kept", name="留下", level="county")
    async with database(sqlite_url):  # a new connection reads what the file holds
        assert [a.code async for a in Area.all()] == ["kept"]


async def test_the_pragmas_are_set(sqlite_url: str) -> None:
    async with database(sqlite_url):
        client = Tortoise.get_connection("default")
        assert (await client.execute_query_dict("PRAGMA journal_mode"))[0]["journal_mode"] == "wal"
        assert (await client.execute_query_dict("PRAGMA foreign_keys"))[0]["foreign_keys"] == 1


async def test_a_closed_connection_refuses_statements(sqlite_url: str) -> None:
    async with database(sqlite_url):
        connection = Tortoise.get_connection("default")._connection
    with pytest.raises(ValueError, match="no active connection"):
        await connection.execute("SELECT 1")
