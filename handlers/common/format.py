"""How text is folded on the way in and how times and requests are written on the way out."""

from __future__ import annotations

import unicodedata
from datetime import datetime


def _fold(char: str) -> str:
    folded = unicodedata.normalize("NFKC", char)
    return folded if folded.isascii() and (folded.isalnum() or folded in "# ") else char


# Full-width letters and digits, ＃ and the ideographic space fold to their plain forms so commands and numbers
# read alike however they were typed; Chinese punctuation (，！？：) stays as the villager wrote it.
_FOLDS = str.maketrans({chr(c): _fold(chr(c)) for c in (*range(0xFF01, 0xFF5F), 0x3000)})


def normalise(text: str) -> str:
    """Fold full-width letters, digits, ＃ and spaces to their plain forms; trim."""
    return text.translate(_FOLDS).strip()


def stamp(when: datetime | None) -> str:
    """A deadline or time as cadres read it on cards and in replies: 11-16 09:30."""
    return when.strftime("%m-%d %H:%M") if when else ""


def summary(text: str, length: int = 16) -> str:
    """The first `length` characters of a request's text on one line, for lists and headers."""
    plain = " ".join(text.split())
    return plain if len(plain) <= length else plain[:length] + "…"
