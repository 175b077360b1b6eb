"""Propose keyword additions from re-assignments (改派): what the corrected department's texts share.

A township corrects a routing; the text and the corrected department are kept. Words that come up
again and again in one department's corrections and that the table does not yet give to that
department are good candidates — shown with the texts that support them, for a person to accept
(the table is edited by hand; nothing here writes it).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from nlp.lexicon import RoutingTable

_WORDLIKE = re.compile(r"^[\u4e00-\u9fd5a-z0-9]{2,}$")


@dataclass(frozen=True)
class Suggestion:
    department: str
    word: str
    support: int  # how many of the department's corrections contain it
    share: float  # support / number of the department's corrections
    elsewhere: int  # how many corrections to other departments contain it
    examples: tuple[str, ...]  # up to `max_examples` supporting texts


def suggest_keywords(
    corrections: Iterable[tuple[str, str]],
    table: RoutingTable,
    tokenize: Callable[[str], Sequence[str]],
    min_support: int = 2,
    max_per_department: int = 10,
    max_examples: int = 3,
) -> list[Suggestion]:
    """(text, corrected department) pairs → proposals, best first within each department.

    A word is proposed for a department when at least `min_support` of its corrections contain
    it, the department does not list it yet, it is not a cue word (谢谢, 咋整 …) that carries no
    department, and it is rarer in other departments' corrections than in this one's.
    """
    known: dict[str, set[str]] = {d.code: {w for g in d.groups for w in g.words} for d in table.departments}
    cue_words = {w for g in (*table.cues, *table.urgency) for w in g.words}
    texts_by_word: dict[tuple[str, str], list[str]] = defaultdict(list)
    per_department: dict[str, int] = defaultdict(int)
    departments_of_word: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for text, department in corrections:
        per_department[department] += 1
        for word in dict.fromkeys(tokenize(text)):
            if not _WORDLIKE.match(word) or word in cue_words:
                continue
            texts_by_word[(department, word)].append(text)
            departments_of_word[word][department] += 1
    suggestions: list[Suggestion] = []
    for (department, word), texts in texts_by_word.items():
        if len(texts) < min_support or word in known.get(department, set()):
            continue
        elsewhere = sum(n for code, n in departments_of_word[word].items() if code != department)
        if elsewhere >= len(texts):
            continue  # as common elsewhere (我家, 今天): says nothing about this department
        suggestions.append(
            Suggestion(
                department,
                word,
                len(texts),
                len(texts) / per_department[department],
                elsewhere,
                tuple(texts[:max_examples]),
            )
        )
    suggestions.sort(key=lambda s: (s.department, -(s.support - s.elsewhere), -s.support, s.word))
    limited: list[Suggestion] = []
    count: dict[str, int] = defaultdict(int)
    for suggestion in suggestions:
        if count[suggestion.department] < max_per_department:
            count[suggestion.department] += 1
            limited.append(suggestion)
    return limited
