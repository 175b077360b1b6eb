"""The routing table checker: the shipped table is valid, and every mistake names file:line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.errors import ConfigError
from config.settings import ROUTING_TABLE
from nlp.lexicon import load_table, parse_table

GOOD = """\
[scoring]
request_threshold = 3.0

[cues.ask]
weight = 2.0
words = ["咋整", "啥时候"]

[departments.power]
name = "供电公司"

[[departments.power.terms]]
weight = 6.0
words = ["停电", "路灯"]

[departments.village]
name = "村两委"

[[departments.village.terms]]
weight = 5.0
words = ["邻居"]

[[departments.village.terms]]
weight = 2.0
words = ["吵架",
         "骂人"]

[[rules]]
name = "quarrels"
all = [["吵架"]]
primary = "village"

[synonyms]
"路灯" = ["路登"]
"""


def error_for(text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_table(text, "t.toml")
    return str(caught.value)


def test_the_shipped_table_is_valid() -> None:
    table = load_table(ROUTING_TABLE)
    assert {d.code for d in table.departments} >= {"power", "transport", "village", "discipline"}
    assert table.counts()["keywords"] > 1000


def test_a_good_small_table_loads() -> None:
    table = parse_table(GOOD)
    assert [d.code for d in table.departments] == ["power", "village"]
    assert table.synonyms == (("路登", "路灯"),)


def test_a_syntax_error_names_its_line() -> None:
    text = GOOD.replace("weight = 5.0", "weight = = 5.0")
    assert error_for(text).startswith("t.toml:19: TOML syntax error")


def test_an_unknown_department_code_names_its_header_line() -> None:
    text = GOOD.replace("[departments.power]", "[departments.powr]").replace(
        "departments.power.terms", "departments.powr.terms"
    )
    message = error_for(text)
    assert message.startswith("t.toml:8: departments.powr: unknown department code 'powr'")


def test_a_bad_weight_names_the_line_in_the_right_group() -> None:
    text = GOOD.replace('weight = 2.0\nwords = ["吵架"', 'weight = -2.0\nwords = ["吵架"')
    assert error_for(text).startswith("t.toml:23: departments.village.terms[1].weight: must be between 0 and 20")


def test_a_weight_that_is_not_a_number() -> None:
    text = GOOD.replace("weight = 6.0", 'weight = "high"')
    assert error_for(text).startswith("t.toml:12: departments.power.terms[0].weight: must be a number")


def test_a_bad_word_names_the_line_of_the_word() -> None:
    text = GOOD.replace('"骂人"]', '"骂 人"]')
    assert error_for(text).startswith("t.toml:25: departments.village.terms[1].words: word '骂 人' contains spaces")


def test_a_word_twice_in_one_department() -> None:
    text = GOOD.replace('"骂人"]', '"邻居"]')
    assert error_for(text).startswith(
        "t.toml:25: departments.village.terms[1].words: word '邻居' is already in group 1"
    )


def test_an_unknown_key_in_a_rule() -> None:
    text = GOOD.replace('primary = "village"', 'primery = "village"')
    assert error_for(text).startswith("t.toml:30: rules[0].primery: unknown key")


def test_a_rule_naming_an_unknown_department() -> None:
    text = GOOD.replace('primary = "village"', 'primary = "police"')
    assert error_for(text).startswith("t.toml:30: rules[0].primary: unknown department 'police'")


def test_a_synonym_for_a_word_nobody_lists() -> None:
    text = GOOD.replace('"路灯" = ["路登"]', '"电灯" = ["电登"]')
    assert error_for(text).startswith("t.toml:33: synonyms.电灯: '电灯' is not a word")


def test_full_width_words_must_be_written_half_width() -> None:
    text = GOOD.replace('"咋整"', '"ＯＫ"')
    assert error_for(text).startswith("t.toml:6: cues.ask.words: write 'ＯＫ' as 'ok'")


def test_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the routing table"):
        load_table(tmp_path / "nope.toml")


def test_at_end_is_for_cue_lists_only() -> None:
    text = GOOD.replace(
        'weight = 6.0\nwords = ["停电", "路灯"]', 'weight = 6.0\nat_end = true\nwords = ["停电", "路灯"]'
    )
    assert error_for(text).startswith("t.toml:13: departments.power.terms[0].at_end: unknown key")


def test_anywhere_is_for_urgency_lists_only() -> None:
    text = GOOD.replace("[cues.ask]\nweight = 2.0\n", "[cues.ask]\nweight = 2.0\nanywhere = true\n")
    assert error_for(text).startswith("t.toml:6: cues.ask.anywhere: unknown key")


def test_masks_are_read_and_checked() -> None:
    assert parse_table(GOOD + '\n[masks]\nwords = ["怕是"]\n', "t.toml").masks == ("怕是",)
    assert "masks.weight: unknown key" in error_for(GOOD + "\n[masks]\nweight = 1\n")
    assert "masks: missing key `words`" in error_for(GOOD + "\n[masks]\n")


def test_rules_name_shared_word_sets() -> None:
    sets = '\n[sets.past]\nwords = ["去年", "上回"]\n'
    text = GOOD.replace("[[rules]]", sets + "\n[[rules]]", 1)
    text = text.replace('all = [["吵架"]]', 'all = [["吵架"]]\nnone = ["@past", "上回", "以前"]', 1)
    rule = parse_table(text, "t.toml").rules[0]
    assert rule.none == ("去年", "上回", "以前")  # the set's words, then the rest, each once


def test_an_unknown_word_set_names_its_line() -> None:
    text = GOOD.replace('all = [["吵架"]]', 'all = [["吵架"], ["@now"]]', 1)
    error = error_for(text)
    assert "rules[0].all: unknown word set '@now'" in error and error.startswith("t.toml:29:")


def test_a_word_set_is_only_for_rules() -> None:
    text = GOOD.replace('words = ["咋整", "啥时候"]', 'words = ["咋整", "@past"]')
    assert "cues.ask.words: '@past': a word set can only be named in a rule's `all` or `none`" in error_for(text)
