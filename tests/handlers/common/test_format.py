"""Times and request texts as cadres read them on the way out."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.clock import SHANGHAI
from handlers.common.format import stamp, summary


@pytest.mark.parametrize(
    ("when", "shown"),
    [
        (datetime(2026, 11, 16, 9, 30, tzinfo=SHANGHAI), "11-16 09:30"),
        (datetime(2026, 1, 2, 0, 5, tzinfo=SHANGHAI), "01-02 00:05"),
        (datetime(2026, 12, 31, 23, 59, 59, tzinfo=SHANGHAI), "12-31 23:59"),  # seconds are not shown
        (None, ""),
    ],
)
def test_stamp(when: datetime | None, shown: str) -> None:
    assert stamp(when) == shown


@pytest.mark.parametrize(
    ("text", "length", "shown"),
    [
        ("三屯那个桥塌了一半", 16, "三屯那个桥塌了一半"),
        ("一二三四五六七八九十一二三四五六", 16, "一二三四五六七八九十一二三四五六"),  # exactly 16: whole
        ("一二三四五六七八九十一二三四五六七", 16, "一二三四五六七八九十一二三四五六…"),  # 17: cut, with …
        ("三屯\n那个桥   塌了", 16, "三屯 那个桥 塌了"),  # on one line
        ("  路灯坏了  ", 16, "路灯坏了"),
        ("路灯坏了三天了", 4, "路灯坏了…"),
        ("", 16, ""),
    ],
)
def test_summary(text: str, length: int, shown: str) -> None:
    assert summary(text, length) == shown
