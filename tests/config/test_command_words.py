"""The first words of a message pick its command (config/texts.py CommandWords) and the next its declared
subcommand (config/subcommands.py), as the dispatcher reads them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from config.errors import ConfigError
from config.subcommands import Subcommands
from config.texts import CommandWords

WORDS = CommandWords(
    {
        "吹哨": "whistle",
        "我的": "my",
        "我的诉求": "request_mine",
        "满意": "rate_satisfied",
        "基本满意": "rate_basic",
        "不满意": "rate_unsatisfied",
        "帮助": "help",
        "help": "help",
        "ok": "ack",
    }
)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("吹哨 #1042 交通局", ("whistle", "#1042 交通局")),
        ("吹哨#1042 交通局", ("whistle", "#1042 交通局")),  # a Chinese word needs no space after it
        ("吹哨", ("whistle", "")),
        ("吹哨   #1042  ", ("whistle", "#1042")),  # the rest is stripped
        ("我的诉求 最近的", ("request_mine", "最近的")),  # the longest word wins over 我的
        ("我的诉求", ("request_mine", "")),
        ("我的东西丢了", ("my", "东西丢了")),
        ("基本满意", ("rate_basic", "")),
        ("不满意 修得太慢", ("rate_unsatisfied", "修得太慢")),
        ("满意，谢谢", ("rate_satisfied", "，谢谢")),
        ("help me", ("help", "me")),  # an ASCII word needs a space after it …
        ("help\tme", ("help", "me")),
        ("help", ("help", "")),  # … or nothing
        ("helpme", None),
        ("Help", ("help", "")),  # ASCII words in any case
        ("OK then", ("ack", "then")),
        ("okay then", None),
        ("请吹哨 #1042", None),  # only at the start
        (" 吹哨 #1042", None),  # the dispatcher trims before matching
        ("村口路灯坏了", None),
        ("", None),
    ],
)
def test_command_words_match(text: str, found: tuple[str, str] | None) -> None:
    assert WORDS.match(text) == found


SUBS = Subcommands("tasks", {"登记": "register", "新增": "register", "新": "new", "列表": "list", "查看": "list"})


@pytest.mark.parametrize(
    ("args", "found"),
    [
        ("登记 修前屯路灯 三盏坏了", ("register", "修前屯路灯 三盏坏了")),
        ("新增 清理垃圾", ("register", "清理垃圾")),  # the longest word wins over 新
        ("新 后道老村 路坏了", ("new", "后道老村 路坏了")),
        ("列表", ("list", "")),
        ("查看   本周  ", ("list", "本周")),  # the rest is stripped
        ("登记修路", ("register", "修路")),  # no space needed after the word
        ("1 已联系供电所", None),
        ("要登记", None),  # only at the start
        ("", None),
    ],
)
def test_subcommands_split(args: str, found: tuple[str, str] | None) -> None:
    assert SUBS.split(args) == found


def test_subcommand_words_of_one_name() -> None:
    assert sorted(SUBS.words("register")) == ["新增", "登记"] and SUBS.words("cancel") == []


@pytest.mark.parametrize(
    ("load", "toml", "message"),
    [
        (
            CommandWords.load,
            '[commands]\nwhistle = ["吹哨"]\nurge = ["吹哨"]\n',
            "command word '吹哨' is used by both whistle and urge",
        ),
        (
            Subcommands.load_all,
            '[subcommands.tasks]\nregister = ["登记"]\nlist = ["登记"]\n',
            "[subcommands.tasks] word '登记' is used by register and list",
        ),
    ],
)
def test_a_word_given_to_two_names_stops_the_start(tmp_path: Path, load, toml: str, message: str) -> None:
    path = tmp_path / "commands.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load(path)
    assert str(caught.value) == f"{path}: {message}"
