"""`gridwhistle backup` while villagers keep writing, then `gridwhistle restore` into a new, empty database:
every request, ticket, ticket event and outbox row that existed when the backup began is there, nothing the
source lacks is there, and the media copies come along. On SQLite, or PostgreSQL with GRIDWHISTLE_TEST_DB=postgres.
The commands run as real processes (the `gridwhistle` fixture); the writer is the real dispatcher."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import pytest

from bot.commands.backup_files import BackupError, PgTarget, archives, new_key
from models import Attachment, InboxMessage, OutboxMessage, Request, Ticket, TicketEvent

VILLAGERS = ["wangshufen", "sunfuhai", "jiangdahai", "fengbaolin", "donglijun", "xuchunhua", "panguodong"]
TEXTS = [
    "{n}号那座桥塌了一半，车过不去，河水漫进猪圈了",
    "村里自来水管冻裂了第{n}天了，没水吃",
    "路灯坏了{n}盏，晚上黑得看不见路",
    "垃圾堆了{n}天没人清，臭得很",
]
# What a row keeps for life (a request's text grows as a villager's burst goes on, its status moves).
TABLES = {
    "request": ["id", "number", "sender_ref", "created_at"],
    "ticket": ["id", "number", "request_id"],
    "ticket_event": ["id", "ticket_id", "kind"],
    "outbox_message": ["id", "kind", "target"],
    "inbox_message": ["id", "channel", "message_key"],
}


async def rows(url: str, table: str) -> set[tuple[Any, ...]]:
    """The columns of TABLES[table] of every row, read with the database's own client (not the ORM)."""
    columns = ", ".join(f'"{c}"' for c in TABLES[table])
    if url.startswith("sqlite://"):
        conn = sqlite3.connect(url.removeprefix("sqlite://"))
        try:
            return {tuple(r) for r in conn.execute(f'SELECT {columns} FROM "{table}"')}
        finally:
            conn.close()
    pg = await asyncpg.connect(url)
    try:
        return {tuple(r) for r in await pg.fetch(f'SELECT {columns} FROM "{table}"')}
    finally:
        await pg.close()


def settings_file(path: Path, url: str, media: Path, **backup: str) -> Path:
    lines = [f'[database]\nurl = "{url}"\n', f'[media]\ndir = "{media}"\n', "[backup]\n"]
    lines += [f'{key} = "{value}"\n' for key, value in backup.items()]
    path.write_text("".join(lines), encoding="utf-8")
    return path


async def test_a_backup_of_a_busy_service_restores_every_row(
    county, say, database_url, empty_database_url, tmp_path, gridwhistle
) -> None:
    media = tmp_path / "media"
    counter = iter(range(1, 10_000))

    async def villager_writes() -> None:
        n = next(counter)
        await say("app", VILLAGERS[n % len(VILLAGERS)], TEXTS[n % len(TEXTS)].format(n=n))

    for _ in range(12):  # a service that has been working
        await villager_writes()
    request = await Request.first()
    assert request is not None
    (media / str(request.id)).mkdir(parents=True)
    (media / str(request.id) / "1.jpg").write_bytes(b"\xff\xd8 a photo of the bridge")
    await Attachment.create(
        request=request, kind="image", media_id="m1", local_path=str(media / str(request.id) / "1.jpg"),
        created_at=request.created_at,
    )  # fmt: skip
    assert await Ticket.all().count() > 0 and await TicketEvent.all().count() > 0
    assert await OutboxMessage.all().count() > 0
    before = {table: await rows(database_url, table) for table in TABLES}

    key = new_key()
    source_config = settings_file(
        tmp_path / "source.toml", database_url, media, key=key, copy_to=str(tmp_path / "share")
    )
    backup = asyncio.ensure_future(
        gridwhistle("backup", "--to", str(tmp_path / "backups"), "--config", str(source_config))
    )
    written_during = 0
    while not backup.done():  # villagers keep writing while the backup runs
        await villager_writes()
        written_during += 1
    code, out, err = await backup
    assert code == 0, err
    archive = Path(out.strip())
    assert archive.is_file() and archive.name.endswith(".tar.gz.fernet")
    assert "backup: database" in err and "backup: done" in err  # progress on stderr
    assert archives(tmp_path / "share") == [tmp_path / "share" / archive.name]  # the second place
    for _ in range(3):
        await villager_writes()
    after = {table: await rows(database_url, table) for table in TABLES}

    new_media = tmp_path / "new-machine" / "media"
    target_config = settings_file(tmp_path / "target.toml", empty_database_url, new_media, key=key)
    code, out, err = await gridwhistle("restore", str(archive), "--config", str(target_config))
    assert code == 0, err
    assert out.startswith("restored ")
    restored = {table: await rows(empty_database_url, table) for table in TABLES}
    for table in TABLES:
        assert before[table] <= restored[table], f"{table}: rows from before the backup are missing"
        assert restored[table] <= after[table], f"{table}: rows the source never had"
    assert before["request"] and written_during >= 1  # the backup really ran while villagers wrote
    photo = new_media / str(request.id) / "1.jpg"
    assert photo.read_bytes() == b"\xff\xd8 a photo of the bridge"
    if empty_database_url.startswith("sqlite://"):
        conn = sqlite3.connect(empty_database_url.removeprefix("sqlite://"))
        (path,) = conn.execute("SELECT local_path FROM attachment").fetchone()
        conn.close()
    else:
        pg = await asyncpg.connect(empty_database_url)
        path = await pg.fetchval("SELECT local_path FROM attachment")
        await pg.close()
    assert path == str(photo)  # attachments point at the new machine's media folder

    # A second restore meets a database that is no longer empty, and says so.
    code, out, err = await gridwhistle("restore", str(archive), "--config", str(target_config))
    assert code == 1 and "not empty" in err and "restore only into a new, empty database" in err
    assert await InboxMessage.all().count() >= 12


