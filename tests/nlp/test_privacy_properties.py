"""Masking over generated text: it never raises, masking twice gives what masking once gave, no digit is ever
added, and a phone, ID or card number written anywhere (in any of its forms) never shows in full."""

from __future__ import annotations

import re
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from nlp.privacy import hide_private, mask_private

# The characters the scanner cares about, often enough to meet each other.
TRICKY = st.text(alphabet="0123456789０１２３ Xx*+＋-.·()（）#＃号栋室单元门牌屯住月八十两\u3000", max_size=80)
ANY = st.text(max_size=200)
# Words around a detail: no digit, nothing that joins numbers, and no star (text already masked by hand).
WORDS = st.text(alphabet="我家电话住房顶漏雨了塌一块，。！？abc王李村", max_size=12)
SEPARATORS = st.sampled_from(["", " ", "-", ".", " - "])
_NOT_DIGIT = re.compile(r"[^0-9]")


def _spaced(digits: str, cuts: list[int], separator: str) -> str:
    parts, at = [], 0
    for cut in sorted(set(cuts)):
        parts.append(digits[at:cut])
        at = cut
    parts.append(digits[at:])
    return separator.join(p for p in parts if p)


@st.composite
def mobiles(draw: st.DrawFn) -> tuple[str, str]:
    digits = "1" + draw(st.sampled_from("3456789")) + draw(st.text(alphabet="0123456789", min_size=9, max_size=9))
    written = _spaced(digits, [3, 7], draw(SEPARATORS))
    prefix = draw(st.sampled_from(["", "+86", "+86 ", "0086", "0086-", "86"]))
    return digits, prefix + written


@st.composite
def ids(draw: st.DrawFn) -> tuple[str, str]:
    area = draw(st.text(alphabet="123456789", min_size=1, max_size=1)) + draw(
        st.text(alphabet="0123456789", min_size=5, max_size=5)
    )
    day = draw(st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31)))
    born = f"{day.year:04d}{day.month:02d}{day.day:02d}"
    tail = draw(st.text(alphabet="0123456789", min_size=3, max_size=3)) + draw(st.sampled_from("0123456789X"))
    if draw(st.booleans()):
        digits = area + born[2:] + tail[:3]  # the old 15-digit number
        return digits, _spaced(digits, [6, 12], draw(SEPARATORS))
    digits = area + born + tail
    return digits, _spaced(digits, [6, 14], draw(SEPARATORS))


@st.composite
def cards(draw: st.DrawFn) -> tuple[str, str]:
    size = draw(st.integers(16, 19))
    digits = "62" + draw(st.text(alphabet="0123456789", min_size=size - 2, max_size=size - 2))
    separator = draw(SEPARATORS)
    return digits, _spaced(digits, list(range(4, size, 4)), separator) if separator else digits


@given(ANY)
def test_any_text_is_masked_without_raising_and_only_once(text: str) -> None:
    once = mask_private(text)
    assert mask_private(once) == once
    assert len(_NOT_DIGIT.sub("", once)) <= len(_NOT_DIGIT.sub("", text))
    hide_private(text)


@given(TRICKY)
@settings(max_examples=500)
def test_digits_and_separators_mask_once_and_never_grow_in_digits(text: str) -> None:
    once = mask_private(text)
    assert mask_private(once) == once
    assert sum(c.isdigit() for c in once) <= sum(c.isdigit() for c in text)
    assert once.count("*") >= text.count("*")  # what was masked stays masked


@given(WORDS, st.one_of(mobiles(), ids(), cards()), WORDS)
@settings(max_examples=400)
def test_a_detail_in_any_form_never_shows_in_full(before: str, detail: tuple[str, str], after: str) -> None:
    digits, written = detail
    shown = mask_private(before + written + after)
    kept = "".join(c for c in shown if c.isdigit())
    prefix = len(_NOT_DIGIT.sub("", written)) - len(digits)  # 86 or 0086 before a mobile
    assert digits not in kept
    assert len(kept) <= prefix + 8  # at most the first four and the last four
    assert mask_private(shown) == shown


@given(st.integers(1, 3000), st.sampled_from(["1", "8", "13", " 1", "1-", "8号", "号8", "*1", "#1"]))
@settings(max_examples=60, deadline=None)
def test_long_repetitive_text_is_masked(count: int, piece: str) -> None:
    text = piece * count
    assert mask_private(mask_private(text)) == mask_private(text)
