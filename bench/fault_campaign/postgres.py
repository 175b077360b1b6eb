"""A throwaway PostgreSQL cluster: initdb + pg_ctl in a temporary directory on an unused port."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

import asyncpg

from .common import free_port

T = TypeVar("T")


class ThrowawayPostgres:
    """initdb + pg_ctl in a temporary directory on an unused port; removed at the end."""

    def __init__(self) -> None:
        found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
        if not found:
            raise SystemExit("faults: no PostgreSQL binaries under /usr/lib/postgresql/*/bin")
        self.bin = found[-1].parent
        self.dir = Path(tempfile.mkdtemp(prefix="gw-faults-pg-"))
        self.port = free_port()
        self.as_user: list[str] = []
        if os.geteuid() == 0:  # initdb refuses root: run the cluster as the postgres account
            self.as_user = ["runuser", "-u", "postgres", "--"]
            shutil.chown(self.dir, "postgres")
        self.url = f"postgres://postgres@127.0.0.1:{self.port}"

    def _run(self, *args: str) -> None:
        subprocess.run([*self.as_user, *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def start(self) -> None:
        data = self.dir / "data"
        self._run(str(self.bin / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8")
        self._pg_ctl("start")

    def _pg_ctl(self, action: str, *extra: str) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off"
        self._run(
            str(self.bin / "pg_ctl"), action, "-D", str(self.dir / "data"), "-w", "-l", str(self.dir / "log"),
            "-o", options, *extra,
        )  # fmt: skip

    def restart(self) -> None:
        self._pg_ctl("restart", "-m", "fast")

    def stop(self) -> None:
        try:
            self._pg_ctl("stop", "-m", "immediate")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)

    async def new_database(self, name: str) -> str:
        conn = await asyncpg.connect(self.url + "/postgres")
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        return f"{self.url}/{name}"

    def through_socket(self, url: str) -> str:
        """The same database reached through the cluster's Unix socket instead of TCP on loopback."""
        name = urlsplit(url).path.lstrip("/")
        return f"postgres://postgres@/{name}?host={self.dir}&port={self.port}"


def measured_on(db: str, name: str, measure: Callable[[str], Awaitable[T]]) -> T:
    """`measure(url)` run on a fresh database: `sqlite` a temporary file, `postgres` a throwaway cluster's."""
    if db == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            return asyncio.run(measure(f"sqlite://{folder}/{name}.db"))
    if db != "postgres":
        raise ValueError(f"a database is sqlite or postgres, not {db!r}")
    pg = ThrowawayPostgres()
    pg.start()
    try:
        return asyncio.run(measure(asyncio.run(pg.new_database(name))))
    finally:
        pg.stop()
