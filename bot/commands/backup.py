"""`gridwhistle backup --to DIR [--keep N] [--config FILE]`: one archive of the database and the media
copies, taken while the service runs; `gridwhistle backup --new-key` prints a new encryption key.

SQLite is copied through its online backup API (one step, so the copy is one consistent moment even
while the service writes); PostgreSQL through `pg_dump --format=custom` inside a repeatable-read
snapshot that also counts every table, so the manifest's counts are exactly what the dump holds.
The archive (bot/commands/backup_files.py) is written beside its final name and renamed when
complete, then copied to [backup] copy_to; both places keep the newest [backup] keep archives, none older
than [backup] max_days (unset: the shortest [retention] period).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import shutil
import sqlite3
import sys
import tarfile
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

from bot.commands import add_config_arg, settings_from
from bot.commands.backup_files import (
    ARCHIVE_PREFIX,
    ENCRYPTED_SUFFIX,
    FORMAT,
    MANIFEST,
    MEDIA,
    PG_FILE,
    PG_TABLES,
    SQLITE_FILE,
    BackupError,
    PgTarget,
    database_kind,
    encrypt_file,
    new_key,
    pg_program,
    progress,
    prune,
    sqlite_path,
    sqlite_tables,
)
from config.settings import Settings

MEDIA_PROGRESS_EVERY = 200  # files between two progress lines


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "backup", help="back up the database and media copies into a folder", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--to", metavar="DIR", type=Path, help="folder the archive is written to (created)")
    parser.add_argument("--keep", metavar="N", type=int, default=None, help="archives to keep (default [backup] keep)")
    parser.add_argument("--new-key", action="store_true", help="print a new key for [backup] key and exit")
    add_config_arg(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.new_key:
        print(new_key())
        return 0
    if args.to is None:
        print("gridwhistle backup: say where with --to DIR", file=sys.stderr)
        return 2
    settings = settings_from(args)
    keep = args.keep if args.keep is not None else settings.backup.keep
    if keep < 1:
        print("gridwhistle backup: --keep must be at least 1", file=sys.stderr)
        return 2
    try:
        archive = make_backup(settings, args.to, keep=keep)
    except BackupError as exc:
        print(f"gridwhistle backup: {exc}", file=sys.stderr)
        return 1
    print(archive)
    return 0


def make_backup(settings: Settings, folder: Path, *, keep: int, now: datetime | None = None) -> Path:
    """Write one archive into `folder` (and [backup] copy_to), prune both to `keep`; returns its path."""
    folder.mkdir(parents=True, exist_ok=True)
    started = now or datetime.now(UTC)
    name = f"{ARCHIVE_PREFIX}{started:%Y%m%dT%H%M%SZ}.tar.gz" + (ENCRYPTED_SUFFIX if settings.backup.key else "")
    final = folder / name
    if final.exists():
        raise BackupError(f"{final} already exists; wait a second and run it again")
    url = settings.database.url
    with tempfile.TemporaryDirectory(prefix=".gridwhistle-backup-", dir=folder) as work_dir:
        work = Path(work_dir)
        progress(f"backup: database ({database_kind(url)}) …")
        if database_kind(url) == "sqlite":
            tables, migrations = _sqlite_copy(sqlite_path(url), work / SQLITE_FILE)
            database_file = SQLITE_FILE
        else:
            tables, migrations = asyncio.run(_pg_dump(url, work / PG_FILE))
            database_file = PG_FILE
        size = (work / database_file).stat().st_size
        progress(f"backup: database copied: {len(tables)} tables, {sum(tables.values())} rows, {size / 1e6:.1f} MB")
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "created_at": started.isoformat(),
            "database": database_kind(url),
            "database_file": database_file,
            "tables": tables,
            "migrations": migrations,
            "media_dir": str(settings.media.dir),  # as attachments name their copies
        }
        plain = work / "archive.tar.gz"
        manifest["media_files"] = _write_tar(plain, work / database_file, manifest, Path(settings.media.dir))
        partial = folder / f".{name}.partial"
        if settings.backup.key:
            progress("backup: encrypting …")
            with partial.open("wb") as sealed:
                encrypt_file(plain, sealed, settings.backup.key)
        else:
            shutil.move(plain, partial)
        os.replace(partial, final)  # the name appears only once the archive is whole
    max_days = settings.backup.max_days if settings.backup.max_days is not None else settings.retention.shortest_days()
    before = started - timedelta(days=max_days) if max_days else None
    for path in prune(folder, keep, before=before):
        progress(f"backup: removed the old {path}")
    if settings.backup.copy_to is not None:
        _copy(final, Path(settings.backup.copy_to), keep, before)
    progress(f"backup: done: {final} ({final.stat().st_size / 1e6:.1f} MB)")
    return final


def _sqlite_copy(source: Path, target: Path) -> tuple[dict[str, int], list[str]]:
    if not source.is_file():
        raise BackupError(f"no SQLite database at {source} ([database] url)")
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    try:
        # pages=-1: all in one step, one consistent moment; the service's writes (WAL) go on meanwhile.
        src.backup(dst, pages=-1)
        dst.execute("PRAGMA journal_mode=DELETE")  # the copy is one self-contained file
        tables = sqlite_tables(dst)
        migrations = _migrations(dst.execute(_MIGRATIONS_SQL).fetchall()) if "tortoise_migrations" in tables else []
    finally:
        dst.close()
        src.close()
    return tables, migrations


_MIGRATIONS_SQL = "SELECT app, name FROM tortoise_migrations ORDER BY id"


def _migrations(rows: list[Any]) -> list[str]:
    return [f"{app}.{name}" for app, name in rows]


async def _pg_dump(url: str, target: Path) -> tuple[dict[str, int], list[str]]:
    """pg_dump in a snapshot exported by our own repeatable-read transaction, where the counts are taken too."""
    pg = PgTarget.from_url(url)
    dump = pg_program("pg_dump")
    try:
        conn = await asyncpg.connect(url)
    except (OSError, asyncpg.PostgresError) as exc:
        raise BackupError(f"cannot reach the database in [database] url: {exc}") from None
    try:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            snapshot = await conn.fetchval("SELECT pg_export_snapshot()")
            names = [row["tablename"] for row in await conn.fetch(PG_TABLES)]
            tables = {name: await conn.fetchval(f'SELECT count(*) FROM "{name}"') for name in names}
            migrations = (
                _migrations([(r["app"], r["name"]) for r in await conn.fetch(_MIGRATIONS_SQL)])
                if "tortoise_migrations" in tables
                else []
            )
            process = await asyncio.create_subprocess_exec(
                dump,
                *pg.args(),
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--snapshot={snapshot}",
                f"--file={target}",
                f"--dbname={pg.dbname}",
                env=pg.env(dict(os.environ)),
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
            )
            _, err = await process.communicate()
            if process.returncode != 0:
                raise BackupError(f"pg_dump failed: {err.decode(errors='replace').strip()}")
    finally:
        await conn.close()
    return tables, migrations


def _write_tar(path: Path, database: Path, manifest: dict[str, Any], media_dir: Path) -> int:
    media = sorted(p for p in media_dir.rglob("*") if p.is_file()) if media_dir.is_dir() else []
    manifest["media_files"] = len(media)
    with tarfile.open(path, "w:gz", compresslevel=6) as tar:
        info = tarfile.TarInfo(MANIFEST)
        body = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
        info.size = len(body)
        tar.addfile(info, io.BytesIO(body))
        tar.add(database, arcname=database.name)
        for done, file in enumerate(media, 1):
            tar.add(file, arcname=f"{MEDIA}/{file.relative_to(media_dir).as_posix()}")
            if done % MEDIA_PROGRESS_EVERY == 0 or done == len(media):
                progress(f"backup: media {done}/{len(media)} files")
    return len(media)


def _copy(archive: Path, place: Path, keep: int, before: datetime | None) -> None:
    """The second place (a mounted share): copied beside its name, renamed when whole, pruned the same."""
    try:
        place.mkdir(parents=True, exist_ok=True)
        partial = place / f".{archive.name}.partial"
        shutil.copyfile(archive, partial)
        os.replace(partial, place / archive.name)
    except OSError as exc:
        raise BackupError(
            f"the backup {archive} is made, but copying it to [backup] copy_to {place} failed: {exc}"
        ) from None
    for path in prune(place, keep, before=before):
        progress(f"backup: removed the old {path}")
    progress(f"backup: copied to {place / archive.name}")
