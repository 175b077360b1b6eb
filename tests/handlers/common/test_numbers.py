"""Reading the `#1042` a cadre types after a command word."""

from __future__ import annotations

import pytest

from config.errors import UserError
from handlers.common.numbers import leading_number, split_number


@pytest.mark.parametrize(
    ("args", "found"),
    [
        ("#1042 交通局", (1042, "交通局")),
        ("1042", (1042, "")),
        ("#1042", (1042, "")),
        ("#1042号 交通局 财政局", (1042, "交通局 财政局")),  # 号 after the number is read with it
        ("#1042号", (1042, "")),
        ("# 1042 路已修好", (1042, "路已修好")),  # a space after #
        ("  #7   a  b  ", (7, "a  b")),  # outer spaces stripped, inner kept
        ("#1042\n交通局", (1042, "交通局")),
        ("１０４２ 交通局", (1042, "交通局")),  # full-width digits, in case they were not folded
        ("#123456789012 x", (123456789012, "x")),  # twelve digits: the longest number read
    ],
)
def test_split_number(args: str, found: tuple[int, str]) -> None:
    assert split_number(args, "whistle.usage") == found


@pytest.mark.parametrize(
    "args",
    [
        "",
        "交通局 #1042",  # the number must come first
        "#1042交通局",  # and be a word of its own
        "#",
        "#1234567890123 x",  # thirteen digits: not a number anyone was given
        "一〇四二",
    ],
)
def test_split_number_without_a_number_answers_with_the_usage(args: str) -> None:
    with pytest.raises(UserError) as refused:
        split_number(args, "whistle.usage")
    assert refused.value.key == "whistle.usage" and refused.value.params == {}


@pytest.mark.parametrize(
    ("args", "found"),
    [
        ("#1042 路已修好", (1042, "路已修好")),
        ("#1042路已修好", (1042, "路已修好")),  # the note may follow at once
        ("1042", (1042, "")),
        ("# 12 x", (12, "x")),
        ("#5 第一行\n第二行", (5, "第一行\n第二行")),  # a note of several lines
        ("#5   ", (5, "")),
        ("路已修好", None),
        ("", None),
        ("#", None),
    ],
)
def test_leading_number(args: str, found: tuple[int, str] | None) -> None:
    assert leading_number(args) == found
