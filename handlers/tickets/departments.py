"""Reading department names in commands: the org file's names and short names, the names people say
(config/department_names.toml: 交通局, 发改局, 电业局 …) and codes. A word that looks like a department
name but is none (a typo, a department the county lacks) is not guessed at: it is asked about, with the
closest names, while the departments that were recognised are acted on.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from config.department_names import read_department_names
from config.errors import UserError
from models import Department

NOT_COUNTY = ("village", "none")  # the village's own cadres are not whistled for
SEPARATORS = re.compile(r"[\s、,，;；]+")
TYPO_CUTOFF = 0.6  # difflib ratio: 财正局 ~ 财政局 is 0.67; an ordinary word of a note stays far below
# What the name of an office ends with: 气象局, 林业站 are departments even when no name is close.
OFFICE_ENDINGS = ("局", "委", "所", "站", "公司", "中心", "办公室", "大队")
OFFICE_NAME_MAX = 10  # a longer word is a sentence of the note, not a name


@dataclass(frozen=True)
class Unknown:
    """A word taken for a department name that matches none, and the names it most likely meant."""

    word: str
    suggestions: tuple[str, ...]


@dataclass
class Named:
    """What a command's leading words named: departments found, words asked about, and the rest (a note)."""

    departments: list[Department] = field(default_factory=list)
    unknown: list[Unknown] = field(default_factory=list)
    rest: str = ""


@dataclass(frozen=True)
class DepartmentNames:
    by_name: dict[str, Department]

    @classmethod
    async def load(cls) -> DepartmentNames:
        """The county's own names first (code, name, short names), then the names people say."""
        departments = await Department.exclude(code__in=NOT_COUNTY).order_by("id")
        by_name: dict[str, Department] = {}
        for department in departments:
            for name in (department.code, department.name, *department.short_names):
                by_name.setdefault(str(name).lower(), department)
        said = read_department_names()
        for department in departments:
            for name in said.get(department.code, ()):
                by_name.setdefault(name.lower(), department)
        return cls(by_name)

    def get(self, word: str) -> Department | None:
        return self.by_name.get(word.lower())

    def closest(self, word: str) -> str | None:
        """The name a typo most likely meant: names of about the same length (±1 character) that are
        close enough; said the way the speaker wrote it (交通剧 → 交通局, not 交通)."""
        found = self.suggest(word, 1, near_length=True)
        return found[0] if found else None

    def suggest(self, word: str, count: int = 2, *, near_length: bool = False) -> tuple[str, ...]:
        """Up to `count` departments closest to `word`, the closest first, each by its name nearest in length
        to the word (交通厅 → 交通局, not 交通); with `near_length`, only names of about its length (±1
        character) close enough to be a typo of it."""
        best: dict[int, tuple[float, str]] = {}  # department id → (best ratio, the form to say)
        for name, department in self.by_name.items():
            if name.isascii() or (near_length and abs(len(name) - len(word)) > 1):
                continue
            ratio = difflib.SequenceMatcher(None, word, name).ratio()
            if near_length and ratio < TYPO_CUTOFF:
                continue
            kept = best.get(department.id)
            if kept is None or (abs(len(name) - len(word)), -ratio) < (abs(len(kept[1]) - len(word)), -kept[0]):
                best[department.id] = (max(ratio, kept[0]) if kept else ratio, name)
            else:
                best[department.id] = (max(ratio, kept[0]), kept[1])
        ranked = sorted(best.values(), key=lambda kept: -kept[0])
        return tuple(name for _, name in ranked[:count])

    def looks_like_a_department(self, word: str) -> bool:
        return self.closest(word) is not None or (len(word) <= OFFICE_NAME_MAX and word.endswith(OFFICE_ENDINGS))

    def read(self, text: str) -> Named:
        """The leading department names of `text` (each once, in order), the leading words that look like
        department names but are none (asked about), and the rest from the first other word (the note)."""
        words = [w for w in SEPARATORS.split(text.strip()) if w]
        named = Named()
        rest_at = len(words)
        for index, word in enumerate(words):
            department = self.get(word)
            if department is not None:
                if department not in named.departments:
                    named.departments.append(department)
            elif self.looks_like_a_department(word):
                close = self.closest(word)
                named.unknown.append(Unknown(word, (close,) if close else self.suggest(word)))
            else:
                rest_at = index
                break
        named.rest = " ".join(words[rest_at:])
        return named

    def split(self, text: str, *, required: bool = True) -> tuple[list[Department], str]:
        """Leading department names of `text`, and the rest (a note or reason), for commands that act
        only when every name is known: a word that looks like a department name but is none is a
        UserError with the closest name; with `required`, so is naming no department at all."""
        named = self.read(text)
        if named.unknown:
            raise self.unknown_error(named.unknown[0])
        if required and not named.departments:
            words = [w for w in SEPARATORS.split(text.strip()) if w]
            if words:
                raise self.unknown_error(Unknown(words[0], self.suggest(words[0], 1)))
            raise UserError("whistle.no_department")
        return named.departments, named.rest

    @staticmethod
    def unknown_error(unknown: Unknown) -> UserError:
        return UserError(
            "whistle.unknown_department", word=unknown.word, suggestion="」或「".join(unknown.suggestions) or "-"
        )
