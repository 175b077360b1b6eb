"""Upgrading a database that has data in it: every table is filled at the first schema, then each later
migration runs one at a time (as a county upgrading release by release would), and the rows are read back
through the current models. `db upgrade --dry-run` shows what would run and changes nothing. On SQLite,
or PostgreSQL with GRIDWHISTLE_TEST_DB=postgres."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg

import models.migrations
from bot.clock import SHANGHAI
from models import Area, Department, InboxMessage, OutboxMessage, Person, Request, Ticket, TicketEvent
from models.db import database
from models.migrate import pending, planned, upgrade
from models.numbers import next_number

MIGRATIONS = sorted(path.stem for path in Path(models.migrations.__file__).parent.glob("[0-9][0-9][0-9][0-9]_*.py"))
AT = datetime(2026, 1, 5, 9, 0, tzinfo=SHANGHAI)

# The first schema's rows, parents first; columns not named get a plain value of their type (fill below).
ROWS: list[tuple[str, dict[str, Any]]] = [
    ("area", {"id": 1, "code": "longjiang", "name": "龙江县", "level": "county", "parent_id": None}),
    ("area", {"id": 2, "code": "baishan", "name": "白山镇", "level": "township", "parent_id": 1}),
    ("department", {"id": 1, "code": "transport", "name": "交通运输局"}),
    ("person", {"id": 1, "userid": "jiangdahai", "name": "姜大海", "mobile": "13800000062"}),
    ("request", {"id": 1, "number": 1001, "text": "桥塌了", "channel": "app", "sender_id": 1, "area_id": 2,
                 "primary": "transport", "status": "recorded", "also": "[]", "keywords": "[]", "reply_context": "{}"}),
    ("ticket", {"id": 1, "number": 1002, "request_id": 1, "township_id": 2, "status": "open"}),
    ("ticket_event", {"id": 1, "ticket_id": 1, "request_id": 1, "kind": "whistled", "data": "{}", "at": AT}),
    ("inbox_message", {"id": 1, "channel": "app", "message_key": "m1", "payload": '{"text": "桥塌了"}', "status": "done"}),
    ("outbox_message", {"id": 1, "kind": "app", "target": "jiangdahai", "payload": "{}", "status": "sent",
                        "not_before": AT, "dedupe_key": None}),
    ("outbox_message", {"id": 2, "kind": "app", "target": "jiangdahai", "payload": "{}", "status": "sent",
                        "not_before": AT, "dedupe_key": None, "result": '{"msgids": ["a", "b", "c"]}'}),
]  # fmt: skip


async def _columns(conn: Any, table: str, pg: bool) -> dict[str, tuple[str, bool]]:
    """name → (type, needs a value): NOT NULL without a database default."""
    if pg:
        rows = await conn.fetch(
            "SELECT column_name, data_type, is_nullable, column_default FROM information_schema.columns "
            "WHERE table_name = $1",
            table,
        )
        return {
            r["column_name"]: (r["data_type"], r["is_nullable"] == "NO" and r["column_default"] is None) for r in rows
        }
    return {
        r[1]: (r[2].lower(), bool(r[3]) and r[4] is None and not r[5])
        for r in conn.execute(f'PRAGMA table_info("{table}")')
    }


def _plain(kind: str) -> Any:
    kind = kind.lower()
    if "int" in kind or "numeric" in kind:
        return 0
    if "bool" in kind:
        return False
    if "time" in kind or "date" in kind:
        return AT
    if "json" in kind:
        return "{}"
    return ""


async def fill(url: str) -> None:
    pg = not url.startswith("sqlite://")
    conn: Any = await asyncpg.connect(url) if pg else sqlite3.connect(url.removeprefix("sqlite://"))
    try:
        for table, given in ROWS:
            columns = await _columns(conn, table, pg)
            row = {name: value for name, value in given.items() if name in columns}
            row |= {name: _plain(kind) for name, (kind, needed) in columns.items() if needed and name not in row}
            names = ", ".join(f'"{n}"' for n in row)
            if pg:
                marks = ", ".join(
                    f"${i}" + ("::jsonb" if "json" in columns[n][0] else "") for i, n in enumerate(row, 1)
                )
                await conn.execute(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', *row.values())
            else:
                conn.execute(
                    f'INSERT INTO "{table}" ({names}) VALUES ({", ".join("?" * len(row))})', list(row.values())
                )
        if pg:  # rows written with their ids, as a real county's are: the sequences follow them
            for table in {table for table, _ in ROWS}:
                await conn.execute(
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), (SELECT max(id) FROM \"{table}\"))"
                )
        else:
            conn.commit()
    finally:
        await conn.close() if pg else conn.close()


async def test_every_migration_runs_over_a_filled_first_schema(empty_database_url: str) -> None:
    assert MIGRATIONS[0] == "0001_initial"
    assert await upgrade(empty_database_url, to=MIGRATIONS[0]) == ["models.0001_initial"]
    await fill(empty_database_url)
    # the dry run plans every later migration at once (its SQL is built from each one's state: once is enough)
    assert [n for n, _ in await planned(empty_database_url)] == [f"models.{name}" for name in MIGRATIONS[1:]]
    for name in MIGRATIONS[1:]:
        assert (await pending(empty_database_url))[0] == f"models.{name}"
        assert await upgrade(empty_database_url, to=name) == [f"models.{name}"]
    assert await upgrade(empty_database_url) == []
    assert await planned(empty_database_url) == []

    async with database(empty_database_url):
        request = await Request.get(number=1001).prefetch_related("sender", "area")
        assert request.text == "桥塌了" and request.sender.userid == "jiangdahai" and request.area.code == "baishan"
        ticket = await Ticket.get(number=1002)
        assert ticket.request_id == request.id and ticket.status == "open"
        assert [e.kind for e in await TicketEvent.filter(ticket_id=ticket.id)] == ["whistled"]
        assert (await InboxMessage.get(message_key="m1")).payload == {"text": "桥塌了"}
        assert (await OutboxMessage.get(id=1)).target == "jiangdahai"
        # a long text sent in three pieces counts three against its recipient's allowance (migration 0018)
        assert [(r.id, r.pieces) for r in await OutboxMessage.all().order_by("id")] == [(1, 1), (2, 3)]
        if not empty_database_url.startswith("sqlite://"):  # the number sequence starts after every stored number
            assert await next_number() == 1003
        # The upgraded database takes new rows beside the old ones.
        await Department.create(code="water", name="水务局")
        area = await Area.get(code="baishan")
        newer = await Request.create(
            number=1004, text="水管冻裂", channel="kf", area=area, primary="water", created_at=AT, updated_at=AT
        )
        assert newer.id > request.id
        assert await Person.filter(userid="jiangdahai").count() == 1


async def test_dry_run_prints_the_plan_and_changes_nothing(
    empty_database_url: str, tmp_path: Path, gridwhistle
) -> None:
    config = tmp_path / "gw.toml"
    config.write_text(f'[database]\nurl = "{empty_database_url}"\n', encoding="utf-8")
    code, out, err = await gridwhistle("db", "upgrade", "--dry-run", "--config", str(config))
    assert code == 0, err
    assert [line for line in out.splitlines() if line.startswith("would apply")] == [
        f"would apply models.{name}:" for name in MIGRATIONS
    ]
    assert 'CREATE TABLE "request"' in out and "ticket_event is append-only" in out
    assert out.splitlines()[-1] == f"{len(MIGRATIONS)} migrations would be applied (dry run: nothing changed)"
    assert await planned(empty_database_url) == await planned(empty_database_url)  # still all pending
    assert len(await planned(empty_database_url)) == len(MIGRATIONS)
    if empty_database_url.startswith("sqlite://"):
        assert not Path(empty_database_url.removeprefix("sqlite://")).parent.exists()  # not even the folder

    assert (await gridwhistle("db", "upgrade", "--config", str(config)))[0] == 0
    code, out, err = await gridwhistle("db", "upgrade", "--dry-run", "--config", str(config))
    assert (code, out.strip()) == (0, "up to date")
