"""What `gridwhistle backup` and `gridwhistle restore` share: the archive's name and manifest, where the
database is and how its tables are counted, PostgreSQL's client programs, and the optional encryption.

An archive is one file, `gridwhistle-YYYYMMDDTHHMMSSZ.tar.gz` (UTC, so names sort by time), holding
`manifest.json`, the database (`database.sqlite3` or `database.pgdump`, pg_dump's custom format) and
`media/`. Encrypted, it is `….tar.gz.fernet`: the same bytes in Fernet tokens of up to 4 MiB each
(cryptography's Fernet: AES-128-CBC with an HMAC, so a wrong key or a damaged file is refused, never
half-read), each preceded by its length, so a large archive never has to fit in memory.
"""

from __future__ import annotations

import glob
import re
import shutil
import sqlite3
import struct
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO
from urllib.parse import parse_qs, unquote, urlsplit

from cryptography.fernet import Fernet, InvalidToken

from models.locks import is_postgres

ARCHIVE_PREFIX = "gridwhistle-"
ARCHIVE_RE = re.compile(r"gridwhistle-\d{8}T\d{6}Z\.tar\.gz(\.fernet)?")
ENCRYPTED_SUFFIX = ".fernet"
MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"
MEDIA = "media"
FORMAT = 1

_MAGIC = b"GRIDWHISTLE-FERNET-1\n"
_CHUNK = 4 * 1024 * 1024


class BackupError(Exception):
    """A problem the admin can act on; the command prints it and exits 1."""


def progress(message: str) -> None:
    """Progress of long work, on stderr so that stdout stays the result."""
    print(message, file=sys.stderr, flush=True)


def sqlite_path(url: str) -> Path:
    return Path(url.removeprefix("sqlite://").split("?", 1)[0])


@dataclass(frozen=True)
class PgTarget:
    """A PostgreSQL URL taken apart for the client programs; the password goes in PGPASSWORD, never argv."""

    host: str
    port: int
    user: str
    password: str
    dbname: str

    @classmethod
    def from_url(cls, url: str) -> PgTarget:
        """postgres://USER:PASSWORD@HOST:PORT/DB, or with the host (a socket's folder) and port in the query
        string as libpq takes them: postgres://USER@/DB?host=/var/run/postgresql."""
        parts = urlsplit(url)
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        port = query.get("port", "5432")
        if not port.isdigit():
            raise BackupError(f"[database] url: port={port!r} is not a port number")
        return cls(
            host=parts.hostname or query.get("host", "127.0.0.1"),
            port=parts.port or int(port),
            user=unquote(parts.username or "postgres"),
            password=unquote(parts.password or ""),
            dbname=unquote(parts.path.lstrip("/")),
        )

    def args(self) -> list[str]:
        return ["--host", self.host, "--port", str(self.port), "--username", self.user, "--no-password"]

    def env(self, base: dict[str, str]) -> dict[str, str]:
        return {**base, "PGPASSWORD": self.password} if self.password else dict(base)


def pg_program(name: str) -> str:
    """pg_dump / pg_restore: the newest one installed (it must be at least the server's version).

    Debian keeps each major version under /usr/lib/postgresql/N/bin, RHEL under /usr/pgsql-N/bin;
    the PATH's one is the fallback.
    """
    found = glob.glob(f"/usr/lib/postgresql/*/bin/{name}") + glob.glob(f"/usr/pgsql-*/bin/{name}")

    def version(path: str) -> float:
        match = re.search(r"(?:postgresql/|pgsql-)(\d+(?:\.\d+)?)", path)
        return float(match.group(1)) if match else 0.0

    for path in sorted(found, key=version, reverse=True):
        if Path(path).is_file():
            return path
    on_path = shutil.which(name)
    if on_path:
        return on_path
    raise BackupError(f"{name} not found: install PostgreSQL's client programs (Debian: postgresql-client)")


def sqlite_tables(conn: sqlite3.Connection) -> dict[str, int]:
    names = [
        row[0]
        for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    ]
    return {name: conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in sorted(names)}


PG_TABLES = "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"


def database_kind(url: str) -> str:
    return "postgres" if is_postgres(url) else "sqlite"


# -- archives in a folder ----------------------------------------------------------------------------------


def archives(folder: Path) -> list[Path]:
    """The archives in `folder`, oldest first (their names sort by time)."""
    if not folder.is_dir():
        return []
    return sorted(path for path in folder.iterdir() if ARCHIVE_RE.fullmatch(path.name))


def prune(folder: Path, keep: int, *, before: datetime | None = None) -> list[Path]:
    """Delete all but the newest `keep` archives, and any made `before` then; returns what was deleted."""
    found = archives(folder)
    old = found[:-keep] if keep > 0 else []
    if before is not None:
        old += [path for path in found[len(old) :] if made_at(path) < before]
    for path in old:
        path.unlink()
    return old


def made_at(archive: Path) -> datetime:
    """When an archive was made, from its name (gridwhistle-20261206T021500Z.tar.gz)."""
    stamp = archive.name.removeprefix(ARCHIVE_PREFIX)[:16]
    return datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


# -- encryption --------------------------------------------------------------------------------------------


def new_key() -> str:
    return Fernet.generate_key().decode()


def encrypt_file(source: Path, target: BinaryIO, key: str) -> None:
    fernet = Fernet(key.encode())
    target.write(_MAGIC)
    with source.open("rb") as plain:
        while chunk := plain.read(_CHUNK):
            token = fernet.encrypt(chunk)
            target.write(struct.pack(">Q", len(token)))
            target.write(token)


def decrypt_file(source: Path, target: BinaryIO, key: str) -> None:
    if not key:
        raise BackupError(
            f"{source.name} is encrypted: set [backup] key (GRIDWHISTLE_BACKUP__KEY) to the key it was made with"
        )
    fernet = Fernet(key.encode())
    with source.open("rb") as sealed:
        if sealed.read(len(_MAGIC)) != _MAGIC:
            raise BackupError(f"{source.name} is not an encrypted gridwhistle backup")
        for token in _tokens(sealed, source.name):
            try:
                target.write(fernet.decrypt(token))
            except InvalidToken:
                raise BackupError(
                    f"{source.name}: the key in [backup] key does not open this backup (or the file is damaged)"
                ) from None


def _tokens(stream: BinaryIO, name: str) -> Iterator[bytes]:
    while header := stream.read(8):
        if len(header) != 8:
            raise BackupError(f"{name} is cut short (damaged or still being copied)")
        (size,) = struct.unpack(">Q", header)
        token = stream.read(size)
        if len(token) != size:
            raise BackupError(f"{name} is cut short (damaged or still being copied)")
        yield token
