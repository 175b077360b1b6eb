"""Collecting every mistake of one org load, so the admin fixes them all in one go."""

from __future__ import annotations

from config.errors import ConfigError
from models.org.where import Where


class Problems:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, where: Where | str, key: str | None, message: str, value: str | None = None) -> None:
        place = where if isinstance(where, str) else where.at(key, value)
        self.lines.append(f"{place}: {key}: {message}" if key else f"{place}: {message}")

    def __bool__(self) -> bool:
        return bool(self.lines)

    def raise_if_any(self) -> None:
        if self.lines:
            count = len(self.lines)
            head = f"org file not loaded, nothing written: {count} error{'s' if count > 1 else ''}"
            raise OrgFileError([head, *(f"  {line}" for line in self.lines)], self.lines)


class OrgFileError(ConfigError):
    """A ConfigError that also keeps each mistake on its own, for tests and for the CLI."""

    def __init__(self, text: list[str], problems: list[str]) -> None:
        super().__init__("\n".join(text))
        self.problems = list(problems)
