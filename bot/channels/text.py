"""One normaliser for every inbound text, applied where each adapter builds its Inbound.

What a villager typed is kept as they see it: full-width punctuation, emoji and spaces stay. Removed are
the characters nobody sees but that change what a program reads — control characters, zero-width
spaces and joiners, byte-order marks, direction marks, invisible fillers — so `\\ufeff督办` is 督办.
A lone surrogate (invalid UTF-16 that JSON can carry) becomes U+FFFD, which every database and sender
accepts. Text longer than MAX_TEXT is cut for routing and storage; the whole text travels with the
message as extra["full_text"].

Width folding (NFKC: ＃１０４２ → #1042) is `fold`, for matching command words and for routing only —
never for what is stored or forwarded.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.channels.types import Inbound

MAX_TEXT = 2000  # characters routed and stored; WeCom's own limit on a text message is 2048 bytes

ZWJ = "\u200d"
VS16 = "\ufe0f"
# Letters by category but drawn as nothing (Hangul fillers), and the combining grapheme joiner.
INVISIBLE_LETTERS = "\u115f\u1160\u3164\uffa0\u034f"
SURROGATE = re.compile("[\ud800-\udfff]")
LINE_BREAKS = re.compile("\r\n|[\r\u2028\u2029\x85]")


def _invisible_class() -> re.Pattern[str]:
    """Control characters but the newline, and every format character (Cf) but the emoji joiner.

    Cf characters live in the BMP, plane 1 and the tags of plane 14; scanning those once at import is
    a few milliseconds."""
    planes = [*range(0x20000), *range(0xE0000, 0xE1000)]
    chars = [chr(c) for c in planes if unicodedata.category(chr(c)) in ("Cc", "Cf")]
    chars = [c for c in chars if c not in ("\n", ZWJ)] + list(INVISIBLE_LETTERS)
    return re.compile("[" + "".join(re.escape(c) for c in chars) + "]+")


INVISIBLE = _invisible_class()


def clean(raw: str) -> str:
    """The text as a person sees it: invisible characters out, surrogates replaced, line ends as \\n."""
    text = _replace_surrogates(raw) if SURROGATE.search(raw) else raw
    text = LINE_BREAKS.sub("\n", text).replace("\t", " ")
    text = INVISIBLE.sub("", text)
    if ZWJ in text:
        text = _drop_stray_joiners(text)
    return text.strip()


def fold(text: str) -> str:
    """The form command words and routing are matched against: NFKC (full-width to plain), trimmed."""
    return unicodedata.normalize("NFKC", text).strip()


def typed(text: str, folded_tail: str) -> str:
    """The end of `text` as the person typed it, for a tail of fold(text): after a command word is matched
    in the folded text, its arguments are stored with the villager's own characters (＃, ，, ！ kept).

    Folding is per character but for rare compositions, so the tail starts where the folded lengths of the
    characters from the end add up to it; when that does not check out, the folded tail is returned."""
    tail = folded_tail.strip()
    if not tail:
        return ""
    text = text.rstrip()
    length, start = 0, len(text)
    while start > 0 and length < len(tail):
        start -= 1
        length += len(unicodedata.normalize("NFKC", text[start]))
    candidate = text[start:].strip()
    return candidate if fold(candidate) == tail else tail


def safe(value: str) -> str:
    """An id or label from outside, made storable: lone surrogates replaced, nothing else changed."""
    return _replace_surrogates(value) if SURROGATE.search(value) else value


def _replace_surrogates(text: str) -> str:
    # A surrogate pair split into two code points is joined again; a lone half becomes U+FFFD.
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def _drop_stray_joiners(text: str) -> str:
    """Keep a zero-width joiner only inside an emoji sequence (👨‍👩‍👧): after a symbol, a skin tone or VS16."""
    out = []
    for index, char in enumerate(text):
        if char == ZWJ:
            before = text[index - 1] if index else ""
            if not before or (before != VS16 and unicodedata.category(before) not in ("So", "Sk")):
                continue
        out.append(char)
    return "".join(out)


def _safe_values(data: Any) -> Any:
    if isinstance(data, str):
        return safe(data)
    if isinstance(data, dict):
        return {safe(str(k)): _safe_values(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_safe_values(v) for v in data]
    return data


def normalised(inbound: Inbound) -> Inbound:
    """The Inbound as stored: its text cleaned and capped, every other string made storable."""
    text = clean(inbound.text)
    extra = _safe_values(inbound.extra)
    if len(text) > MAX_TEXT:
        extra["full_text"] = text
        text = text[:MAX_TEXT]
    return replace(
        inbound,
        message_id=safe(inbound.message_id),
        sender=safe(inbound.sender),
        conversation=safe(inbound.conversation),
        text=text,
        reply=_safe_values(inbound.reply),
        extra=extra,
    )
