"""The learned urgency signal: learning it, reading it back, and how the router believes it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from config.errors import ConfigError
from nlp.learn_urgency import Example, learn
from nlp.learned import UrgencyModel, load_model, model_from_json, ngrams
from nlp.lexicon import parse_table
from nlp.router import Router

TABLE = """
[scoring]
request_threshold = 3.0
urgency_threshold = 3.0

[cues.ask]
weight = 2.0
words = ["咋整", "快来"]

[cues.thanks]
weight = -4.0
words = ["谢谢"]

[urgency.danger]
weight = 4.0
words = ["着火"]

[departments.village]
name = "村两委"
[[departments.village.terms]]
weight = 5.0
words = ["邻居", "老爷子"]

[[rules]]
name = "a fire long over is no danger"
all = [["去年"]]
urgency = "normal"
"""

# A hand-made model: "没回来" and "零下" tell of a danger, "谢" of none.
MODEL = UrgencyModel(bias=-3.0, weights={"没回来": 2.5, "零下": 1.5, "谢": -3.0}, sizes=(1, 3), about={})


@pytest.fixture
def small(jieba_cache: Path) -> Router:
    return Router(parse_table(TABLE + '\n[learned]\nurgent_from = 0.7\nrequest_from = 0.9\n'),
                  cache_dir=jieba_cache, urgency_model=MODEL)


def test_pieces_are_one_to_three_characters_with_spaces_collapsed() -> None:
    assert ngrams("a  bc", (1, 3)) == {"a", " ", "b", "c", "a ", " b", "bc", "a b", " bc"}


def test_a_request_the_table_left_calm_is_urgent_when_the_model_hears_a_danger(small: Router) -> None:
    decision = small.classify("老爷子出去到现在没回来 外头零下二十多 咋整")
    assert (decision.is_request, decision.urgency) == (True, "urgent")
    assert "learned urgency 0.73 (没回来、零下" in decision.explanation
    # One piece alone (p = 0.38) does not make it urgent.
    assert small.classify("老爷子出去到现在没回来 咋整").urgency == "normal"


def test_a_rule_saying_normal_has_the_last_word(small: Router) -> None:
    assert small.classify("去年老爷子出去到现在没回来 外头零下二十多 咋整").urgency == "normal"


def test_a_message_the_table_took_for_no_request_needs_a_surer_model(small: Router, jieba_cache: Path) -> None:
    # No department word, no ask: the table says no request. p = 0.73 is below request_from.
    assert not small.classify("到现在没回来 外头零下").is_request
    sure = UrgencyModel(bias=-3.0, weights={"没回来": 4.5, "零下": 1.5}, sizes=(1, 3), about={})
    router = Router(small.table, urgency_model=sure, cache_dir=jieba_cache)
    decision = router.classify("到现在没回来 外头零下")
    assert (decision.is_request, decision.primary, decision.urgency) == (True, "village", "urgent")


def test_without_a_model_the_table_alone_decides(jieba_cache: Path) -> None:
    plain = Router(parse_table(TABLE), cache_dir=jieba_cache)
    assert plain.classify("老爷子出去到现在没回来 外头零下二十多 咋整").urgency == "normal"
    assert plain.classify("着火了 快来 咋整").urgency == "urgent"


def test_learning_finds_the_pieces_that_tell_urgency_and_writes_plain_weights() -> None:
    urgent = ["老人摔倒了起不来", "孩子找不着了", "屋里全是烟 人起不来", "老太太摔了 起不来了", "他倒地上起不来"]
    calm = ["路灯不亮了", "低保咋申请", "谢谢大家", "明天开会", "水费多少钱", "地补啥时候发", "收到"]
    examples = [Example(t, True) for t in urgent] + [Example(t, False) for t in calm]
    said: list[str] = []
    model = learn(examples, said.append)
    assert model.weights["起不来"] > 0 and model.about == {"messages": 12, "urgent": 5, "C": 0.3, "min_messages": 2}
    assert said[0] == "12 messages, 5 urgent"
    again = model_from_json(json.loads(json.dumps(model.as_json())), "m.json")
    assert again == model
    assert again.probability("他摔了 起不来") > again.probability("路灯不亮了")
    assert "起不来" in again.reasons("他摔了 起不来")


def test_learning_needs_both_kinds() -> None:
    with pytest.raises(ValueError, match="both urgent and calm"):
        learn([Example("收到", False), Example("好的", False)])


@pytest.mark.parametrize(("data", "problem"), [
    ({"kind": "something else"}, "m.json: kind: not an urgency model"),
    ({"kind": "gridwhistle learned urgency", "ngram_sizes": [3, 1], "bias": 0, "weights": {"a": 1}},
     "m.json: ngram_sizes: must be [low, high]"),
    ({"kind": "gridwhistle learned urgency", "ngram_sizes": [1, 3], "bias": "x", "weights": {"a": 1}},
     "m.json: bias: must be a number"),
    ({"kind": "gridwhistle learned urgency", "ngram_sizes": [1, 3], "bias": 0, "weights": {"火": "high"}},
     "m.json: weights['火']: must be a number, not 'high'"),
])
def test_a_broken_model_names_the_key(data: dict, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        model_from_json(data, "m.json")
    assert str(caught.value).startswith(problem)


def test_a_model_file_that_is_missing_or_not_json(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the urgency model"):
        load_model(tmp_path / "none.json")
    (tmp_path / "bad.json").write_text("{\n  oops", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad.json:2: not JSON"):
        load_model(tmp_path / "bad.json")


def test_the_table_names_its_model_and_thresholds() -> None:
    learned = parse_table(TABLE + '\n[learned]\nurgency_model = "u.json"\nurgent_from = 0.6\n').learned
    assert (learned.urgency_model, learned.urgent_from, learned.request_from) == ("u.json", 0.6, 0.9)
    with pytest.raises(ConfigError, match=r"<routing table>:\d+: learned.urgent_from: must be between 0 and 1"):
        parse_table(TABLE + "\n[learned]\nurgent_from = 7\n")


def test_the_shipped_table_uses_the_shipped_model(router: Router) -> None:
    assert router.urgency_model is not None and len(router.urgency_model.weights) > 1000
