"""帮助 as data (config/help.toml): each command's syntax, one example and who may use it.

Read and checked here (keys, types); `gridwhistle config check` also checks the names against the command
words, the role codes and the policy's role lists.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from config.errors import ConfigError
from config.texts import CONFIG_DIR, read_toml, shown

HELP_FILE = CONFIG_DIR / "help.toml"
TEXT_KEYS = (
    "title",
    "line",
    "one",
    "where",
    "who",
    "not_yours",
    "everyone",
    "villager_tip",
    "common",
    "unknown",
    "welcome",
    "welcome_cadre",
)
REQUIRED = ("usage", "example", "summary")
OPTIONAL = ("detail", "where", "roles", "also")


@dataclass(frozen=True)
class HelpEntry:
    command: str  # a command of config/commands.toml
    usage: str
    example: str
    summary: str
    detail: str = ""
    where: str = ""
    roles: tuple[str, ...] = ()  # role codes or policy places ("[tasks] cadre_roles"); () is everyone
    also: tuple[str, ...] = ()  # other commands this entry explains

    @property
    def commands(self) -> tuple[str, ...]:
        return (self.command, *self.also)


@dataclass(frozen=True)
class HelpTexts:
    texts: dict[str, str]
    entries: tuple[HelpEntry, ...]  # in the file's order

    def entry_for(self, command: str) -> HelpEntry | None:
        return next((e for e in self.entries if command in e.commands), None)


def _problems(table: dict[str, object], file: str) -> list[str]:
    problems: list[str] = []
    texts = table.get("texts", {})
    if not isinstance(texts, dict):
        return [f"{file}: [texts]: should be a table of texts"]
    problems += [f"{file}: [texts] {key}: missing" for key in TEXT_KEYS if key not in texts]
    problems += [
        f"{file}: [texts] {key}: unknown key; keys are {', '.join(TEXT_KEYS)}" for key in texts if key not in TEXT_KEYS
    ]
    commands = table.get("commands", {})
    if not isinstance(commands, dict):
        return [*problems, f"{file}: [commands]: should hold one [commands.NAME] table per command"]
    for name, entry in commands.items():
        where = f"{file}: [commands.{name}]"
        if not isinstance(entry, dict):
            problems.append(f"{where}: should be a table")
            continue
        problems += [f"{where} {key}: missing" for key in REQUIRED if not entry.get(key)]
        problems += [
            f"{where} {key}: unknown key; keys are {', '.join((*REQUIRED, *OPTIONAL))}"
            for key in entry
            if key not in (*REQUIRED, *OPTIONAL)
        ]
        for key in ("roles", "also"):
            value = entry.get(key, [])
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                problems.append(f"{where} {key}: should be a list of names in quotes")
        for key in ("usage", "example", "summary", "detail", "where"):
            if not isinstance(entry.get(key, ""), str):
                problems.append(f"{where} {key}: should be text in quotes")
    return problems


@functools.cache
def read_help(path: Path = HELP_FILE) -> HelpTexts:
    """The help file; ConfigError naming every mistake (file, table and key) at once."""
    table = read_toml(path)
    problems = _problems(table, shown(path))
    if problems:
        raise ConfigError("\n".join(problems))
    entries = tuple(
        HelpEntry(
            command=name,
            usage=entry["usage"],
            example=entry["example"],
            summary=entry["summary"],
            detail=entry.get("detail", ""),
            where=entry.get("where", ""),
            roles=tuple(entry.get("roles", ())),
            also=tuple(entry.get("also", ())),
        )
        for name, entry in table["commands"].items()
    )
    return HelpTexts(dict(table["texts"]), entries)
