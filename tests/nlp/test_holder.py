"""Hot reload: an edited table is swapped in off the event loop; a broken one keeps the old router."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.errors import ConfigError
from nlp.holder import RouterHolder

TABLE = """\
[departments.power]
name = "供电公司"

[[departments.power.terms]]
weight = 6.0
words = ["{word}"]

[departments.village]
name = "村两委"

[[departments.village.terms]]
weight = 5.0
words = ["邻居"]
"""


def write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


async def test_an_edited_table_is_swapped_in(tmp_path: Path, jieba_cache: Path) -> None:
    table = tmp_path / "routing.toml"
    write(table, TABLE.format(word="停电"))
    holder = RouterHolder.load(table, cache_dir=jieba_cache)
    before = holder.router
    assert holder.router.classify("停电了 咋整").primary == "power"
    assert "power" not in holder.router.classify("变压器坏了").scores  # not a power word yet

    assert await holder.maybe_reload() is False  # unchanged file: nothing to do

    write(table, TABLE.format(word="变压器"))  # a different size, so a new signature
    assert await holder.maybe_reload() is True
    assert holder.router is not before
    assert holder.router.tokenizer is not before.tokenizer  # a new jieba.Tokenizer each time
    assert holder.router.classify("变压器坏了").primary == "power"
    assert before.classify("停电了 咋整").primary == "power"  # the old one still works for whoever holds it


async def test_a_broken_table_keeps_the_old_router_and_says_where(tmp_path: Path, jieba_cache: Path) -> None:
    table = tmp_path / "routing.toml"
    write(table, TABLE.format(word="停电"))
    holder = RouterHolder.load(table, cache_dir=jieba_cache)
    current = holder.router

    write(table, TABLE.format(word="停电").replace("weight = 6.0", "weight = -6.0"))
    assert await holder.maybe_reload() is False
    assert holder.router is current
    assert holder.last_error is not None and ":5: departments.power.terms[0].weight" in holder.last_error
    assert await holder.maybe_reload() is False  # reported once, not rebuilt every tick

    write(table, TABLE.format(word="停电了吧"))
    assert await holder.maybe_reload() is True
    assert holder.last_error is None


def test_a_broken_table_at_start_up_is_a_config_error(tmp_path: Path, jieba_cache: Path) -> None:
    table = tmp_path / "routing.toml"
    write(table, "[departments.power\n")
    with pytest.raises(ConfigError, match=r"routing.toml:1: TOML syntax error"):
        RouterHolder.load(table, cache_dir=jieba_cache)


async def test_a_relearned_model_is_swapped_in(tmp_path: Path, jieba_cache: Path) -> None:
    import json

    from nlp.learned import URGENCY_KIND

    table = tmp_path / "routing.toml"
    write(table, TABLE.format(word="停电") + '\n[learned]\nurgency_model = "u.json"\n')
    model = {"kind": URGENCY_KIND, "ngram_sizes": [1, 3], "bias": -5.0, "weights": {"停电": 1.0}}
    write(tmp_path / "u.json", json.dumps(model))
    holder = RouterHolder.load(table, cache_dir=jieba_cache)
    assert holder.router.classify("停电了 咋整").urgency == "normal"
    assert await holder.maybe_reload() is False

    write(tmp_path / "u.json", json.dumps({**model, "bias": 0.0}))  # learned again: now p = 0.73
    assert await holder.maybe_reload() is True
    assert holder.router.classify("停电了 咋整").urgency == "urgent"


def write_folder(folder: Path, word: str) -> Path:
    """TABLE as a folder: one file per department."""
    power, village = TABLE.format(word=word).split("\n[departments.village]")
    folder.mkdir(exist_ok=True)
    write(folder / "power.toml", power)
    write(folder / "village.toml", "[departments.village]" + village)
    return folder


async def test_a_folder_reloads_when_a_file_in_it_is_edited_added_or_removed(tmp_path: Path, jieba_cache: Path) -> None:
    folder = write_folder(tmp_path / "routing", "停电")
    holder = RouterHolder.load(folder, cache_dir=jieba_cache)
    assert "power" not in holder.router.classify("变压器坏了").scores
    assert await holder.maybe_reload() is False

    write_folder(folder, "变压器")  # an edit of power.toml
    assert await holder.maybe_reload() is True
    assert holder.router.classify("变压器坏了").primary == "power"

    write(folder / "synonyms.toml", '[synonyms]\n"变压器" = ["变亚器"]\n')  # a file added
    assert await holder.maybe_reload() is True
    assert holder.router.classify("变亚器坏了").primary == "power"

    (folder / "synonyms.toml").unlink()  # … and removed again
    assert await holder.maybe_reload() is True
    assert "power" not in holder.router.classify("变亚器坏了").scores


async def test_a_broken_file_in_a_folder_is_named_and_the_old_router_kept(tmp_path: Path, jieba_cache: Path) -> None:
    folder = write_folder(tmp_path / "routing", "停电")
    holder = RouterHolder.load(folder, cache_dir=jieba_cache)
    current = holder.router

    write(folder / "village.toml", (folder / "village.toml").read_text(encoding="utf-8").replace("5.0", "-5.0"))
    assert await holder.maybe_reload() is False
    assert holder.router is current
    assert holder.last_error == (
        f"{folder / 'village.toml'}:5: departments.village.terms[0].weight: must be between 0 and 20, not -5.0"
    )
