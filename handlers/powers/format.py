"""How the powers feature writes a moment: Beijing time, month-day hour:minute."""

from __future__ import annotations

from datetime import datetime

from config.timezone import SHANGHAI


def when(at: datetime) -> str:
    return at.astimezone(SHANGHAI).strftime("%m-%d %H:%M")
