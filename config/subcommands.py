"""Second words of a command (`实事 登记 …`), as data: [subcommands.<command>] in config/commands.toml."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from config.errors import ConfigError
from config.texts import CONFIG_DIR, read_toml


@dataclass(frozen=True)
class Subcommands:
    """The words of one command's subcommands, e.g. 登记 → register for `实事`."""

    command: str
    by_word: dict[str, str]

    @classmethod
    def load_all(cls, path: Path = CONFIG_DIR / "commands.toml") -> dict[str, Subcommands]:
        """Every command's subcommand words, keyed by command name."""
        tables = read_toml(path).get("subcommands", {})
        return {command: cls.from_table(command, table, path) for command, table in tables.items()}

    @classmethod
    def from_table(cls, command: str, table: dict[str, list[str]], path: Path) -> Subcommands:
        by_word: dict[str, str] = {}
        for name, words in table.items():
            for word in words:
                if word in by_word:
                    raise ConfigError(
                        f"{path}: [subcommands.{command}] word {word!r} is used by {by_word[word]} and {name}"
                    )
                by_word[word] = name
        return cls(command, by_word)

    def split(self, args: str) -> tuple[str, str] | None:
        """(subcommand name, the rest) when `args` starts with one of the words; longest word wins."""
        for word in sorted(self.by_word, key=len, reverse=True):
            if args.startswith(word):
                return self.by_word[word], args[len(word) :].strip()
        return None

    def words(self, name: str) -> list[str]:
        return [word for word, owner in self.by_word.items() if owner == name]
