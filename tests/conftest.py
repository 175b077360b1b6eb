"""Shared fixtures: a fresh, migrated database per test, the ORM on it, a hand-moved clock, settings.

SQLite by default: the migrations run once per session into a template file that each test copies.
With GRIDWHISTLE_TEST_DB=postgres: they run once into a template database, and each test gets
`CREATE DATABASE … TEMPLATE …`, dropped afterwards (server from GRIDWHISTLE_TEST_PG_URL).
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import sqlite3
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from bot.clock import SHANGHAI, ManualClock
from config.settings import Settings, load_settings
from models.db import close_db, open_db
from models.migrate import upgrade

T = TypeVar("T")

TEST_DB = os.environ.get("GRIDWHISTLE_TEST_DB", "sqlite").strip().lower() or "sqlite"
PG_BASE_URL = os.environ.get("GRIDWHISTLE_TEST_PG_URL", "postgres://postgres@127.0.0.1:5432/")
CLOCK_START = datetime(2026, 11, 16, 9, 0, tzinfo=SHANGHAI)  # a Monday morning in the county

if TEST_DB not in ("sqlite", "postgres"):
    raise pytest.UsageError(f"GRIDWHISTLE_TEST_DB must be sqlite or postgres, not {TEST_DB!r}")


def run_isolated(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine on its own loop in a worker thread, away from the tests' event loop.

    Session-wide set-up (migrating a template) happens in sync fixtures, so it must not touch the
    loop pytest-asyncio gives each test.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def pg_url(database: str, base: str = PG_BASE_URL) -> str:
    parts = urlsplit(base)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, ""))


async def pg_admin(*statements: str) -> None:
    conn = await asyncpg.connect(pg_url("postgres"))
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


def pytest_report_header(config: pytest.Config) -> str:
    where = f" at {pg_url('…')}" if TEST_DB == "postgres" else ""
    return f"gridwhistle test database: {TEST_DB}{where}"


@pytest.fixture(scope="session")
def test_db_backend() -> str:
    """"sqlite" or "postgres": which database this run tests on."""
    return TEST_DB


@pytest.fixture(scope="session")
def template_database(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[str]:
    """The migrated template every test's database is made from: a file path or a database name."""
    if TEST_DB == "sqlite":
        path = tmp_path_factory.mktemp("db-template") / "template.sqlite3"
        run_isolated(upgrade(f"sqlite://{path}"))
        # Fold the WAL into the main file, so copying the one file copies the whole schema.
        with sqlite3.connect(path) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
        yield str(path)
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    server.drop_leftovers()
    name = f"gw_tpl_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    url = server.create(name)
    try:
        run_isolated(upgrade(url))
        yield name
    finally:
        server.drop_later(name)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """Creates the tests' PostgreSQL databases, and drops them in the background."""
    server = PostgresServer()
    try:
        yield server
    finally:
        server.finish()


class PostgresServer:
    """A DROP DATABASE waits for a checkpoint; dropping in a background thread means no test waits
    for the previous test's one."""

    def __init__(self) -> None:
        self._dropper = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gw-dropdb")
        self._drops: list[Future[None]] = []
        version = run_isolated(_server_version())
        # FILE_COPY (PostgreSQL 15+) copies a small template's few files faster than WAL_LOG.
        self._strategy = " STRATEGY FILE_COPY" if version >= 150000 else ""

    def create(self, name: str, template: str | None = None) -> str:
        copy = f' TEMPLATE "{template}"{self._strategy}' if template else ""
        run_isolated(pg_admin(f'CREATE DATABASE "{name}"{copy}'))
        return pg_url(name)

    def drop_later(self, name: str) -> None:
        self._drops.append(
            self._dropper.submit(asyncio.run, pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        )

    def drop_leftovers(self) -> None:
        """Drop the databases of earlier runs on this machine that were killed before cleaning up."""
        for name in run_isolated(_test_databases()):
            match = re.fullmatch(r"gw_(?:tpl|t|e)_(\d+)_[0-9a-f]+", name)
            if match and not _process_alive(int(match.group(1))):
                self.drop_later(name)

    def finish(self) -> None:
        self._dropper.shutdown(wait=True)
        drops, self._drops = self._drops, []
        for drop in drops:
            drop.result()


async def _test_databases() -> list[str]:
    conn = await asyncpg.connect(pg_url("postgres"))
    try:
        return [row["datname"] for row in await conn.fetch("SELECT datname FROM pg_database WHERE datname LIKE 'gw\\_%'")]
    finally:
        await conn.close()


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


async def _server_version() -> int:
    conn = await asyncpg.connect(pg_url("postgres"))
    try:
        return int(await conn.fetchval("SHOW server_version_num"))
    finally:
        await conn.close()


@pytest.fixture
def database_url(template_database: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh, fully migrated database of this test's own."""
    if TEST_DB == "sqlite":
        path = tmp_path / "gridwhistle.sqlite3"
        shutil.copyfile(template_database, path)
        yield f"sqlite://{path}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = f"gw_t_{os.getpid()}_{uuid.uuid4().hex[:10]}"
    url = server.create(name, template=template_database)
    try:
        yield url
    finally:
        server.drop_later(name)


@pytest.fixture
def empty_database_url(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """An empty database with no schema at all (for testing migrations themselves)."""
    if TEST_DB == "sqlite":
        yield f"sqlite://{tmp_path / 'empty' / 'gridwhistle.sqlite3'}"  # its folder does not exist yet
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = f"gw_e_{os.getpid()}_{uuid.uuid4().hex[:10]}"
    url = server.create(name)
    try:
        yield url
    finally:
        server.drop_later(name)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[str]:
    """The ORM opened on this test's database (yields its URL); closed afterwards."""
    await open_db(database_url)
    try:
        yield database_url
    finally:
        await close_db()


@pytest.fixture
def clock() -> ManualClock:
    """Time that only moves when the test says so: Monday 2026-11-16 09:00 Asia/Shanghai."""
    return ManualClock(CLOCK_START)


@pytest.fixture
def config_file(tmp_path: Path, database_url: str) -> Path:
    """A settings TOML on this test's database, for running the real CLI with --config."""
    path = tmp_path / "gridwhistle.toml"
    path.write_text(f'[database]\nurl = "{database_url}"\n', encoding="utf-8")
    return path


@pytest.fixture
def settings(config_file: Path) -> Settings:
    """Settings as the service would load them from config_file: this test's database, defaults elsewhere."""
    return load_settings(config_file)
