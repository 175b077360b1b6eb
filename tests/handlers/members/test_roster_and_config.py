"""The members' data: the org file's members roster (mistakes named by file, row and column, nothing written),
the skills table, the policy's grade formula, and year-end grades from a sheet (all or nothing)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from openpyxl import Workbook

from bot.clock import ManualClock
from config.errors import ConfigError
from config.policy import POLICY_FILE, Policy, load_policy
from config.settings import DEMO_ORG_FILE
from config.skills import read_skills
from models import MemberGrade, PartyMember, Role
from models.org import OrgFileError, load_org


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    shutil.copytree(DEMO_ORG_FILE.parent, tmp_path / "demo")
    return tmp_path / "demo" / "county.toml"


async def test_a_bad_members_row_is_named_and_nothing_is_written(db: str, clock: ManualClock, demo: Path) -> None:
    roster = demo.parent / "members.csv"
    roster.write_text(
        roster.read_text(encoding="utf-8")
        + "赵六,zhaoliu,13800000299,water,,houdaolao,电工\n"
        + "钱七,qianqi,13800000298,houdaolao,nobody,houdaolao-2,\n",
        encoding="utf-8",
    )
    people = demo.parent / "people.csv"
    people.write_text(people.read_text(encoding="utf-8") + "孙八,sunba,,在职党员,houdaolao-2,\n", encoding="utf-8")
    row = len(people.read_text(encoding="utf-8").splitlines())  # the line just added
    with pytest.raises(OrgFileError) as caught:
        await load_org([demo], clock.now())
    assert caught.value.problems == [
        f"{people} row {row} column 角色: role: serving Party members are listed in [rosters] members",
        f"{roster} row 7 column 网格: grid: 'houdaolao' is a village, not a grid",
        f"{roster} row 8 column 单位: unit: 'houdaolao' is neither a department's nor a township's code",
        f"{roster} row 8 column 单位书记: unit_secretary: 'nobody' is not a person (userid) in this load",
    ]
    assert await PartyMember.all().count() == 0


async def test_the_demo_members_load_once_and_a_second_load_changes_nothing(db: str, clock: ManualClock) -> None:
    first = await load_org([DEMO_ORG_FILE], clock.now())
    assert first["party_members"].created == 5
    second = await load_org([DEMO_ORG_FILE], clock.now())
    assert (second.created, second.updated) == (0, 0)
    zhou = await PartyMember.get(person__userid="zhoudianming").prefetch_related("grid", "unit_secretary")
    assert (zhou.unit, zhou.unit_name, zhou.grid.code, zhou.skills) == (
        "transport",
        "交通运输局",
        "houdaolao-3",
        ["电工"],
    )
    assert zhou.unit_secretary.userid == "gaojianguo"
    assert await Role.filter(role="party_member").count() == 5


def test_the_skills_table_names_its_mistakes(tmp_path: Path) -> None:
    table = read_skills()
    assert table.needed(["power"], "") == ["电工"] and table.needed(["village"], "孩子转学咋办") == ["教师"]
    assert table.needed(["transport"], "桥塌了") == []
    bad = tmp_path / "skills.toml"
    bad.write_text('[skills."电工"]\ndepartments = ["powr"]\nwords = ["电线"]\n[skills."医生"]\nwordz = []\n', "utf-8")
    with pytest.raises(ConfigError) as caught:
        read_skills(bad)
    assert str(caught.value).splitlines() == [
        f"{bad}: [skills.电工] departments: unknown department code powr",
        f"{bad}: [skills.医生]: allowed keys are departments, words",
    ]


def test_the_grade_formula_is_policy(tmp_path: Path) -> None:
    policy = load_policy()
    assert policy.members.combined("优秀", "称职") == (87.5, "称职")
    assert policy.members.combined("优秀", "优秀") == (95.0, "优秀")
    assert policy.members.combined("基本称职", "不称职") == (52.5, "不称职")
    own = tmp_path / "policy.toml"
    shipped = POLICY_FILE.read_text(encoding="utf-8")
    own.write_text(shipped.replace("unit_weight = 0.5", "unit_weight = 0.7"), encoding="utf-8")
    with pytest.raises(ConfigError, match="unit_weight and village_weight must add up to 1"):
        load_policy(own)
    weights = shipped.replace("unit_weight = 0.5", "unit_weight = 0.7").replace(
        "village_weight = 0.5", "village_weight = 0.3"
    )
    own.write_text(weights, encoding="utf-8")
    assert isinstance(load_policy(own), Policy) and load_policy(own).members.combined("优秀", "不称职")[0] == 78.5


async def test_grades_from_a_sheet_all_or_nothing(county, gridwhistle, config_file: Path, tmp_path: Path) -> None:
    sheet = tmp_path / "grades.xlsx"

    def write(rows: list[list[str]]) -> None:
        book = Workbook()
        book.active.append(["账号", "单位考评", "村考评"])
        for row in rows:
            book.active.append(row)
        book.save(sheet)

    write([["zhoudianming", "优秀", "称职"], ["hezheng", "良好", ""], ["jiangdahai", "优秀", ""]])
    code, out, err = await gridwhistle("members", "grades", str(sheet), "--year", "2026", "--config", str(config_file))
    assert code == 1 and "nothing written: 1 errors" in err
    assert f"{sheet} sheet Sheet row 3 column 单位考评: '良好' is not one of 优秀、称职、基本称职、不称职" in err
    write([["zhoudianming", "优秀", "称职"], ["jiangdahai", "优秀", ""]])
    code, out, err = await gridwhistle("members", "grades", str(sheet), "--year", "2026", "--config", str(config_file))
    assert code == 1 and "'jiangdahai' is not a registered serving Party member" in err
    assert await MemberGrade.all().count() == 0
    write([["zhoudianming", "优秀", "称职"], ["hezheng", "", "优秀"]])
    code, out, err = await gridwhistle("members", "grades", str(sheet), "--year", "2026", "--config", str(config_file))
    assert (code, out) == (0, "3 grades written for 2026\n"), err
    code, out, err = await gridwhistle("members", "grades", str(sheet), "--year", "2026", "--config", str(config_file))
    assert await MemberGrade.all().count() == 3  # a second upload replaces, never doubles
    code, out, err = await gridwhistle("report", "members", "--year", "2026", "--config", str(config_file))
    zhou = next(line for line in out.splitlines() if "周电明" in line).split()
    assert zhou[-4:] == ["优秀", "称职", "87.5", "称职"]
