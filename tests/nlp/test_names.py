"""County names for the tokenizer come from the org file, tolerantly."""

from __future__ import annotations

from pathlib import Path

from nlp.names import county_names
from nlp.router import Router

ORG = """\
[county]
code = "longjiang"
name = "龙江县"

[[townships]]
code = "baishan"
name = "白山镇"

[[villages]]
code = "houdaolao"
name = "后道老村"
township = "baishan"

[[hamlets]]
code = "houdaolao-santun"
name = "三屯"
village = "houdaolao"

[[grids]]
code = "houdaolao-3"
name = "3网格"
hamlet = "houdaolao-santun"
"""


def test_names_of_every_area_level(tmp_path: Path) -> None:
    org = tmp_path / "county.toml"
    org.write_text(ORG, encoding="utf-8")
    names = county_names(org)
    assert {"龙江县", "白山镇", "白山", "后道老村", "后道老", "三屯", "3网格"} <= set(names)


def test_a_missing_or_broken_org_file_gives_no_names(tmp_path: Path) -> None:
    assert county_names(tmp_path / "missing.toml") == ()
    broken = tmp_path / "broken.toml"
    broken.write_text("[[villages]\nname = ", encoding="utf-8")
    assert county_names(broken) == ()
    assert county_names(None) == ()


def test_the_tokenizer_keeps_county_names_whole(tmp_path: Path, jieba_cache: Path) -> None:
    org = tmp_path / "county.toml"
    org.write_text(ORG, encoding="utf-8")
    table = Path(__file__).resolve().parents[2] / "config" / "routing"
    router = Router.from_file(table, county_names(org), jieba_cache)
    tokens = router.tokenize("后道老村三屯3网格路灯不亮")
    assert tokens[:4] == ["后道老村", "三屯", "3网格", "路灯"]
