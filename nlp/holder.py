"""Keeps the current Router and swaps in a new one when the routing table changes: a file of a table
folder edited, added or removed, the table file edited, or a learned model file it names rewritten.

The service builds the first Router before it listens (`RouterHolder.load`), then calls
`maybe_reload()` now and then. A rebuild (new jieba.Tokenizer, about half a second) runs in a worker
thread, never on the event loop; the swap is one attribute assignment, so a message is always
classified by either the old table or the new one, never a mix. A table with a mistake is logged
and the old Router keeps working.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from pathlib import Path

from config.errors import ConfigError
from nlp.router import Router, table_models
from nlp.table_files import table_files

log = logging.getLogger(__name__)

# (file, mtime_ns, size) of each file read: changes on every save, and when a file is added or removed.
Signature = tuple[tuple[str, int, int], ...]


def _signature(path: Path, router: Router) -> Signature | None:
    """The table's files' and its learned models' (as the router's table names them); None if the table is gone."""
    if not path.exists():
        return None
    stats = []
    for file in [*table_files(path), *table_models(path, router.table).values()]:
        try:
            stat = os.stat(file)
        except OSError:
            stats.append((str(file), 0, 0))  # a model file not there (yet): its arrival is a change
            continue
        stats.append((str(file), stat.st_mtime_ns, stat.st_size))
    return tuple(stats)


class RouterHolder:
    def __init__(
        self, path: str | Path, router: Router, signature: Signature | None, build: Callable[[Path], Router]
    ) -> None:
        self.path = Path(path)
        self._router = router
        self._signature = signature
        self._build = build
        self._lock = asyncio.Lock()
        self.last_error: str | None = None

    @classmethod
    def load(cls, path: str | Path, extra_names: tuple[str, ...] = (), cache_dir: Path | None = None) -> RouterHolder:
        """Build the first Router synchronously (start-up, before serving); raises ConfigError."""
        path = Path(path)

        def build(table: Path) -> Router:
            return Router.from_file(table, extra_names, cache_dir)

        router = build(path)
        return cls(path, router, _signature(path, router), build)

    @property
    def router(self) -> Router:
        return self._router

    async def maybe_reload(self) -> bool:
        """Rebuild if the table changed since the last attempt; True when a new Router was swapped in."""
        async with self._lock:  # two ticks at once must not build twice
            signature = _signature(self.path, self._router)
            if signature is None or signature == self._signature:
                return False
            # Remember the attempt even if it fails, so a broken file is reported once, not every tick.
            self._signature = signature
            try:
                router = await asyncio.to_thread(self._build, self.path)
            except ConfigError as exc:
                self.last_error = str(exc)
                log.error("routing table not reloaded, keeping the previous one: %s", exc)
                return False
            except Exception as exc:  # noqa: BLE001 — a reload must never take the service down
                self.last_error = f"{self.path}: {exc!r}"
                log.exception("routing table not reloaded, keeping the previous one")
                return False
            self._router = router
            self._signature = _signature(self.path, router)  # the new table may name other model files
            self.last_error = None
            log.info("routing table reloaded from %s", self.path)
            return True
