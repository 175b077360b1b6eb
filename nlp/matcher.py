"""Find the routing table's words in a message: one Aho–Corasick pass, then jieba for the short ones.

Substring search finds every listed word; two filters then decide which ones count:
- a word of one character, or a Latin/number word (120, 4g), counts only where it is a whole jieba
  token (道 not in 知道, 水 not in 水泥|路, 120 not inside a phone number); one of two characters not
  where jieba cuts it apart (来电 not in 打来|电话, 没水 not in 没|水平), though it may begin or end a
  longer token (邻居 in 邻居家); longer words are rarely in jieba's dictionary and count wherever written;
- a word inside a longer listed word of the same kind (department words, cue words, urgency
  words) does not count: 医保卡 wins over 医保, 没收到 over 收到, but the urgency word 打起来了
  leaves the department word 打起来 alone.
A synonym (a typo or dialect spelling) is found as itself and counts as its canonical word.
Rules look at `present` instead: plain "does the message contain it".
A mask (kind "mask": 怕是, 血压, 发烧) hides every shorter listed word written inside it, from the
hits and from `present` alike: 怕是中煤气了 says "probably", not "afraid".
A word of kind "present" only (one that only rules look for) is never a hit: it needs no jieba cut.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

import ahocorasick

from nlp.tokenizer import JIEBA_BLOCK, Tokenizer, token_bounds

MASK = "mask"
PRESENT_ONLY = "present"  # a word only rules look for: it is in `present`, never a hit (and never cut for)
_NOT_COUNTED = frozenset({MASK, PRESENT_ONLY})
_NEEDS_ALIGNMENT = re.compile(r"^(?:[\u4e00-\u9fd5]{1,2}|[a-z0-9]+)$")


@dataclass(frozen=True)
class Entry:
    word: str  # the canonical word a synonym stands for (or the word itself)
    kinds: frozenset[str]  # which of department / cue / urgency / rule lists name it


class Hit(NamedTuple):
    """One occurrence that counts (a named tuple: made for every word of every message, so made cheaply)."""

    start: int
    end: int
    word: str  # canonical
    surface: str  # as written in the message
    kinds: frozenset[str] = frozenset()  # the kinds of list it still counts for


@dataclass(frozen=True)
class Found:
    present: frozenset[str]  # every listed word that occurs anywhere (outside a mask)
    hits: tuple[Hit, ...]  # the occurrences that count, in text order
    masked: tuple[tuple[int, int], ...] = ()  # (start, end) of every mask phrase written

    def unmasked(self, text: str) -> str:
        """The text with its mask phrases blanked, for checks that look at single characters."""
        for start, end in self.masked:
            text = text[:start] + "\x00" * (end - start) + text[end:]
        return text


class Matcher:
    def __init__(self, entries: Mapping[str, Entry], tokenizer: Tokenizer) -> None:
        self._tokenizer = tokenizer
        self._automaton = ahocorasick.Automaton()
        for surface, entry in entries.items():
            aligned = bool(_NEEDS_ALIGNMENT.match(surface))
            self._automaton.add_word(surface, (len(surface) - 1, surface, entry, aligned))
        if len(self._automaton):
            self._automaton.make_automaton()

    def find(self, text: str) -> Found:
        if not len(self._automaton):
            return Found(frozenset(), ())
        raw = [
            (last - before, last + 1, surface, entry, aligned)
            for last, (before, surface, entry, aligned) in self._automaton.iter(text)
        ]
        masked = tuple((start, end) for start, end, _, entry, _ in raw if MASK in entry.kinds)
        if masked:
            raw = [r for r in raw if not any(s <= r[0] and r[1] <= e and r[1] - r[0] < e - s for s, e in masked)]
        present = frozenset([r[2] for r in raw] + [r[3].word for r in raw])
        # jieba cuts each block of word characters (JIEBA_BLOCK) on its own, so the bounds around a word are
        # those of its block's cut: only the blocks holding a word to align are cut, and only once a word
        # is known to count otherwise (not inside a longer word of the same kinds).
        block_starts: list[int] = []
        block_ends: list[int] = []
        cut: dict[int, set[int]] = {}  # block number -> its token bounds, as offsets in text
        # Longest first, so a word inside a kept longer word of the same kind is dropped.
        raw.sort(key=lambda r: (r[0] - r[1], r[0]))
        hits: list[Hit] = []
        kept: list[tuple[int, int, frozenset[str]]] = []  # (start, end, kinds) of each hit, for the check below
        covered = bytearray(len(text))  # 1 under every kept hit: a word not covered at both ends needs no check
        for start, end, surface, entry, aligned in raw:
            kinds = entry.kinds
            if covered[start] and covered[end - 1]:
                for s, e, k in kept:
                    if s <= start and end <= e:
                        kinds = kinds - k  # a longer word of these kinds covers it
            if not kinds.isdisjoint(_NOT_COUNTED):
                kinds = kinds - _NOT_COUNTED
            if not kinds:
                continue  # masks and rule words are done with: `present` and `masked` hold them
            if aligned:
                if not block_starts:
                    for block in JIEBA_BLOCK.finditer(text):
                        block_starts.append(block.start())
                        block_ends.append(block.end())
                number = bisect_right(block_starts, start) - 1  # words to align are made of block characters
                bounds = cut.get(number)
                if bounds is None:
                    first = block_starts[number]
                    piece = text[first : block_ends[number]]
                    bounds = cut[number] = {first + b for b in token_bounds(self._tokenizer, piece)}
                if end - start == 1 or surface.isascii():
                    if start not in bounds or end not in bounds:
                        continue  # one character, or a number/Latin word: must be a whole token
                elif start + 1 in bounds:
                    continue  # two characters cut apart by jieba: 来电 in 打来|电话, 泥路 in 水泥|路
            hits.append(Hit(start, end, entry.word, surface, kinds))
            kept.append((start, end, kinds))
            covered[start:end] = b"\x01" * (end - start)
        return Found(present, tuple(sorted(hits, key=lambda h: h.start)), masked)

    def whole_token(self, text: str, start: int, end: int) -> bool:
        """Whether text[start:end] is one token of jieba's cut (a character inside 水泥 or 电话 is not)."""
        block = next((b for b in JIEBA_BLOCK.finditer(text) if b.start() <= start and end <= b.end()), None)
        if block is None:
            return False
        bounds = token_bounds(self._tokenizer, block.group())
        return (
            start - block.start() in bounds
            and end - block.start() in bounds
            and not any(start < block.start() + b < end for b in bounds)
        )
