"""The TOML of a routing table, from one file or from a folder of files, and where each key was written.

A folder (config/routing/, the shipped table) holds one file per part of the table, each naming its
own part in full (`[departments.power]` in power.toml, `[cues.ask]` in cues.toml). The files are read
in the fixed order of FOLDER_FILES and merged; since each file holds only its own part, written one
after another they make the same table as a single file. Only the departments' order counts for
routing: of two departments with equal scores, the earlier one is the primary.

A mistake is reported at the file and line where the key is written (see `TableSource.where`).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from config.departments import DEPARTMENT_CODES
from config.errors import ConfigError
from config.toml_lines import line_of

KeyPath = tuple[str | int, ...]

# The files of a table folder in the order they are merged, each with the one part of the table it holds.
FOLDER_FILES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("scoring.toml", ("scoring",)),
    ("learned.toml", ("learned",)),
    ("cues.toml", ("cues",)),
    ("urgency.toml", ("urgency",)),
    *((f"{code}.toml", ("departments", code)) for code in DEPARTMENT_CODES),
    ("sets.toml", ("sets",)),
    ("rules.toml", ("rules",)),
    ("masks.toml", ("masks",)),
    ("synonyms.toml", ("synonyms",)),
)
_PART_OF = {name: part for name, part in FOLDER_FILES}
_FILE_OF = {part: name for name, part in FOLDER_FILES}


@dataclass(frozen=True)
class TableFile:
    """One file of a table: its path as shown in errors, its text, and the part of the table it holds."""

    name: str
    text: str
    part: tuple[str, ...] = ()  # () for a single-file table: it holds everything


@dataclass(frozen=True)
class TableSource:
    """The merged TOML of a table, and the files it came from (to point at a mistake's file and line)."""

    data: dict[str, Any]
    files: tuple[TableFile, ...]
    place: str  # the table as the settings name it: a file or a folder

    def where(self, path: KeyPath, value: str | None = None) -> str:
        """`file:line` of the key at `path` (and of `value` inside its list); the folder if no file holds it."""
        owner = max((f for f in self.files if path[: len(f.part)] == f.part), key=lambda f: len(f.part), default=None)
        if owner is None:
            return self.place
        return f"{owner.name}:{line_of(owner.text, path, value)}"


def table_files(path: str | Path) -> list[Path]:
    """The TOML files a table is read from: the file itself, or every *.toml in the folder (sorted by name)."""
    path = Path(path)
    return sorted(path.glob("*.toml")) if path.is_dir() else [path]


def table_folder(path: str | Path) -> Path:
    """The folder the table's [learned] model files are named relative to: the table folder, or the file's folder."""
    path = Path(path)
    return path if path.is_dir() else path.parent


def read_source(path: str | Path) -> TableSource:
    """Read a table file or folder; raise ConfigError naming every unreadable or misplaced file:line."""
    path = Path(path)
    if path.is_dir():
        return _read_folder(path)
    text = _read(path)
    return TableSource(_parse(text, str(path)), (TableFile(str(path), text),), str(path))


def source_of_text(text: str, name: str) -> TableSource:
    """A single-file table given as text (tests, and anything that has the text already)."""
    return TableSource(_parse(text, name), (TableFile(name, text),), name)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the routing table: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: the routing table must be UTF-8 text: {exc.reason}") from None


def _parse(text: str, name: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"at line (\d+)", str(exc))
        line = match.group(1) if match else "1"
        raise ConfigError(f"{name}:{line}: TOML syntax error: {exc}") from None


def _read_folder(folder: Path) -> TableSource:
    """Every file is read and checked before any problem is raised, so one run lists them all."""
    problems: list[str] = []
    found: dict[str, TableFile] = {}
    parsed: dict[str, dict[str, Any]] = {}
    for path in table_files(folder):
        if path.name not in _PART_OF:
            known = ", ".join(name for name, _ in FOLDER_FILES)
            problems.append(f"{path}: not a file of a routing table folder; the files are: {known}")
            continue
        try:
            text = _read(path)
            parsed[path.name] = _parse(text, str(path))
        except ConfigError as exc:
            problems.append(str(exc))
            continue
        found[path.name] = TableFile(str(path), text, _PART_OF[path.name])
        problems += _misplaced(found[path.name], parsed[path.name])
    if problems:
        raise ConfigError("\n".join(problems))
    data: dict[str, Any] = {}
    for name, part in FOLDER_FILES:  # the fixed order: departments as in DEPARTMENT_CODES
        value = _get(parsed.get(name, {}), part)
        if value is not None:  # an empty file (or one of comments only) adds nothing
            _put(data, part, value)
    return TableSource(data, tuple(found[name] for name, _ in FOLDER_FILES if name in found), str(folder))


def _misplaced(file: TableFile, data: dict[str, Any]) -> list[str]:
    """A file holds its own part only: anything else is named with its line and the file it belongs in."""
    problems = []
    for path in _parts(data):
        if path == file.part:
            continue
        where = f"{file.name}:{line_of(file.text, path)}: {'.'.join(path)}"
        home = _FILE_OF.get(path)
        if home:
            problems.append(f"{where}: belongs in {home}, not in {Path(file.name).name}")
        elif path == ("departments",):
            problems.append(f"{where}: must be [departments.CODE] tables")
        elif path[0] == "departments":
            problems.append(f"{where}: unknown department code {path[-1]!r} (known: {', '.join(DEPARTMENT_CODES)})")
        else:
            known = ", ".join(part[0] for _, part in FOLDER_FILES if len(part) == 1)
            problems.append(f"{where}: unknown part of a routing table (known: {known}, departments)")
    return problems


def _parts(data: dict[str, Any]) -> list[tuple[str, ...]]:
    """The parts of the table `data` holds: its top-level keys, and each department on its own."""
    paths: list[tuple[str, ...]] = []
    for key, value in data.items():
        if key == "departments" and isinstance(value, dict) and value:
            paths += [(key, code) for code in value]
        else:
            paths.append((key,))
    return paths


def _get(data: Any, part: tuple[str, ...]) -> Any:
    for key in part:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def _put(data: dict[str, Any], part: tuple[str, ...], value: Any) -> None:
    for key in part[:-1]:
        data = data.setdefault(key, {})
    data[part[-1]] = value
