"""The tokenizer's packed dictionary (nlp/tokenizer.py): built once per word list, read lazily after, and
cutting exactly as jieba does; and `classify` starting without the service's libraries."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from nlp.tokenizer import JIEBA_BLOCK, ShardedTokenizer, build_tokenizer, jieba

ROOT = Path(__file__).resolve().parents[2]
TEXTS = [
    "三屯的路灯不亮好几天了 电话也打不通",
    "水泥路上压出俩大坑4g信号也没有",
    "俺家老爷子八十多了自己在家住今天打电话没人接外边零下三十来度",
    "ab12村里的变压器嗡嗡响 120来了",
]


def cut_bounds(tokenizer: object, text: str) -> list[int]:
    bounds = [0]
    for word in tokenizer.cut(text, HMM=False):  # type: ignore[attr-defined]
        bounds.append(bounds[-1] + len(word))
    return bounds


def test_the_packed_dictionary_cuts_as_jieba_with_the_same_words(tmp_path: Path) -> None:
    words = {"路灯", "灯不亮", "没人接", "三屯"}
    packed = build_tokenizer(words, tmp_path)
    assert isinstance(packed, ShardedTokenizer)
    plain = jieba.Tokenizer()
    plain.tmp_dir = str(tmp_path)
    plain.initialize()
    for word in sorted(words):
        plain.add_word(word, max(plain.suggest_freq(word, tune=False), 500))
    for text in TEXTS:
        for block in JIEBA_BLOCK.findall(text):
            assert packed.bounds(block) == cut_bounds(plain, block)
        assert list(packed.cut(text, HMM=False)) == list(plain.cut(text, HMM=False))


def test_the_packed_file_is_reused_for_the_same_words_and_another_is_built_for_others(tmp_path: Path) -> None:
    build_tokenizer({"路灯"}, tmp_path)
    first = sorted(tmp_path.glob("gridwhistle-dict-*.marshal"))
    assert len(first) == 1
    stamp = first[0].stat().st_mtime_ns
    again = build_tokenizer({"路灯"}, tmp_path)
    assert sorted(tmp_path.glob("gridwhistle-dict-*.marshal")) == first and first[0].stat().st_mtime_ns == stamp
    assert cut_bounds(again, "三屯的路灯不亮") == cut_bounds(build_tokenizer({"路灯"}, tmp_path), "三屯的路灯不亮")
    build_tokenizer({"路灯", "灯不亮"}, tmp_path)  # an edited table: its own file
    assert len(list(tmp_path.glob("gridwhistle-dict-*.marshal"))) == 2


def test_a_broken_packed_file_is_built_again(tmp_path: Path) -> None:
    build_tokenizer({"路灯"}, tmp_path)
    (packed,) = tmp_path.glob("gridwhistle-dict-*.marshal")
    packed.write_bytes(b"not marshal")
    tokenizer = build_tokenizer({"路灯"}, tmp_path)
    fresh = build_tokenizer({"路灯"}, tmp_path / "fresh")
    assert list(tokenizer.cut(TEXTS[0], HMM=False)) == list(fresh.cut(TEXTS[0], HMM=False))
    assert packed.read_bytes() != b"not marshal"


def test_classify_imports_no_database_http_or_wecom_library(tmp_path: Path) -> None:
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path), "PYTHONPATH": str(ROOT)}
    env.pop("GRIDWHISTLE_ROUTING__TABLE", None)
    probe = (
        "import sys; from bot.cli import main; code = main(['classify']); "
        "print(sorted(m for m in ('aiohttp', 'tortoise', 'wechatpy', 'openpyxl', 'sklearn') if m in sys.modules), "
        "file=sys.stderr); sys.exit(code)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        input='{"id": 1, "text": "停水了"}\n'.encode(),
        capture_output=True,
        cwd=ROOT,
        env=env,
        check=True,
    )
    assert json.loads(done.stdout)["primary"] == "water"
    assert done.stderr.decode().strip().splitlines()[-1] == "[]"
