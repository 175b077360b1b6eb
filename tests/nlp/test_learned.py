"""The learned signals: learning them, reading them back, and how the router believes them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from config.errors import ConfigError
from nlp.learned import (
    DEPARTMENT_KIND,
    REQUEST_KIND,
    URGENCY_KIND,
    BinaryModel,
    DepartmentModel,
    load_model,
    model_from_json,
    ngrams,
)
from nlp.learning import Example, learn_departments, learn_requests, learn_urgency
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

DATA = Path(__file__).resolve().parents[2] / "bench" / "data"

# A hand-made model: "没回来" and "零下" tell of a danger, "谢" of none.
MODEL = BinaryModel(bias=-3.0, weights={"没回来": 2.5, "零下": 1.5, "谢": -3.0}, sizes=(1, 3), about={})


@pytest.fixture
def small(jieba_cache: Path) -> Router:
    return Router(
        parse_table(TABLE + "\n[learned]\nurgent_from = 0.7\nrequest_from = 0.9\n"),
        cache_dir=jieba_cache,
        urgency_model=MODEL,
    )


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
    sure = BinaryModel(bias=-3.0, weights={"没回来": 4.5, "零下": 1.5}, sizes=(1, 3), about={})
    router = Router(small.table, urgency_model=sure, cache_dir=jieba_cache)
    decision = router.classify("到现在没回来 外头零下")
    assert (decision.is_request, decision.primary, decision.urgency) == (True, "village", "urgent")


def test_without_a_model_the_table_alone_decides(jieba_cache: Path) -> None:
    plain = Router(parse_table(TABLE), cache_dir=jieba_cache)
    assert plain.classify("老爷子出去到现在没回来 外头零下二十多 咋整").urgency == "normal"
    assert plain.classify("着火了 快来 咋整").urgency == "urgent"


URGENT = ["老人摔倒了起不来", "孩子找不着了", "屋里全是烟 人起不来", "老太太摔了 起不来了", "他倒地上起不来"]
CALM = [
    ("路灯不亮了", "power"),
    ("路灯坏了", "power"),
    ("低保咋申请", "civil_affairs"),
    ("低保啥时候发", "civil_affairs"),
    ("谢谢大家", None),
    ("明天开会", None),
    ("收到", None),
]
EXAMPLES = [Example(t, True, "health") for t in URGENT] + [Example(t, False, d) for t, d in CALM]


def test_learning_finds_the_pieces_that_tell_urgency_and_writes_plain_weights() -> None:
    said: list[str] = []
    model = learn_urgency(EXAMPLES, said.append)
    assert model.weights["起不来"] > 0 and model.about == {"messages": 12, "urgent": 5, "C": 0.3, "min_messages": 2}
    assert said[0] == "urgency: 12 messages, 5 urgent"
    again = model_from_json(json.loads(json.dumps(model.as_json())), "m.json", URGENCY_KIND)
    assert again == model
    fallen, lamp = ngrams("他摔了 起不来", (1, 3)), ngrams("路灯不亮了", (1, 3))
    assert again.probability(fallen) > again.probability(lamp)
    assert "起不来" in again.reasons(fallen)


def test_learning_the_departments_of_requests() -> None:
    model = learn_departments(EXAMPLES)
    assert model.departments == ("civil_affairs", "health", "power") and model.about["requests"] == 9
    again = model_from_json(json.loads(json.dumps(model.as_json())), "m.json", DEPARTMENT_KIND)
    assert again == model
    code, chance = again.best(ngrams("路灯又不亮了", (1, 3)))
    assert code == "power" and chance > 0.5
    assert "路灯" in again.reasons(ngrams("路灯又不亮了", (1, 3)), "power")


def test_learning_needs_both_kinds() -> None:
    with pytest.raises(ValueError, match="both urgent and calm"):
        learn_urgency([Example("收到", False, None), Example("好的", False, None)])
    with pytest.raises(ValueError, match="two or more departments"):
        learn_departments([Example("路灯坏了", False, "power"), Example("收到", False, None)])


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"kind": "something else"}, "m.json: kind: not a model of kind 'gridwhistle learned urgency'"),
        (
            {"kind": "gridwhistle learned urgency", "ngram_sizes": [3, 1], "bias": 0, "weights": {"a": 1}},
            "m.json: ngram_sizes: must be [low, high]",
        ),
        (
            {"kind": "gridwhistle learned urgency", "ngram_sizes": [1, 3], "bias": "x", "weights": {"a": 1}},
            "m.json: bias: must be a number",
        ),
        (
            {"kind": "gridwhistle learned urgency", "ngram_sizes": [1, 3], "bias": 0, "weights": {"火": "high"}},
            "m.json: weights['火']: must be a number, not 'high'",
        ),
    ],
)
def test_a_broken_model_names_the_key(data: dict, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        model_from_json(data, "m.json", URGENCY_KIND)
    assert str(caught.value).startswith(problem)


def test_a_model_file_that_is_missing_or_not_json(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the learned model"):
        load_model(tmp_path / "none.json", URGENCY_KIND)
    (tmp_path / "bad.json").write_text("{\n  oops", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad.json:2: not JSON"):
        load_model(tmp_path / "bad.json", DEPARTMENT_KIND)


def test_a_department_model_naming_a_department_it_does_not_list() -> None:
    data = {
        "kind": DEPARTMENT_KIND,
        "ngram_sizes": [1, 3],
        "departments": ["power", "water"],
        "bias": [0, 0],
        "weights": {"灯": {"power": 1.0, "roads": 0.5}},
    }
    with pytest.raises(ConfigError, match=r"m.json: weights\['灯'\]: unknown department 'roads'"):
        model_from_json(data, "m.json", DEPARTMENT_KIND)


def test_the_table_names_its_model_and_thresholds() -> None:
    learned = parse_table(TABLE + '\n[learned]\nurgency_model = "u.json"\nurgent_from = 0.6\n').learned
    assert (learned.urgency_model, learned.urgent_from, learned.request_from) == ("u.json", 0.6, 0.9)
    with pytest.raises(ConfigError, match=r"<routing table>:\d+: learned.urgent_from: must be between 0 and 1"):
        parse_table(TABLE + "\n[learned]\nurgent_from = 7\n")


def test_the_learned_department_replaces_the_tables_when_it_is_sure(jieba_cache: Path) -> None:
    # The table knows 邻居 (village) only; the model has learned that 漏水 is water's.
    model = DepartmentModel(("village", "water"), (0.0, 0.0), {"漏水": ((1, 2.0),), "邻居": ((0, 1.0),)}, (1, 3), {})
    router = Router(parse_table(TABLE), cache_dir=jieba_cache, department_model=model)
    decision = router.classify("邻居家水管子漏水 淌我家院里了 咋整")
    assert decision.primary == "water"
    assert "— → water; learned department water 0.73 (漏水) over village" in decision.explanation
    # Not sure enough: with department_from = 0.8, the table's department stays.
    wary = Router(
        parse_table(TABLE + "\n[learned]\ndepartment_from = 0.8\n"), cache_dir=jieba_cache, department_model=model
    )
    assert wary.classify("邻居家水管子漏水 淌我家院里了 咋整").primary == "village"


def test_the_shipped_table_uses_the_shipped_models(router: Router) -> None:
    assert router.urgency_model is not None and len(router.urgency_model.weights) > 1000
    assert router.department_model is not None and len(router.department_model.departments) == 20


def test_the_learned_request_signal_decides_where_it_is_sure(jieba_cache: Path) -> None:
    # The table sees no request in 护照 (no listed word) and a request in 邻居 … 咋整.
    model = BinaryModel(-1.0, {"护照": 4.0, "开会": -3.0}, (1, 3), {}, REQUEST_KIND)
    router = Router(parse_table(TABLE), cache_dir=jieba_cache, request_model=model)
    asked = router.classify("护照在哪办")
    assert (asked.is_request, asked.primary) == (True, "village")
    assert "learned request 0.95 (护照" in asked.explanation
    assert not router.classify("明天开会 邻居都来 咋整").is_request  # p = 0.02: sure it is no request
    assert router.classify("邻居家狗咬人了 咋整").is_request  # p = 0.27: the table decides


def test_learning_what_is_a_request() -> None:
    model = learn_requests(EXAMPLES)
    assert model.kind == REQUEST_KIND and model.about["requests"] == 9
    assert model_from_json(json.loads(json.dumps(model.as_json())), "m.json", REQUEST_KIND) == model


def test_the_three_sums_in_one_pass_are_each_models_own_sum() -> None:
    from nlp.learned import LearnedSums

    request = BinaryModel(-1.0, {"没": 0.5, "修": 1.25, "谢": -2.0}, (1, 3), {}, REQUEST_KIND)
    urgency = BinaryModel(-3.0, {"没回来": 2.5, "零下": 1.5, "谢": -3.0}, (1, 3), {})
    department = DepartmentModel(
        ("water", "power", "village"),
        (0.1, -0.2, 0.3),
        {"水": ((0, 2.0),), "电": ((1, 1.5), (2, -0.75)), "没": ((2, -4096.0625),)},
        (1, 3),
        {},
    )
    sums = LearnedSums(request, urgency, department)
    for pieces in ({"没", "水", "零下", "谢", "不认识"}, {"不认识"}, set(), {"电", "没回来", "修"}):
        expected = [
            request.bias + sum(request.weights.get(p, 0.0) for p in pieces),
            urgency.bias + sum(urgency.weights.get(p, 0.0) for p in pieces),
            *department.bias,
        ]
        for piece in pieces:
            for index, weight in department.weights.get(piece, ()):
                expected[2 + index] += weight
        assert sums.sums(pieces) == pytest.approx(expected, abs=1e-6)
    only_urgency = LearnedSums(None, urgency, None)
    assert only_urgency.sums({"零下"}) == pytest.approx([0.0, -1.5])


def test_a_weight_too_large_to_pack_is_refused() -> None:
    from nlp.learned import LearnedSums

    with pytest.raises(ValueError, match="too large"):
        LearnedSums(BinaryModel(0.0, {"水": 1e6}, (1, 3), {}, REQUEST_KIND), None, None)


def test_classify_without_an_explanation_decides_the_same(router: Router) -> None:
    texts = [json.loads(line)["text"] for line in (DATA / "blind70.jsonl").read_text(encoding="utf-8").splitlines()]
    for text in texts:
        explained, quiet = router.classify(text), router.classify(text, explain=False)
        assert quiet.explanation == "" and explained.explanation
        assert (quiet.as_json(), quiet.runners_up, quiet.is_followup) == (
            explained.as_json(),
            explained.runners_up,
            explained.is_followup,
        )
