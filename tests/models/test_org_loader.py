"""The org loader on a real database: the demo county loads, a second load changes nothing, an
edited file updates rows in place, and roles and care pairs follow the file."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.clock import ManualClock
from config.settings import DEMO_ORG_FILE
from models import Area, CarePair, Chat, Department, DutySlot, Household, PartyMember, Person, PostHolder, Role
from models.org import load_org

MODELS = (Area, Department, Household, Person, Role, CarePair, Chat, DutySlot, PostHolder, PartyMember)


async def row_counts() -> dict[str, int]:
    return {model.__name__: await model.all().count() for model in MODELS}


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    """A copy of the demo county the test may edit."""
    shutil.copytree(DEMO_ORG_FILE.parent, tmp_path / "demo")
    return tmp_path / "demo" / "county.toml"


async def test_the_demo_county_loads(db: str, clock: ManualClock) -> None:
    summary = await load_org([DEMO_ORG_FILE], clock.now())
    assert summary.updated == 0
    assert await row_counts() == {
        "Area": 28,
        "Department": 20,
        "Household": 40,
        "Person": 76,  # 71 in people.csv and county.toml, 5 serving Party members in members.csv
        "Role": 78,
        "CarePair": 20,
        "Chat": 16,
        "DutySlot": 83,  # the roster sheet: a week of three areas' shifts, one post left open
        "PostHolder": 11,
        "PartyMember": 5,
    }
    assert summary.created == sum((await row_counts()).values())

    grid = await Area.get(code="houdaolao-3").prefetch_related("parent__parent__parent__parent")
    assert [
        grid.name,
        grid.parent.name,
        grid.parent.parent.name,
        grid.parent.parent.parent.name,
        grid.parent.parent.parent.parent.name,
    ] == ["3网格", "三屯", "后道老村", "白山镇", "龙江县"]
    farm_grid = await Area.get(code="hongqi-1").prefetch_related("parent")
    assert (farm_grid.parent.code, farm_grid.parent.level) == ("hongqi", "village")

    jiangfeng = await Person.get(userid="jiangfeng")
    assert sorted(await Role.filter(person=jiangfeng).values_list("role", "scope")) == [
        ("grid_member", "houdaolao-4"),
        ("village_secretary", "houdaolao"),
    ]
    liaisons = await Role.filter(role="liaison").prefetch_related("department")
    assert {role.department.code for role in liaisons} >= {"transport", "discipline", "telecom"}

    pair = await CarePair.get(household__code="houdaolao-3-005").prefetch_related("cadre")
    assert (pair.cadre.userid, pair.since) == ("wangjun", clock.now())
    villager = await Person.get(userid="jiangdahai").prefetch_related("household")
    assert villager.household.code == "houdaolao-3-017"
    assert (await Household.get(code="houdaolao-2-021")).tags == ["独居老人", "低保"]
    village = await Department.get(code="village")
    assert village.name == "村两委"
    chat = await Chat.get(chatid="wrkSFfCgAAhoudaolao3").prefetch_related("area")
    assert (chat.channel, chat.area.code, chat.webhook_key != "") == ("aibot", "houdaolao-3", True)


async def test_loading_twice_changes_nothing(db: str, clock: ManualClock) -> None:
    await load_org([DEMO_ORG_FILE], clock.now())
    before = await row_counts()
    clock.advance(days=1)
    summary = await load_org([DEMO_ORG_FILE], clock.now())
    assert str(summary).splitlines()[0] == "0 created, 0 updated"
    assert summary["households"].unchanged == 40
    assert await row_counts() == before
    assert (await CarePair.get(household__code="houdaolao-3-005")).since < clock.now()  # not re-paired


async def test_an_edited_file_updates_in_place(db: str, clock: ManualClock, demo: Path) -> None:
    await load_org([demo], clock.now())
    before = await row_counts()
    wenhua_id = (await Area.get(code="wenhua")).id

    # Rename a village, move a household to another grid and re-pair it, change a grid member's role.
    demo.write_text(demo.read_text(encoding="utf-8").replace('name = "文化村"', 'name = "文化新村"'), encoding="utf-8")
    workbook = load_workbook(demo.parent / "households.xlsx")
    sheet = workbook.active
    for row in sheet.iter_rows(min_row=2):
        if row[0].value == "houdaolao-3-011":
            row[2].value, row[5].value = "houdaolao-4", "jiangfeng"
        if row[0].value == "wenhua-2-040":
            row[4].value, row[5].value = "", ""  # no longer 五保: the pairing ends
    workbook.save(demo.parent / "households.xlsx")
    people = demo.parent / "people.csv"
    rows = list(csv.reader(people.read_text(encoding="utf-8").splitlines()))
    for row in rows:
        if row[:2] == ["刘长山", "liuchangshan"]:
            row[3:5] = ["村干部", "qianjin"]
    with people.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)

    clock.advance(days=30)
    summary = await load_org([demo], clock.now())

    village = await Area.get(code="wenhua")
    assert (village.id, village.name) == (wenhua_id, "文化新村")
    moved = await Household.get(code="houdaolao-3-011").prefetch_related("grid", "care_pair__cadre")
    assert (moved.grid.code, moved.care_pair.cadre.userid, moved.care_pair.since) == (
        "houdaolao-4",
        "jiangfeng",
        clock.now(),
    )
    assert not await CarePair.exists(household__code="wenhua-2-040")
    assert await Role.filter(person__userid="liuchangshan").values_list("role", "scope") == [
        ("village_cadre", "qianjin")
    ]

    after = await row_counts()
    assert after == {**before, "CarePair": before["CarePair"] - 1}
    assert (summary["areas"].updated, summary["households"].updated) == (1, 2)
    assert (summary["roles"].created, summary["roles"].removed) == (1, 1)
    assert (summary["care_pairs"].updated, summary["care_pairs"].removed) == (1, 1)
    assert summary.created == 1
