"""Keyword proposals from re-assignments."""

from __future__ import annotations

from nlp.router import Router
from nlp.suggest import suggest_keywords

CORRECTIONS = [
    ("村头那个充电桩坏了 电动车充不上电", "power"),
    ("充电桩又坏了 咋整", "power"),
    ("屯里的充电桩扫码没反应", "power"),
    ("我家电动车丢了", "public_security"),
    ("大喇叭不响了 通知听不着", "village"),
    ("村里大喇叭坏了好几天了", "village"),
    ("广播大喇叭不响", "village"),
]


def test_frequent_new_words_are_proposed_with_their_examples(router: Router) -> None:
    suggestions = suggest_keywords(CORRECTIONS, router.table, router.tokenize)
    by_word = {(s.department, s.word): s for s in suggestions}
    horn = by_word[("village", "喇叭")]
    assert horn.support == 3 and horn.share == 1.0 and horn.elsewhere == 0
    assert horn.examples[0] == "大喇叭不响了 通知听不着"


def test_words_the_department_already_has_and_cue_words_are_not_proposed(router: Router) -> None:
    suggestions = suggest_keywords(CORRECTIONS, router.table, router.tokenize)
    words = {(s.department, s.word) for s in suggestions}
    assert ("power", "充电桩") not in words  # power lists 充电桩 already
    assert not any(word in {"咋整", "坏了"} for _, word in words)


def test_a_word_seen_once_is_not_enough(router: Router) -> None:
    suggestions = suggest_keywords(CORRECTIONS, router.table, router.tokenize)
    assert all(s.support >= 2 for s in suggestions)
    assert not any(s.department == "public_security" for s in suggestions)
