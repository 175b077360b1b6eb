"""Find the line of a key in TOML text, so a mistake in a configuration file names its line.

tomllib reports line numbers only for syntax errors; a semantic mistake found after parsing (an
unknown department code, a negative weight) is reported at the line of the offending key, found
here by scanning table headers and `key =` lines. Good enough for the hand-written files we read
(the routing table's files, the org file), not a TOML parser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r'^\s*("?)([^"=\s]+)\1\s*=')

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class _Section:
    path: Path  # e.g. ("departments", "power", "terms", 2)
    first: int  # 1-based line of the header (0 for the top of the file)
    last: int  # last line that belongs to it


def _split_dotted(name: str) -> tuple[str, ...]:
    return tuple(part.strip().strip('"') for part in name.split("."))


def _sections(lines: list[str]) -> list[_Section]:
    heads: list[tuple[Path, int]] = [((), 0)]
    counts: dict[tuple[str, ...], int] = {}
    for number, line in enumerate(lines, 1):
        match = _HEADER.match(line)
        if not match or "=" in match.group(2):
            continue
        keys = _split_dotted(match.group(2))
        if match.group(1) == "[[":
            index = counts.get(keys, 0)
            counts[keys] = index + 1
            heads.append(((*keys, index), number))
        else:
            heads.append((keys, number))
    ends = [line for _, line in heads[1:]] + [len(lines) + 1]
    return [_Section(path, first, end - 1) for (path, first), end in zip(heads, ends, strict=False)]


def line_of(text: str, path: Path, value: str | None = None) -> int:
    """The 1-based line where `path` (keys and array-of-table indexes) is written; 1 if not found.

    With `value`, the line inside that key's value where the string `value` appears (an entry of
    a multi-line list).
    """
    lines = text.splitlines()
    sections = _sections(lines)
    best: _Section | None = None
    for section in sections:
        size = len(section.path)
        if path[:size] == section.path and (best is None or size > len(best.path)):
            best = section
    if best is None or (best.path == () and path):
        # The path may only be spelled as a prefix of a deeper header: [departments.powr.terms].
        for section in sections:
            if section.path[: len(path)] == path and section.path:
                return section.first
    if best is None:
        return 1
    rest = path[len(best.path) :]
    if not rest:
        return max(best.first, 1)
    key = rest[0]
    for number in range(best.first + 1, best.last + 1):
        match = _KEY.match(lines[number - 1])
        if match and match.group(2) == str(key):
            if value is None:
                return number
            return _value_line(lines, number, best.last, value)
    return max(best.first, 1)


def _value_line(lines: list[str], start: int, last: int, value: str) -> int:
    needle = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    for number in range(start, last + 1):
        if number > start and _KEY.match(lines[number - 1]):
            break
        if needle in lines[number - 1]:
            return number
    return start
