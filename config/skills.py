"""The skills table (config/skills.toml): which requests need which skill (特长) of a serving Party member."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from config.departments import DEPARTMENT_CODES
from config.errors import ConfigError

SKILLS_FILE = Path(__file__).resolve().parent / "skills.toml"


@dataclass(frozen=True)
class Skill:
    name: str
    departments: frozenset[str]
    words: tuple[str, ...]


@dataclass(frozen=True)
class SkillTable:
    skills: tuple[Skill, ...]

    def needed(self, departments: list[str], text: str) -> list[str]:
        """The skills a request routed to `departments` and saying `text` needs, in the table's order."""
        return [
            s.name for s in self.skills if s.departments.intersection(departments) or any(w in text for w in s.words)
        ]


def read_skills(path: Path = SKILLS_FILE) -> SkillTable:
    """The table, or a ConfigError naming the file and key of every mistake."""
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from None
    problems: list[str] = []
    unknown = sorted(set(data) - {"skills"})
    if unknown:
        problems.append(f"{path}: unknown key {', '.join(unknown)}; allowed: skills")
    skills = []
    for name, entry in (data.get("skills") or {}).items():
        where = f"{path}: [skills.{name}]"
        if not isinstance(entry, dict) or set(entry) - {"departments", "words"}:
            problems.append(f"{where}: allowed keys are departments, words")
            continue
        departments, words = entry.get("departments", []), entry.get("words", [])
        if not all(isinstance(v, str) and v for v in [*departments, *words]):
            problems.append(f"{where}: departments and words are lists of non-empty strings")
            continue
        strange = [d for d in departments if d not in DEPARTMENT_CODES]
        if strange:
            problems.append(f"{where} departments: unknown department code {', '.join(strange)}")
        skills.append(Skill(name, frozenset(departments), tuple(words)))
    if problems:
        raise ConfigError("\n".join(problems))
    return SkillTable(tuple(skills))
