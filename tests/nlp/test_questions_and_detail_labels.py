"""Rule 2 (an information question is a request) and rule 26 (a label before a personal detail does not
vote), through the shipped table without its learned signals, which would otherwise cover for the words.
The wordings are not in the labelled sets."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.errors import ConfigError
from config.settings import ROUTING_TABLE
from nlp.lexicon import load_table, parse_table
from nlp.privacy import detail_labels, hide_private
from nlp.router import Router


@pytest.fixture(scope="module")
def table_alone(jieba_cache: Path) -> Router:
    return Router(load_table(ROUTING_TABLE), cache_dir=jieba_cache)


@pytest.mark.parametrize(
    "text",
    ["公示栏里那个公示多久一换", "四议两公开是啥流程", "参军报名要带啥材料", "财务公开多久公开一次", "退役证明去哪开"],
)
def test_an_information_question_about_an_administrative_matter_is_a_request(table_alone: Router, text: str) -> None:
    assert table_alone.classify(text).is_request


@pytest.mark.parametrize(
    "text", ["哥们 啥时候一起喝点", "谢谢 手续都办完了", "早上好 今天真冷", "老王 明天你啥时候去镇上 捎我一段"]
)
def test_chat_thanks_and_greetings_stay_no_request(table_alone: Router, text: str) -> None:
    assert not table_alone.classify(text).is_request


@pytest.mark.parametrize(
    ("text", "department"),
    [
        ("身份证号：230223196203154427 想问问我这个岁数医保还能交不", "health"),
        ("身份证230227197005213318 想问问养老金啥时候发", "human_resources"),
        ("手机号码是13845671234 家门口的小桥让水冲了 车过不去", "transport"),
        ("开户行农业银行 卡号6228480471234567891 一卡通里的低保钱这月没打进来", "finance"),
    ],
)
def test_a_label_before_a_personal_detail_does_not_vote(table_alone: Router, text: str, department: str) -> None:
    assert table_alone.classify(text).primary == department


@pytest.mark.parametrize("text", ["我身份证丢了 咋补办", "补办身份证去哪", "身份证过期了 号是230223198811023312 咋换"])
def test_the_papers_themselves_still_go_to_public_security(table_alone: Router, text: str) -> None:
    assert table_alone.classify(text).primary == "public_security"


def test_labels_are_blanked_with_their_detail_and_nowhere_else() -> None:
    labels = detail_labels(("身份证号", "身份证", "电话", "手机号", "住址"))
    assert hide_private("身份证号：230223196203154427 问医保", labels).split() == ["问医保"]
    assert hide_private("手机号码是13845671234 路灯坏了", labels).split() == ["路灯坏了"]
    assert hide_private("住址：东风村二组 墙裂了", labels).split() == ["东风村二组", "墙裂了"]
    assert hide_private("身份证丢了 电话打不通", labels) == "身份证丢了 电话打不通"
    assert hide_private("身份证号：230223196203154427 问医保").split() == ["身份证号：", "问医保"]  # no labels given


MINIMAL = '[departments.village]\nname = "村两委"\n[departments.village.terms.lamp]\nweight = 5.0\nwords = ["路灯"]\n'


def test_labels_are_read_from_the_masks_part() -> None:
    table = parse_table(MINIMAL + '[masks]\nwords = ["高血压"]\nlabels = ["电话", "住址"]\n')
    assert table.labels == ("电话", "住址")
    with pytest.raises(ConfigError, match=r"masks\.labels"):
        parse_table(MINIMAL + '[masks]\nwords = ["高血压"]\nlabels = ["电 话"]\n')


def test_a_text_message_received_is_no_acknowledgement(table_alone: Router) -> None:
    decision = table_alone.classify("收到条短信说我社保卡要停用了 让我点链接交钱 是骗人的不 你们管不管")
    assert decision.is_request


def test_people_cut_off_by_a_flood_are_emergency_s_whatever_the_learned_department_says(router: Router) -> None:
    decision = router.classify("河水漫上来了 前街老刘家让水围上了 老两口都上房顶了 快派船 电话13845127703")
    assert (decision.primary, decision.urgency) == ("emergency", "urgent")
    assert "people cut off by a flood" in decision.explanation
    assert not router.classify("九八年发大水那会 俺爹背着俺奶上的房顶 在房顶上蹲了两宿").is_request
