"""The performance index file: the shipped example's shape, and mistakes named by file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.errors import ConfigError
from config.index_file import read_index
from config.paths import DEMO_INDEX_FILE


def test_the_demo_county_example_has_the_programmes_shape() -> None:
    index = read_index(DEMO_INDEX_FILE)
    assert index.shape() == "4 类 8 项 31 条, 满分 100"
    assert [c.name for c in index.categories] == ["党的建设", "经济发展", "基层治理", "安定稳定"]
    assert {c.post for c in index.criteria if c.post} == {
        "secretary",
        "director",
        "deputy_secretary",
        "supervision_chair",
        "militia_captain",
        "youth_league_secretary",
        "women_chair",
        "bookkeeper",
    }  # every star-rated post has criteria of its own
    assert index.stars(59.99) == 1 and index.stars(60) == 2 and index.stars(90) == 5
    assert index.subsidy("secretary", 3) == 36000 and index.subsidy("militia_captain", 1) == 18000 * 0.6


ONE = """year = 2026
[[category]]
code = "party"
name = "党建"
points = 9
[[category.item]]
code = "org"
name = "组织"
[[category.item.criterion]]
code = "p1"
name = "记录"
points = 2
scored_by = "township"
[[category.item.criterion]]
code = "p1"
name = "会议"
points = 2
scored_by = "township"
[[category.item.criterion]]
code = "p3"
name = "满意"
points = 3
scored_by = "both"
figure = "satisfaction_rate"
rule = [{ at_least = 0.9, points = 3 }]
[tell]
confirm_date = "02-30"
"""


def test_every_mistake_at_once_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "index.toml"
    path.write_text(ONE, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        read_index(path)
    lines = str(caught.value).splitlines()
    assert lines == [
        f"{path}:15: 'p1' already names criterion p1",
        f"{path}:25: the rule gives 3: it should be below points (3)",  # `both` leaves the township a share
        f"{path}:5: points = 9 but its criteria add up to 4",
        f'{path}:27: confirm_date should be "MM-DD", like "12-31"',
    ]


def test_person_points_enter_the_index_or_are_named_with_their_line(tmp_path: Path) -> None:
    assert read_index(DEMO_INDEX_FILE).person_points == 10
    good = ONE.replace('code = "p1"\nname = "会议"', 'code = "p2"\nname = "会议"').replace("points = 9\n", "")
    good = good.replace("rule = [{ at_least = 0.9, points = 3 }]", "rule = [{ at_least = 0.9, points = 2 }]")
    good = good.replace('confirm_date = "02-30"', 'confirm_date = "12-30"')
    path = tmp_path / "index.toml"
    path.write_text(good, encoding="utf-8")
    assert read_index(path).person_points == 0  # none written: no scores of persons
    path.write_text(good + "[stars]\nperson_points = 5\n", encoding="utf-8")
    assert read_index(path).person_points == 5
    path.write_text(good + '[stars]\nperson_points = "ten"\nperson_share = 0.2\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        read_index(path)
    lines = good.count("\n")
    assert str(caught.value).splitlines() == [
        f"{path}:{lines + 3}: unknown key 'person_share'; keys are post_share, thresholds, person_points",
        f"{path}:{lines + 2}: person_points should be a number from 0 (the most the township gives a person; 0: none)",
    ]
