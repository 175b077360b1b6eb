"""The names people say for each department (config/department_names.toml: 交通局 → transport), as data.

Read once per file and checked here, so a mistake names its file and key: an unknown code, a value
that is not a list of names, a name given to two departments.
"""

from __future__ import annotations

import functools
import tomllib
from pathlib import Path

from config.departments import DEPARTMENT_CODES
from config.errors import ConfigError
from config.texts import shown

DEPARTMENT_NAMES_FILE = Path(__file__).resolve().parent / "department_names.toml"


def department_name_problems(table: dict[str, object], file: str) -> list[str]:
    """Every mistake of the file at once, one line each: `file: code: problem`."""
    problems: list[str] = []
    owner: dict[str, str] = {}
    for code, names in table.items():
        if code not in DEPARTMENT_CODES:
            problems.append(f"{file}: {code}: unknown department code; codes are {', '.join(DEPARTMENT_CODES)}")
        elif not isinstance(names, list) or not all(isinstance(n, str) and n.strip() for n in names):
            problems.append(f'{file}: {code}: should be a list of names in quotes, like ["交通局", "交通"]')
        else:
            for name in names:
                if name in owner and owner[name] != code:
                    problems.append(f"{file}: {code}: {name!r} is already a name of {owner[name]}")
                owner.setdefault(name, code)
    return problems


@functools.cache
def read_department_names(path: Path = DEPARTMENT_NAMES_FILE) -> dict[str, tuple[str, ...]]:
    """{department code: the names people say for it}; ConfigError naming the file and key when wrong."""
    try:
        with path.open("rb") as fh:
            table = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{shown(path)}: {exc}") from exc
    problems = department_name_problems(table, shown(path))
    if problems:
        raise ConfigError("\n".join(problems))
    return {code: tuple(names) for code, names in table.items()}
