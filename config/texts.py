"""Reply texts and command words are data in config/*.toml; this module reads them (the policy: config/policy.py)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from config.errors import ConfigError

CONFIG_DIR = Path(__file__).resolve().parent


def shown(path: Path) -> str:
    """A data file as an admin names it: `config/policy.toml` for a shipped one, else the path given."""
    try:
        return str(Path(path).resolve().relative_to(CONFIG_DIR.parent))
    except ValueError:
        return str(path)


def read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from None


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, name + "."))
        else:
            flat[name] = value
    return flat


@dataclass(frozen=True)
class Texts:
    """Reply texts keyed like `ticket.whistled`; `render` fills in `{number}`-style params."""

    table: dict[str, str]

    @classmethod
    def load(cls, path: Path = CONFIG_DIR / "replies.toml") -> Texts:
        return cls({k: str(v) for k, v in _flatten(read_toml(path)).items()})

    def render(self, key: str, **params: Any) -> str:
        try:
            template = self.table[key]
        except KeyError:
            raise ConfigError(f"config/replies.toml: no reply text for key {key!r}") from None
        try:
            return template.format(**params)
        except (KeyError, IndexError) as exc:
            raise ConfigError(f"config/replies.toml: {key} uses {exc} which the code does not provide") from None

    def __contains__(self, key: str) -> bool:
        return key in self.table


@dataclass(frozen=True)
class CommandWords:
    """The words that start each command, e.g. whistle = ["吹哨"]; the first word of a message picks one."""

    by_word: dict[str, str]

    @classmethod
    def load(cls, path: Path = CONFIG_DIR / "commands.toml") -> CommandWords:
        by_word: dict[str, str] = {}
        for name, words in read_toml(path).get("commands", {}).items():
            for word in words:
                if word in by_word:
                    raise ConfigError(f"{path}: command word {word!r} is used by both {by_word[word]} and {name}")
                by_word[word] = name
        return cls(by_word)

    def match(self, text: str) -> tuple[str, str] | None:
        """(command name, the rest) when the text starts with a command word; longest word wins."""
        folded = text.lower()  # `Help` and `HELP` are `help`
        for word in sorted(self.by_word, key=len, reverse=True):
            if (folded if word.isascii() else text).startswith(word):
                rest = text[len(word) :]
                if not rest or rest[0].isspace() or not word.isascii():
                    return self.by_word[word], rest.strip()
        return None
