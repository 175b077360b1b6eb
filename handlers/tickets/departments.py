"""Reading department names in commands: full names, short names (交通局, 供电) or codes; a typo gets a suggestion."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from config.errors import UserError
from models import Department

NOT_COUNTY = ("village", "none")  # the village's own cadres are not whistled for
SEPARATORS = re.compile(r"[\s、,，;；]+")
TYPO_CUTOFF = 0.6  # difflib ratio: 财正局 ~ 财政局 is 0.67; an ordinary word of a note stays far below


@dataclass(frozen=True)
class DepartmentNames:
    by_name: dict[str, Department]

    @classmethod
    async def load(cls) -> DepartmentNames:
        by_name: dict[str, Department] = {}
        for department in await Department.exclude(code__in=NOT_COUNTY).order_by("id"):
            for name in (department.code, department.name, *department.short_names):
                by_name.setdefault(str(name).lower(), department)
        return cls(by_name)

    def get(self, word: str) -> Department | None:
        return self.by_name.get(word.lower())

    def closest(self, word: str) -> str | None:
        """The name a typo most likely meant: names of about the same length (±1 character) that are
        close enough; said the way the speaker wrote it (交通剧 → 交通局, not 交通)."""
        scored = [
            (difflib.SequenceMatcher(None, word, name).ratio(), name)
            for name in self.by_name
            if not name.isascii() and abs(len(name) - len(word)) <= 1
        ]
        scored = [(ratio, name) for ratio, name in scored if ratio >= TYPO_CUTOFF]
        if not scored:
            return None
        best = self.by_name[max(scored)[1]]
        forms = [n for n, d in self.by_name.items() if d is best and not n.isascii()]
        return min(forms, key=lambda n: (abs(len(n) - len(word)), -difflib.SequenceMatcher(None, word, n).ratio()))

    def split(self, text: str, *, required: bool = True) -> tuple[list[Department], str]:
        """Leading department names of `text`, and the rest (a note or reason).

        A leading word that is nearly a department name is a typo: UserError with the closest name.
        """
        words = [w for w in SEPARATORS.split(text.strip()) if w]
        found: list[Department] = []
        rest_at = len(words)
        for index, word in enumerate(words):
            department = self.get(word)
            if department is not None:
                if department not in found:
                    found.append(department)
                continue
            suggestion = self.closest(word)
            if suggestion is not None or (required and not found):
                raise UserError(
                    "whistle.unknown_department", word=word, suggestion=suggestion or self.closest_any(word)
                )
            rest_at = index
            break
        if required and not found:
            raise UserError("whistle.no_department")
        return found, " ".join(words[rest_at:])

    def closest_any(self, word: str) -> str:
        """A suggestion even for a word far from every name (the first reply must still help)."""
        names = [n for n in self.by_name if not n.isascii()]
        scored = sorted(names, key=lambda n: difflib.SequenceMatcher(None, word, n).ratio(), reverse=True)
        return scored[0] if scored else ""
