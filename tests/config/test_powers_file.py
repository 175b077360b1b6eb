"""The small-powers list file: the demo example reads; every mistake names its file and line; `gridwhistle
powers check` prints the shape or the mistakes."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.errors import ConfigError
from config.paths import DEMO_POWERS_FILE
from config.powers_file import read_powers

GOOD = """\
[list]
name = "小测试清单"

[match]
ask = ["找谁"]

[[item]]
code = "homestead"
name = "宅基地审批"
words = ["宅基地"]
post = "director"
where = "村委会"
time_limit = "5个工作日"
basis = "《土地管理法》"
"""


def test_the_demo_example_has_twenty_items_five_flows_and_the_four_deliberations() -> None:
    powers = read_powers(DEMO_POWERS_FILE)
    assert powers.example and len(powers.items) == 20 and len(powers.flows) == 5
    major = powers.find("四议两公开")
    assert major is not None and [s.name for s in major.steps] == [
        "党支部提议",
        "两委会商议",
        "党员大会审议",
        "村民代表会议或村民会议决议",
        "决议公开",
        "实施结果公开",
    ]
    assert [s.public for s in major.steps][-2:] == [True, True]
    assert [s.results for s in major.steps][:4] == [(), ("通过", "未通过"), ("通过", "未通过"), ("通过", "未通过")]
    assert powers.find("大额资金") is powers.get("large_expense")


def test_mistakes_name_the_file_and_line(tmp_path: Path) -> None:
    bad = GOOD.replace('post = "director"', 'post = "mayor"').replace('words = ["宅基地"]', "words = []")
    bad += '\n[[item]]\ncode = "homestead"\nname = "重复"\nwords = ["宅基地"]\npost = "director"\nwhere = "x"\n'
    bad += (
        'time_limit = "x"\nbasis = "x"\nwarning = "w"\n[[item.step]]\nname = "提议"\nwho = "支部"\npost = "secretary"\n'
    )
    bad += 'what = "提"\ndays = 0\n'
    path = tmp_path / "powers.toml"
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        read_powers(path)
    lines = str(caught.value).splitlines()
    assert f"{path}:10: item 1 (homestead): words should list what villagers say" in lines
    assert any(line.startswith(f"{path}:11: item 1 (homestead): post should be a post code: ") for line in lines)
    assert f"{path}:17: item 2 (homestead): code 'homestead' is used twice" in lines
    assert f"{path}:30: item 2 (homestead) step 1: days should be a whole number of days from 1 to 366" in lines


def test_step_results_are_checked_with_their_line(tmp_path: Path) -> None:
    flow = (
        GOOD + 'warning = "w"\n[[item.step]]\nname = "提议"\nwho = "支部"\npost = "secretary"\nwhat = "提"\ndays = 3\n'
    )
    path = tmp_path / "powers.toml"
    for results, problem in [
        ("[]", 'results should list 1 to 10 texts, like ["通过", "未通过"]'),
        ('"通过"', 'results should list 1 to 10 texts, like ["通过", "未通过"]'),
        ('["通过", " "]', 'results should list 1 to 10 texts, like ["通过", "未通过"]'),
        (str([f"结果{n}" for n in range(11)]), 'results should list 1 to 10 texts, like ["通过", "未通过"]'),
        ('["通过", "通过"]', "results should not repeat a text"),
        (
            '["经村民代表会议表决同意并形成书面决议"]',
            "result '经村民代表会议表决同意并形成书面决议' is longer than 16 characters",
        ),
    ]:
        path.write_text(flow + f"results = {results}\n", encoding="utf-8")
        with pytest.raises(ConfigError) as caught:
            read_powers(path)
        assert str(caught.value) == f"{path}:22: item 1 (homestead) step 1: {problem}"
    path.write_text(flow + 'results = ["通过", "未通过"]\n', encoding="utf-8")
    (item,) = read_powers(path).items
    assert item.steps[0].results == ("通过", "未通过")


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"\[powers\] file .*nowhere.toml"):
        read_powers(tmp_path / "nowhere.toml")


async def test_the_check_command_prints_the_shape_or_the_mistakes(gridwhistle, tmp_path: Path) -> None:
    code, out, _ = await gridwhistle("powers", "check", str(DEMO_POWERS_FILE))
    assert code == 0
    assert out.splitlines()[:2] == [
        "龙江县村级小微权力清单（示例）: 20 items, 5 with flows (27 steps)",
        "NOTE: marked as an example ([list] example = true): adapt it to the county's own list before use",
    ]
    assert "      6. 实施结果公开 — 村务监督委员会, recorded by 村务监督委员会主任, 30 days, public" in out.splitlines()
    assert (
        "      3. 党员大会审议 — 党员大会, recorded by 村党组织副书记, 7 days, results: 通过/未通过" in out.splitlines()
    )
    path = tmp_path / "powers.toml"
    path.write_text(GOOD.replace('ask = ["找谁"]', "ask = []"), encoding="utf-8")
    code, out, err = await gridwhistle("powers", "check", str(path))
    assert (code, out) == (1, "")
    assert err.strip() == f'{path}:5: [match] ask should list question words, like ["找谁", "咋办", "要啥"]'
