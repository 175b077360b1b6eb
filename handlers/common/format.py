"""How times and requests are written on the way out (text is folded at the adapter: bot/channels/text.py)."""

from __future__ import annotations

from datetime import datetime


def stamp(when: datetime | None) -> str:
    """A deadline or time as cadres read it on cards and in replies: 11-16 09:30."""
    return when.strftime("%m-%d %H:%M") if when else ""


def summary(text: str, length: int = 16) -> str:
    """The first `length` characters of a request's text on one line, for lists and headers."""
    plain = " ".join(text.split())
    return plain if len(plain) <= length else plain[:length] + "…"
