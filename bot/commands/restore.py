"""`gridwhistle restore FROM [--config FILE]`: an archive of `gridwhistle backup` into the empty
database of [database] url, and its media copies into [media] dir.

It refuses a database that already has tables (restore never mixes two counties' rows), checks the
archive's manifest, loads the database (SQLite: the online backup API into the new file; PostgreSQL:
`pg_restore --single-transaction --exit-on-error`, so a failure leaves the database empty again),
copies the media, points attachments at the new media folder, and then counts every table against the
manifest. A newer release then runs `gridwhistle db upgrade` (or `serve`) as usual.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sqlite3
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

import asyncpg

from bot.commands import add_config_arg, settings_from
from bot.commands.backup_files import (
    ENCRYPTED_SUFFIX,
    FORMAT,
    MANIFEST,
    MEDIA,
    PG_TABLES,
    BackupError,
    PgTarget,
    database_kind,
    decrypt_file,
    pg_program,
    progress,
    sqlite_path,
    sqlite_tables,
)
from config.settings import Settings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "restore", help="restore a backup into an empty database", description=__doc__.splitlines()[0]
    )
    parser.add_argument("source", metavar="FROM", type=Path, help="an archive made by `gridwhistle backup`")
    add_config_arg(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    try:
        tables = restore(settings, args.source)
    except BackupError as exc:
        print(f"gridwhistle restore: {exc}", file=sys.stderr)
        return 1
    print(f"restored {len(tables)} tables, {sum(tables.values())} rows from {args.source}")
    return 0


def restore(settings: Settings, source: Path) -> dict[str, int]:
    """Restore `source`; returns the row count per table, equal to the manifest's."""
    if not source.is_file():
        raise BackupError(f"{source}: no such backup file")
    url = settings.database.url
    _refuse_unless_empty(url)
    with tempfile.TemporaryDirectory(prefix="gridwhistle-restore-") as work_dir:
        work = Path(work_dir)
        archive = source
        if source.name.endswith(ENCRYPTED_SUFFIX):
            progress("restore: decrypting …")
            archive = work / "archive.tar.gz"
            with archive.open("wb") as plain:
                decrypt_file(source, plain, settings.backup.key)
        progress("restore: unpacking …")
        try:
            with tarfile.open(archive, "r:gz") as tar:
                tar.extractall(work / "unpacked", filter="data")  # no paths outside the folder, no devices
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise BackupError(f"{source} is not a readable gridwhistle backup: {exc}") from None
        unpacked = work / "unpacked"
        manifest = _manifest(unpacked, source)
        if manifest["database"] != database_kind(url):
            raise BackupError(
                f"{source} holds a {manifest['database']} database but [database] url is {database_kind(url)}; "
                "restore into the same kind of database"
            )
        database_file = unpacked / manifest["database_file"]
        progress(f"restore: database ({manifest['database']}, {sum(manifest['tables'].values())} rows) …")
        if manifest["database"] == "sqlite":
            _sqlite_load(database_file, sqlite_path(url))
        else:
            asyncio.run(_pg_load(url, database_file))
        media = _copy_media(unpacked / MEDIA, Path(settings.media.dir))
        tables = asyncio.run(_repoint_and_count(url, manifest["media_dir"], Path(settings.media.dir)))
    if tables != manifest["tables"]:
        differ = sorted(
            name for name in set(tables) | set(manifest["tables"]) if tables.get(name) != manifest["tables"].get(name)
        )
        raise BackupError(f"restored counts differ from the backup's manifest in: {', '.join(differ)}")
    progress(f"restore: done: {len(tables)} tables match the backup; {media} media files")
    return tables


def _manifest(unpacked: Path, source: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((unpacked / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise BackupError(f"{source} has no readable {MANIFEST}; it is not a gridwhistle backup") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{source} is backup format {manifest.get('format')}; this release reads format {FORMAT}")
    return manifest


def _refuse_unless_empty(url: str) -> None:
    tables: list[str]
    if database_kind(url) == "sqlite":
        path = sqlite_path(url)
        if not path.exists() or path.stat().st_size == 0:
            return
        conn = sqlite3.connect(path)
        try:
            tables = list(sqlite_tables(conn))
        finally:
            conn.close()
    else:
        tables = asyncio.run(_pg_tables(url))
    if tables:
        raise BackupError(
            f"the database in [database] url is not empty ({len(tables)} tables, e.g. {sorted(tables)[0]}); "
            "restore only into a new, empty database (create one, point [database] url at it, run restore again)"
        )


async def _pg_tables(url: str) -> list[str]:
    try:
        conn = await asyncpg.connect(url)
    except (OSError, asyncpg.PostgresError) as exc:
        raise BackupError(f"cannot reach the database in [database] url: {exc}") from None
    try:
        return [row["tablename"] for row in await conn.fetch(PG_TABLES)]
    finally:
        await conn.close()


def _sqlite_load(backup: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(backup)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=WAL")  # as the service runs it
    finally:
        dst.close()
        src.close()


async def _pg_load(url: str, dump: Path) -> None:
    pg = PgTarget.from_url(url)
    process = await asyncio.create_subprocess_exec(
        pg_program("pg_restore"),
        *pg.args(),
        "--no-owner",
        "--no-privileges",
        "--single-transaction",
        "--exit-on-error",
        f"--dbname={pg.dbname}",
        str(dump),
        env=pg.env(dict(os.environ)),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await process.communicate()
    if process.returncode != 0:
        raise BackupError(f"pg_restore failed (nothing was restored): {err.decode(errors='replace').strip()}")


def _copy_media(source: Path, media_dir: Path) -> int:
    files = sorted(p for p in source.rglob("*") if p.is_file()) if source.is_dir() else []
    for done, file in enumerate(files, 1):
        target = media_dir / file.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(file, target)
        if done % 200 == 0 or done == len(files):
            progress(f"restore: media {done}/{len(files)} files")
    return len(files)


async def _repoint_and_count(url: str, old_media: str, new_media: Path) -> dict[str, int]:
    """Attachments name their copy by path: move the old folder's prefix to the new one; then count."""
    new = str(new_media)
    old = old_media.rstrip("/") + "/"
    if database_kind(url) == "sqlite":
        conn = sqlite3.connect(sqlite_path(url))
        try:
            if old != new.rstrip("/") + "/":
                conn.execute(
                    "UPDATE attachment SET local_path = ? || substr(local_path, ?) WHERE substr(local_path, 1, ?) = ?",
                    (new.rstrip("/") + "/", len(old) + 1, len(old), old),
                )
                conn.commit()
            return sqlite_tables(conn)
        finally:
            conn.close()
    pg = await asyncpg.connect(url)
    try:
        if old != new.rstrip("/") + "/":
            await pg.execute(
                "UPDATE attachment SET local_path = $1 || substr(local_path, $2) WHERE substr(local_path, 1, $3) = $4",
                new.rstrip("/") + "/",
                len(old) + 1,
                len(old),
                old,
            )
        names = [row["tablename"] for row in await pg.fetch(PG_TABLES)]
        return {name: await pg.fetchval(f'SELECT count(*) FROM "{name}"') for name in names}
    finally:
        await pg.close()
