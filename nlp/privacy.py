"""Personal details in free text: phone numbers, ID numbers, bank cards and house numbers.

One scan finds them; `mask_private` shows them masked (138****5678) wherever more than their owner
reads the text, `hide_private` blanks them for the router, so a number never changes where a
request goes. It lives in nlp/ because both the router and the features need it (nlp imports no
feature).

Linear time by construction: digit runs are found by one `finditer`; neighbouring runs joined by a
short separator (138 1234 5678, 139.1234.5678, (0452)1234567) form a chain, and a chain is read
left to right trying spans of at most six runs and 20 digits; the house-number patterns start only
where a run of digits or numerals starts (a lookbehind) and have bounded repeats, so a failed
attempt costs a constant, however long the text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

_RUN = re.compile(r"[0-9０-９]+")
_TO_ASCII = str.maketrans("０１２３４５６７８９", "0123456789")
# What may stand between the digit groups of one number: a space, dash or dot (up to three of them),
# or the closing bracket of an area code or country code: (0452)1234567, (+86) 139….
_JOIN = re.compile(r"[)）]?[ \u00a0\u3000\-‐‑–—－.．·]{0,3}")
_OPENING = "(（"
_PLUS = "+＋"
# A detail masked already (by us or by hand): its digit groups are not joined with their neighbours
# again, so masking twice gives what masking once gave.
_MASKED = re.compile(r"(?<![0-9０-９])[0-9０-９]{2,4}-?\*{4,}[0-9０-９]{3}[0-9０-９Xx]")
_COLON = re.compile("[:：]")
_LABEL_REACH = 12  # the longest label with its 号码 and separators
_MAX_GROUPS = 6
_MAX_DIGITS = 19
_MIN_DIGITS = 10  # the shortest detail: a landline with a three-digit area code

_NUMERALS = "零〇一二三四五六七八九十百两"
_HOUSE_UNIT = "(?:号|栋|幢|室|单元)"
# After a 号, words that make it a day of the month (16号那天, 3号上午), not a door.
_DAY_AFTER = "(?:那天|当天|早上|上午|中午|下午|晚上|夜里|半夜|前|后|之前|以前|以后|之后|开始|起|左右|到|至|当日)"
# 17号, 5号楼, 2单元, 203室, 3栋 — not the day of a date (11月16号, 16号那天) and not a request number (#1042号).
_HOUSE_DIGITS = re.compile(
    rf"(?<![0-9０-９#＃第月.．])[0-9０-９]{{1,6}}(?=[ \u3000]?{_HOUSE_UNIT})(?![ \u3000]?号{_DAY_AFTER})"
)
# 王家屯八号, 三栋二单元: numerals count as a door only right after a place word (alone, 八号 is a date).
_HOUSE_NUMERALS = re.compile(rf"(?<=[屯村组街路巷弄庄区院楼同号栋元住])[{_NUMERALS}]{{1,6}}(?={_HOUSE_UNIT})")
# 门牌18, 门牌号：十八
_DOOR_PLATE = re.compile(rf"(?<=门牌)(号?[:：是为 \u3000]{{0,2}})([0-9０-９]{{1,6}}|[{_NUMERALS}]{{1,6}})")

# Most messages have no digit and no door: one search tells, and they are returned as they are.
_ANY_DETAIL = re.compile(rf"[0-9０-９]|门牌|[{_NUMERALS}]{_HOUSE_UNIT}")

MOBILE, LANDLINE, ID_NUMBER, BANK_CARD = "mobile", "landline", "id", "card"


@dataclass(frozen=True)
class Detail:
    start: int
    end: int
    kind: str  # mobile | landline | id | card
    masked: str  # how a group may read it


def mask_private(text: str) -> str:
    """The text as it may be posted to a group: 138****5678, 0452-****4567, 1101**********1234, 王家屯*号."""
    if not _ANY_DETAIL.search(text):
        return text
    return _mask_houses(_replace(text, lambda d: d.masked))


@dataclass(frozen=True)
class DetailLabels:
    """Words that only introduce a personal detail (身份证号, 电话, 住址), as the router blanks them."""

    before: re.Pattern[str]  # a label ending right before a detail: 身份证号：|230…, 手机号码是|138…
    field: re.Pattern[str]  # a label written as a form field, ending right before its colon: 住址|：


def detail_labels(words: tuple[str, ...]) -> DetailLabels | None:
    """The patterns for a routing table's [masks] labels (None when it lists none)."""
    if not words:
        return None
    # Longest first, so 身份证号码 is blanked whole rather than leaving 号码 behind.
    label = "(?:" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)) + ")(?:号码|号|码)?"
    return DetailLabels(re.compile(label + r"[ \u3000:：是为]{0,3}$"), re.compile(label + r"[ \u3000]?$"))


