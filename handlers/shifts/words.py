"""Reading `值班 排班` and `换班`: days (今天, 明天, 11-18, 11月18日), shifts (白班, 夜班) and posts (带班, 值班).

The words are texts ([shifts] in config/replies.toml), so a county that says 日班 changes them there.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from handlers.core.context import Context
from models.shifts import POSTS, SHIFTS

_DAY = re.compile(r"^(?:(\d{4})[-/年])?(\d{1,2})[-/月](\d{1,2})日?$")


def day_of(ctx: Context, word: str) -> date | None:
    today = ctx.now.date()
    for offset, key in enumerate(("shifts.word_today", "shifts.word_tomorrow", "shifts.word_day_after")):
        if word == ctx.say(key):
            return today + timedelta(days=offset)
    match = _DAY.match(word)
    if match is None:
        return None
    year = int(match.group(1)) if match.group(1) else today.year
    try:
        found = date(year, int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None
    if not match.group(1) and found < today - timedelta(days=180):
        found = found.replace(year=year + 1)  # in December, 01-03 means next January
    return found


def shift_of(ctx: Context, word: str) -> str | None:
    return next((s for s in SHIFTS if word == ctx.say(f"shifts.shift_{s}")), None)


def post_of(ctx: Context, word: str) -> str | None:
    return next((p for p in POSTS if word == ctx.say(f"shifts.post_{p}")), None)


def shift_name(ctx: Context, shift: str) -> str:
    return ctx.say(f"shifts.shift_{shift}")
