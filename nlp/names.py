"""The county's own names (township, village, hamlet, grid), read from its org file for jieba.

Tolerant on purpose: the org loader reports mistakes in that file; here a missing or broken file
only means jieba knows fewer names, so we return what we can.
"""

from __future__ import annotations

import logging
import tomllib
from pathlib import Path

log = logging.getLogger(__name__)

_AREA_SECTIONS = ("townships", "villages", "hamlets", "grids", "farms", "communities")
_SUFFIXES = ("村", "屯", "镇", "乡", "社区", "农场")


def county_names(path: str | Path | None) -> tuple[str, ...]:
    """Names of the areas in an org TOML file, with and without 村/屯/镇 endings; () if unreadable."""
    if path is None:
        return ()
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return ()
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        log.warning("org file %s unreadable for the tokenizer's names: %s", path, exc)
        return ()
    county = data.get("county")
    tables = [county] if isinstance(county, dict) else []
    for section in _AREA_SECTIONS:
        entries = data.get(section)
        if isinstance(entries, list):
            tables.extend(entry for entry in entries if isinstance(entry, dict))
    result: list[str] = []
    for table in tables:
        name = table.get("name")
        if not isinstance(name, str) or not name.strip():
            continue
        name = name.strip()
        result.append(name)
        for suffix in _SUFFIXES:
            stem = name.removesuffix(suffix)
            if stem != name and len(stem) >= 2:
                result.append(stem)  # 后道老村 is often written 后道老
    return tuple(dict.fromkeys(result))
