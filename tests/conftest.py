"""Shared fixtures, defined once for every test folder: a fresh, migrated database per test, the ORM on it,
a hand-moved clock, settings, the demo county, the WeCom sandbox, and the real dispatcher driven message by
message (`say`).

SQLite by default: the migrations run once per session into a template file that each test copies.
With GRIDWHISTLE_TEST_DB=postgres: they run once into a template database, and each test gets
`CREATE DATABASE … TEMPLATE …`, dropped afterwards (server from GRIDWHISTLE_TEST_PG_URL).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import re
import shutil
import sqlite3
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import asyncpg
import pytest
from aiohttp import web
from tortoise.backends.base.executor import EXECUTOR_CACHE

from bot.app import create_app
from bot.calendar import CalendarHolder
from bot.channels.types import Inbound
from bot.clock import SHANGHAI, ManualClock
from bot.dispatch import Dispatcher
from bot.keys import SETTINGS, WECOM_API
from bot.outbox import OutboxWorker
from bot.sandbox.callbacks import CallbackClient
from bot.sandbox.fake_wecom import RunningFakeWecom, running_fake_wecom
from bot.sandbox.harness import DrivenService
from config.policy import load_policy
from config.settings import DEMO_ORG_FILE, ROUTING_TABLE, Settings, load_settings
from config.subcommands import Subcommands
from config.texts import CommandWords, Texts
from handlers.core.context import Services
from handlers.features import routers
from models import CountySetting, InboxMessage, OutboxMessage
from models.db import close_db, open_db
from models.migrate import upgrade
from models.org import load_org
from nlp.holder import RouterHolder
from nlp.names import county_names

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
    """ "sqlite" or "postgres": which database this run tests on."""
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
        return [
            row["datname"] for row in await conn.fetch("SELECT datname FROM pg_database WHERE datname LIKE 'gw\\_%'")
        ]
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


@pytest.fixture(autouse=True)
def fresh_insert_statements() -> None:
    """tortoise caches each table's INSERT by connection name and table, not by database kind: a test that
    runs the demo on its own SQLite file inside a PostgreSQL run would leave SQLite's statements behind."""
    EXECUTOR_CACHE.clear()


class _StatementLog(logging.Handler):
    def __init__(self, lines: list[str]) -> None:
        super().__init__(logging.DEBUG)
        self.lines = lines

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def statements() -> Iterator[list[str]]:
    """The statements sent to the database while the test runs, one line each (the ORM client's debug log,
    which also carries the raw statements run through its connection); `.clear()` it to count from a point."""
    lines: list[str] = []
    log = logging.getLogger("tortoise.db_client")
    handler, level = _StatementLog(lines), log.level
    log.addHandler(handler)
    log.setLevel(logging.DEBUG)
    yield lines
    log.removeHandler(handler)
    log.setLevel(level)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[str]:
    """The ORM opened on this test's database (yields its URL); closed afterwards."""
    await open_db(database_url)
    try:
        yield database_url
    finally:
        await close_db()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "clock_start(when): the `clock` fixture starts at this aware datetime instead of CLOCK_START"
    )
    config.addinivalue_line("markers", "village_tier: the demo county keeps its village tier on (else it is off)")


@pytest.fixture
def clock(request: pytest.FixtureRequest) -> ManualClock:
    """Time that only moves when the test says so: Monday 2026-11-16 09:00 Asia/Shanghai, or the time
    a `pytest.mark.clock_start(datetime(…))` on the test or its module names."""
    marker = request.node.get_closest_marker("clock_start")
    return ManualClock(marker.args[0] if marker else CLOCK_START)


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


@pytest.fixture
async def county(db: str, clock: ManualClock, request: pytest.FixtureRequest) -> None:
    """The demo county (config/demo/county.toml: 龙江县, its townships, villages, people) loaded at the clock's time."""
    await load_org([DEMO_ORG_FILE], clock.now())
    await village_tier_as_marked(request)


async def village_tier_as_marked(request: pytest.FixtureRequest) -> None:
    """The demo county has the village tier on (README "Duty rosters"); a test not marked `village_tier` runs with
    it off, the township-first flow every county has until it turns the switch on."""
    if request.node.get_closest_marker("village_tier") is None:
        await CountySetting.all().update(village_tier=False)


@pytest.fixture
async def fake_wecom(settings: Settings, clock: ManualClock) -> AsyncIterator[RunningFakeWecom]:
    """The WeCom sandbox (bot/sandbox/fake_wecom.py) on an unused loopback port, for the corp and app of `settings`."""
    app = settings.wecom.app
    async with running_fake_wecom(settings.wecom.corp_id, {str(app.agent_id): app.secret}, clock=clock) as running:
        yield running


