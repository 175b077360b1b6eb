"""The county org file (docs/org-file.md): read TOML + CSV/XLSX rosters, validate, write in one transaction.

    spec = read_org([path])          # raises OrgFileError (a ConfigError) listing every mistake
    summary = await write_org(spec, now)
or both at once: `await load_org([path], now)`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from models.org.problems import OrgFileError
from models.org.reader import read_org
from models.org.spec import OrgSpec
from models.org.summary import KINDS, LoadSummary
from models.org.writer import ORG_LOCK, write_org


async def load_org(paths: Iterable[str | Path], now: datetime) -> LoadSummary:
    """Read and validate every file first; only a load without mistakes reaches the database."""
    return await write_org(read_org(paths), now)


__all__ = ["KINDS", "ORG_LOCK", "LoadSummary", "OrgFileError", "OrgSpec", "load_org", "read_org", "write_org"]
