"""Where a value came from, so every mistake in an org file names the file, the line or row, and the key."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from config.toml_lines import line_of


@dataclass(frozen=True)
class TomlWhere:
    """A table of the org TOML, e.g. ("households", 3); the line is looked up only when it is needed."""

    file: Path
    path: tuple[str | int, ...]
    text: str = field(repr=False, compare=False)

    def at(self, key: str | None = None, value: str | None = None) -> str:
        path = self.path if key is None else (*self.path, key)
        return f"{self.file}:{line_of(self.text, path, value)}"


@dataclass(frozen=True)
class RowWhere:
    """A roster row: CSV line numbers and spreadsheet row numbers as the admin sees them (header = 1)."""

    file: Path
    row: int
    sheet: str | None = None
    columns: dict[str, str] = field(default_factory=dict, repr=False, compare=False)  # key -> header as written

    def at(self, key: str | None = None, value: str | None = None) -> str:
        sheet = f" sheet {self.sheet}" if self.sheet is not None else ""
        column = f" column {self.columns[key]}" if key in self.columns else ""
        return f"{self.file}{sheet} row {self.row}{column}"


Where = TomlWhere | RowWhere