def hide_private(text: str, labels: DetailLabels | None = None) -> str:
    """The text as the router reads it: numbers blanked to a space, door numbers dropped (住王家屯号); with
    `labels`, a label introducing a detail (身份证号 before the number, 住址： before the address) blanked too."""
    if labels is not None and (":" in text or "：" in text):
        text = _blank_fields(text, labels.field)
    if not _ANY_DETAIL.search(text):
        return text
    if labels is None:
        return _mask_houses(_replace(text, lambda d: " "), "")
    return _mask_houses(_replace(text, lambda d: " ", labels.before), "")


def _blank_fields(text: str, field: re.Pattern[str]) -> str:
    """住址：… → " …": a label is looked for only in the few characters before each colon (a bounded search)."""
    parts: list[str] = []
    at = 0
    for colon in _COLON.finditer(text):
        before = text[at : colon.start()]
        found = field.search(before, max(0, len(before) - _LABEL_REACH))
        parts += [before[: found.start()] + " " if found else before + colon.group(0)]
        at = colon.end()
    parts.append(text[at:])
    return "".join(parts)


def mask_phone(number: str) -> str:
    """A phone number of the org file, shown as 138****0001; one too short to be a phone is left as it is."""
    digits = re.sub(r"\D", "", number)
    if len(digits) < 7:
        return number
    return f"{digits[:3]}****{digits[-4:]}"


def find_details(text: str) -> Iterator[Detail]:
    """Phone, landline, ID and bank card numbers in text order (house numbers are matched by pattern)."""
    runs = [(m.start(), m.end()) for m in _RUN.finditer(text)]
    sealed = _sealed(text, runs)
    chain: list[tuple[int, int]] = []
    for number, run in enumerate(runs):
        if chain and not sealed[number] and not sealed[number - 1] and _joined(text, chain[-1], run):
            chain.append(run)
            continue
        yield from _read_chain(text, chain)
        chain = [] if sealed[number] else [run]
    yield from _read_chain(text, chain)


def _sealed(text: str, runs: list[tuple[int, int]]) -> list[bool]:
    """Which runs belong to a detail masked already (both are in text order, so one walk)."""
    sealed = [False] * len(runs)
    number = 0
    for match in _MASKED.finditer(text):
        while number < len(runs) and runs[number][1] <= match.start():
            number += 1
        while number < len(runs) and runs[number][0] < match.end():
            sealed[number] = True
            number += 1
    return sealed


def _read_chain(text: str, chain: list[tuple[int, int]]) -> Iterator[Detail]:
    """Left to right: the longest span of runs starting here that reads as a detail, else the next run."""
    first = 0
    while first < len(chain):
        found = None
        digits = ""
        spans: list[tuple[int, str]] = []
        for last in range(first, min(first + _MAX_GROUPS, len(chain))):
            digits += text[chain[last][0] : chain[last][1]].translate(_TO_ASCII)
            if len(digits) > _MAX_DIGITS + 1:
                break
            spans.append((last, digits))
        for last, digits in reversed(spans):
            if len(digits) < _MIN_DIGITS:
                break  # shorter spans are shorter still
            found = _detail(text, chain[first : last + 1], digits)
            if found:
                break
        if found:
            yield found
            first = last + 1
        else:
            first += 1