async def test_restore_refuses_a_database_with_tables(database_url, tmp_path, gridwhistle) -> None:
    config = settings_file(tmp_path / "gw.toml", database_url, tmp_path / "media")
    code, out, err = await gridwhistle("backup", "--to", str(tmp_path / "b"), "--config", str(config))
    assert code == 0, err
    code, out, err = await gridwhistle("restore", out.strip(), "--config", str(config))
    assert code == 1
    assert "the database in [database] url is not empty" in err and "Traceback" not in err


async def test_an_encrypted_backup_needs_its_key(database_url, empty_database_url, tmp_path, gridwhistle) -> None:
    config = settings_file(tmp_path / "gw.toml", database_url, tmp_path / "media", key=new_key())
    code, out, err = await gridwhistle("backup", "--to", str(tmp_path / "b"), "--config", str(config))
    assert code == 0, err
    wrong = settings_file(tmp_path / "wrong.toml", empty_database_url, tmp_path / "m2", key=new_key())
    code, _, err = await gridwhistle("restore", out.strip(), "--config", str(wrong))
    assert code == 1 and "does not open this backup" in err
    none = settings_file(tmp_path / "none.toml", empty_database_url, tmp_path / "m2")
    code, _, err = await gridwhistle("restore", out.strip(), "--config", str(none))
    assert code == 1 and "is encrypted: set [backup] key" in err


async def test_backups_keep_the_newest_n(database_url, tmp_path, gridwhistle) -> None:
    folder = tmp_path / "b"
    folder.mkdir()
    now = datetime.now(UTC)
    old = [folder / f"gridwhistle-{now - timedelta(days=5 - day):%Y%m%dT%H%M%SZ}.tar.gz" for day in range(1, 5)]
    for path in old:
        path.write_bytes(b"an older archive")
    (folder / "notes.txt").write_text("not an archive; left alone", encoding="utf-8")
    config = settings_file(tmp_path / "gw.toml", database_url, tmp_path / "media")
    code, out, err = await gridwhistle("backup", "--to", str(folder), "--keep", "3", "--config", str(config))
    assert code == 0, err
    assert archives(folder) == [old[2], old[3], Path(out.strip())]
    assert (folder / "notes.txt").exists()
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]  # no partial file or work folder left


async def test_backups_expire_with_the_shortest_retention_period(database_url, tmp_path, gridwhistle) -> None:
    folder = tmp_path / "b"
    folder.mkdir()
    now = datetime.now(UTC)
    aged = [folder / f"gridwhistle-{now - timedelta(days=days):%Y%m%dT%H%M%SZ}.tar.gz" for days in (95, 40, 3)]
    for path in aged:
        path.write_bytes(b"an older archive")
    config = settings_file(tmp_path / "gw.toml", database_url, tmp_path / "media")
    with config.open("a", encoding="utf-8") as file:
        file.write("\n[retention]\nnon_request_days = 60\n")  # the shortest period: backups live as long
    code, out, err = await gridwhistle("backup", "--to", str(folder), "--keep", "10", "--config", str(config))
    assert code == 0, err
    assert archives(folder) == [aged[1], aged[2], Path(out.strip())]


@pytest.mark.parametrize("key", ["short", "x" * 44])
def test_a_bad_backup_key_is_a_settings_error(tmp_path: Path, key: str) -> None:
    from config.errors import ConfigError
    from config.settings import load_settings

    path = tmp_path / "gw.toml"
    path.write_text(f'[backup]\nkey = "{key}"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[backup\] key: not a backup key"):
        load_settings(path)


@pytest.mark.parametrize(
    ("url", "host", "port", "dbname"),
    [
        ("postgres://gw:s%40cret@db.example:6543/county", "db.example", 6543, "county"),
        ("postgres://gw@/county?host=/var/run/postgresql", "/var/run/postgresql", 5432, "county"),
        ("postgres://gw@/county?host=/tmp/pg&port=6000", "/tmp/pg", 6000, "county"),
    ],
)
def test_pg_dump_is_pointed_at_the_urls_host_or_socket(url: str, host: str, port: int, dbname: str) -> None:
    target = PgTarget.from_url(url)
    assert (target.host, target.port, target.dbname, target.user) == (host, port, dbname, "gw")
    assert target.args()[:4] == ["--host", host, "--port", str(port)]


def test_a_url_with_a_port_that_is_no_number_is_named_in_the_error() -> None:
    with pytest.raises(BackupError, match=r"\[database\] url: port='fifty' is not a port number"):
        PgTarget.from_url("postgres://gw@/county?host=/tmp/pg&port=fifty")


async def test_a_backup_through_the_servers_socket(database_url, test_db_backend, tmp_path, gridwhistle) -> None:
    if test_db_backend != "postgres":
        pytest.skip("a PostgreSQL server's socket (GRIDWHISTLE_TEST_DB=postgres)")
    conn = await asyncpg.connect(database_url)
    try:
        folder = (await conn.fetchval("SHOW unix_socket_directories")).split(",")[0].strip()
        port = await conn.fetchval("SHOW port")
    finally:
        await conn.close()
    if not folder:
        pytest.skip("the server listens on no socket")
    parts = urlsplit(database_url)
    through_socket = f"postgres://{parts.username}@{parts.path}?host={folder}&port={port}"
    config = settings_file(tmp_path / "gw.toml", through_socket, tmp_path / "media")
    code, out, err = await gridwhistle("backup", "--to", str(tmp_path / "b"), "--config", str(config))
    assert code == 0, err
    assert Path(out.strip()).stat().st_size > 0
