"""The router remembers its recent decisions: a message classified when stored and again when handled is
worked out once, and the remembered decision is the one it would make afresh."""

from __future__ import annotations

from pathlib import Path

import pytest

import nlp.router
from config.settings import ROUTING_TABLE
from nlp.router import Router

TEXTS = ("村口的桥塌了，车过不去", "路灯坏了好几天了", "谢谢", "低保什么时候发")


def test_a_remembered_decision_is_the_one_made_afresh(router: Router) -> None:
    for text in TEXTS:
        first = router.classify(text)
        assert router.classify(text) is first  # remembered, not worked out again
        assert first == router.decide(text)
        assert router.classify(text, explain=False) == router.decide(text, explain=False)
    assert router.classify(TEXTS[0], explain=False).explanation == ""  # each way of asking has its own answer


def test_only_the_latest_decisions_are_kept(monkeypatch: pytest.MonkeyPatch, jieba_cache: Path) -> None:
    monkeypatch.setattr(nlp.router, "DECISIONS_KEPT", 2)
    fresh = Router.from_file(ROUTING_TABLE, cache_dir=jieba_cache)
    kept = [fresh.classify(text) for text in TEXTS[:2]]
    fresh.classify(TEXTS[2])  # the oldest, TEXTS[0], is forgotten
    assert fresh.classify(TEXTS[1]) is kept[1]
    assert fresh.classify(TEXTS[0]) is not kept[0] and fresh.classify(TEXTS[0]) == kept[0]