@pytest.fixture
def service_settings(settings: Settings, fake_wecom: RunningFakeWecom) -> Settings:
    """`settings` with WeCom replaced by the sandbox: what a service under test is started with."""
    return settings.model_copy(update={"wecom": settings.wecom.model_copy(update={"api_base": fake_wecom.api_base})})


@pytest.fixture(scope="session")
def routing() -> RouterHolder:
    """The shipped routing table with the demo county's names, built once per test session."""
    return RouterHolder.load(ROUTING_TABLE, county_names(DEMO_ORG_FILE))


@pytest.fixture
def services(clock: ManualClock, routing: RouterHolder) -> Services:
    """What handlers use, as the application builds it: shipped texts, command words, policy; admin `admin`."""
    return Services(
        clock=clock,
        texts=Texts.load(),
        commands=CommandWords.load(),
        policy=load_policy(),
        calendar=CalendarHolder.load(),
        router=lambda: routing.router,
        admins=("admin",),
        subcommands=Subcommands.load_all(),
    )


@pytest.fixture
def dispatcher(db: str, services: Services) -> Dispatcher:
    """The real dispatcher with every feature of handlers/features.py, on this test's database."""
    return Dispatcher(services, routers())


Say = Callable[..., Awaitable[list[OutboxMessage]]]


@pytest.fixture
def say_through(clock: ManualClock) -> Callable[[Dispatcher], Say]:
    """`say_through(dispatcher)`: a `say` (below) for a dispatcher the test built itself."""
    message_ids = itertools.count(1)  # unique within the test, as WeCom's message ids are

    def through(dispatcher: Dispatcher) -> Say:
        async def send(
            channel: str,
            sender: str,
            text: str = "",
            *,
            conversation: str = "",
            kind: str = "text",
            reply: dict[str, Any] | None = None,
            extra: dict[str, Any] | None = None,
        ) -> list[OutboxMessage]:
            message_id = f"test-{next(message_ids)}"
            if channel == "aibot" and reply is None:
                reply = {"response_url": f"http://127.0.0.1:9/aibot/response?code={message_id}"}
            if channel == "kf" and reply is None:
                reply = {"open_kfid": "wkgridwhistledemo"}
            inbound = Inbound(
                channel=channel,
                message_id=message_id,
                sender=sender,
                conversation=conversation,
                kind=kind,
                text=text,
                received_at=clock.now(),
                reply=reply or {},
                extra=extra or {},
            )
            before = await OutboxMessage.all().order_by("-id").first()
            row = await InboxMessage.create(
                channel=channel, message_key=message_id, payload=inbound.to_json(), received_at=clock.now()
            )
            await dispatcher.process(row.id)
            return await OutboxMessage.filter(id__gt=before.id if before else 0).order_by("id")

        return send

    return through


@pytest.fixture
def say(say_through: Callable[[Dispatcher], Say], dispatcher: Dispatcher) -> Say:
    """`await say("app", "zhangwei", "吹哨 #1001 交通局")` → the outbox rows that message produced.

    The message is stored as an inbox row, as a channel would, and processed by the real dispatcher.
    """
    return say_through(dispatcher)


GridwhistleCli = Callable[..., Awaitable[tuple[int, str, str]]]


@pytest.fixture
def gridwhistle() -> GridwhistleCli:
    """`await gridwhistle("ticket", "show", "1002", "--config", …)` → (exit code, stdout, stderr): the real
    command in a process of its own, from the repository root; `cache=` gives jieba a cache folder."""
    root = Path(__file__).resolve().parents[1]

    async def run(*args: str, cache: Path | None = None) -> tuple[int, str, str]:
        env = {**os.environ, "PYTHONPATH": str(root), **({"XDG_CACHE_HOME": str(cache)} if cache else {})}
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            "import sys; from bot.cli import main; sys.exit(main())",
            *args,
            cwd=root,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await process.communicate()
        assert process.returncode is not None  # communicate() waited for the exit
        return process.returncode, out.decode(), err.decode()

    return run


@pytest.fixture
async def driven_service(
    service_settings: Settings, clock: ManualClock, fake_wecom: RunningFakeWecom, request: pytest.FixtureRequest
) -> AsyncIterator[DrivenService]:
    """The real service on loopback with the demo county, pointed at the fake WeCom, driven by hand
    (bot/sandbox/harness.py): the outbox is sent only on `settle()`, so tests decide when WeCom receives."""
    app = create_app(service_settings, clock=clock, migrate=False, load_org=True, background=False)
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    await village_tier_as_marked(request)
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        async with aiohttp.ClientSession() as http:
            wecom = CallbackClient(
                http, f"http://127.0.0.1:{runner.addresses[0][1]}", app[SETTINGS].wecom, clock, fake_wecom.state
            )
            yield DrivenService(app, wecom, fake_wecom.state, OutboxWorker(app[WECOM_API], clock, ()), clock)
    finally:
        await runner.cleanup()