def _replace(text: str, render: Callable[[Detail], str], label: re.Pattern[str] | None = None) -> str:
    parts: list[str] = []
    at = 0
    for detail in find_details(text):
        before = text[at : detail.start]
        if label is not None:
            # Only the few characters before the detail can hold its label: a bounded search.
            tail = max(0, len(before) - _LABEL_REACH)
            found = label.search(before, tail)
            if found:
                before = before[: found.start()]
        parts += [before, render(detail)]
        at = detail.end
    parts.append(text[at:])
    return "".join(parts)


def _mask_houses(text: str, by: str = "*") -> str:
    def stars(m: re.Match[str]) -> str:
        return by * len(m.group(0)) if by else ""

    text = _DOOR_PLATE.sub(lambda m: m.group(1) + (by * len(m.group(2)) if by else ""), text)
    text = _HOUSE_NUMERALS.sub(stars, text)
    return _HOUSE_DIGITS.sub(stars, text)


def _joined(text: str, left: tuple[int, int], right: tuple[int, int]) -> bool:
    if right[0] - left[1] > 4:
        return False
    between = text[left[1] : right[0]]
    if not _JOIN.fullmatch(between):
        return False
    return not between or between[0] not in ")）" or left[0] > 0 and text[left[0] - 1] in _OPENING + _PLUS


def _detail(text: str, groups: list[tuple[int, int]], digits: str) -> Detail | None:
    start, end = groups[0][0], groups[-1][1]
    n = len(digits)
    if n == 11 and _is_mobile(digits):
        return Detail(start, end, MOBILE, f"{digits[:3]}****{digits[-4:]}")
    for prefix in ("86", "0086"):
        if n == 11 + len(prefix) and digits.startswith(prefix) and _is_mobile(digits[len(prefix) :]):
            shown = _text_before_digit(text, start, end, len(prefix))
            return Detail(start, end, MOBILE, f"{shown}{digits[-11:-8]}****{digits[-4:]}")
    if digits[0] == "0" and digits[1:2] not in ("", "0"):
        area = 3 if digits[1] in "12" else 4
        if n - area in (7, 8):
            opening = start > 0 and text[start - 1] in _OPENING and text[groups[0][1] : groups[0][1] + 1] in (")", "）")
            return Detail(start - opening, end, LANDLINE, f"{digits[:area]}-****{digits[-4:]}")
    if n == 17 and text[end : end + 1] in ("X", "x") and _born(digits[6:14]):
        return Detail(start, end + 1, ID_NUMBER, f"{digits[:4]}{'*' * 10}{digits[-3:]}{text[end]}")
    if (n == 18 and _born(digits[6:14])) or (n == 15 and _born("19" + digits[6:12])):
        return Detail(start, end, ID_NUMBER, f"{digits[:4]}{'*' * (n - 8)}{digits[-4:]}")
    if 16 <= n <= _MAX_DIGITS and all(b - a == 4 for a, b in groups[:-1]) and text[end : end + 1] not in ("X", "x"):
        return Detail(start, end, BANK_CARD, f"{digits[:4]}{'*' * (n - 8)}{digits[-4:]}")
    return None


def _is_mobile(digits: str) -> bool:
    return digits[0] == "1" and digits[1] in "3456789"


def _born(date: str) -> bool:
    """YYYYMMDD as a birth date of an ID number (year 1900–2099)."""
    return date[:2] in ("19", "20") and "01" <= date[4:6] <= "12" and "01" <= date[6:8] <= "31"


def _text_before_digit(text: str, start: int, end: int, count: int) -> str:
    """The characters of text[start:end] before its count-th digit, as written (86 , 0086-)."""
    seen = 0
    for at in range(start, end):
        if text[at].translate(_TO_ASCII).isdigit():
            if seen == count:
                return text[start:at]
            seen += 1
    return text[start:end]
