"""Village posts (职务): read from the roster's 职务 column or a person's `posts`, held in the village of
their role there, reconciled on every load, and a wrong post named by file, row and column."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.clock import ManualClock
from config.errors import ConfigError
from config.settings import DEMO_ORG_FILE
from config.village_posts import read_village_posts, village_post_problems
from models import Area, Person
from models.org import OrgFileError, load_org
from models.posts import PostHolder, holders, post_names


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    shutil.copytree(DEMO_ORG_FILE.parent, tmp_path / "demo")
    return tmp_path / "demo" / "county.toml"


def test_the_list_has_the_programmes_shape() -> None:
    posts = read_village_posts()
    assert len(posts.posts) == 13 and len(posts.held) == 8 and len(posts.star_rated) == 8
    assert posts.find("村书记") is posts.find("secretary") is posts.get("secretary")
    assert posts.find("村委会").kind == "organisation"  # type: ignore[union-attr]
    assert posts.find("村支书") is None


def test_a_bad_list_names_the_entry_and_the_key(tmp_path: Path) -> None:
    table = {
        "post": [
            {"code": "secretary", "name": "书记", "kind": "post", "star_rated": True},
            {"code": "Bad-Code", "name": "书记", "kind": "organisation", "star_rated": True, "colour": "red"},
        ]
    }
    assert village_post_problems(table, "posts.toml") == [
        "posts.toml: post 2 (Bad-Code): unknown key 'colour'; keys are code, name, names, kind, star_rated, duties",
        "posts.toml: post 2 (Bad-Code): code should be lower-case letters, digits and _ (like militia_captain)",
        'posts.toml: post 2 (Bad-Code): only a post (kind = "post") is rated in stars',
        "posts.toml: post 2 (Bad-Code): '书记' already names secretary",
    ]
    bad = tmp_path / "posts.toml"
    bad.write_text('[[post]]\ncode = "x"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="post 1 \\(x\\): name is missing"):
        read_village_posts(bad)


async def test_the_demo_county_holds_its_posts(db: str, clock: ManualClock) -> None:
    await load_org([DEMO_ORG_FILE], clock.now())
    houdaolao = await Area.get(code="houdaolao")

    assert [p.userid for p in await holders(houdaolao.id, "secretary")] == ["jiangfeng"]
    assert [p.userid for p in await holders(houdaolao.id, "director")] == ["jiangfeng"]  # 一肩挑
    assert [p.userid for p in await holders(houdaolao.id, "deputy_secretary")] == ["zhaoshuqin"]
    # held in the village of her role there, though her 区域 also names a grid
    zhang = await Person.get(userid="zhanghongmei")
    assert await PostHolder.filter(person_id=zhang.id).values_list("village__code", "post") == [
        ("wenhua", "women_chair")
    ]
    jiang = await Person.get(userid="jiangfeng")
    assert (await post_names([jiang.id]))[jiang.id] == ["村党组织书记", "村委会主任"]


async def test_a_load_makes_posts_match_the_file(db: str, clock: ManualClock, demo: Path) -> None:
    await load_org([demo], clock.now())
    people = demo.parent / "people.csv"
    text = people.read_text(encoding="utf-8")
    text = text.replace("houdaolao、houdaolao-4,,书记、村委会主任", "houdaolao、houdaolao-4,,书记")
    text = text.replace(
        "赵淑琴,zhaoshuqin,13800000036,村干部,houdaolao,,副书记",
        "赵淑琴,zhaoshuqin,13800000036,村干部,houdaolao,,民兵连长",
    )
    people.write_text(text, encoding="utf-8")

    summary = await load_org([demo], clock.now())

    posts = summary["posts"]
    assert (posts.created, posts.removed, posts.unchanged) == (1, 2, 9)
    houdaolao = await Area.get(code="houdaolao")
    assert await holders(houdaolao.id, "director") == []
    assert await holders(houdaolao.id, "deputy_secretary") == []
    assert [p.userid for p in await holders(houdaolao.id, "militia_captain")] == ["zhaoshuqin"]


async def test_a_wrong_post_is_named_and_nothing_is_written(db: str, clock: ManualClock, demo: Path) -> None:
    people = demo.parent / "people.csv"
    people.write_text(
        people.read_text(encoding="utf-8")
        + "赵六,zhaoliu,13800000099,网格员,houdaolao-1,,村支书\n"
        + "钱七,qianqi,13800000098,乡镇党委委员,baishan,,民兵连长\n",
        encoding="utf-8",
    )
    rows = len(people.read_text(encoding="utf-8").splitlines())

    with pytest.raises(OrgFileError) as caught:
        await load_org([demo], clock.now())

    problems = caught.value.problems
    assert problems[0].startswith(
        f"{people} row {rows - 1} column 职务: post: unknown post '村支书'; posts are 村党组织书记、"
    )
    assert problems[1] == (
        f"{people} row {rows} column 职务: post: 民兵连长 is a village post: give the person a role in a village"
    )
    assert await PostHolder.all().count() == 0
