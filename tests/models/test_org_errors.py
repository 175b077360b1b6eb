"""A bad org file: every mistake names the file, the line or sheet/row/column, and the key, all of
them come in one error, and nothing of that load is written."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.clock import ManualClock
from config.errors import ConfigError
from config.settings import DEMO_ORG_FILE
from models import Area, CarePair, Chat, Department, Household, Person, Role
from models.org import OrgFileError, load_org, read_org

MODELS = (Area, Department, Household, Person, Role, CarePair, Chat)


async def row_counts() -> dict[str, int]:
    return {model.__name__: await model.all().count() for model in MODELS}


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    shutil.copytree(DEMO_ORG_FILE.parent, tmp_path / "demo")
    return tmp_path / "demo" / "county.toml"


def line_number(path: Path, marker: str) -> int:
    return next(n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if marker in line)


async def test_a_bad_csv_row_writes_nothing_of_that_load(db: str, clock: ManualClock, demo: Path) -> None:
    await load_org([demo], clock.now())
    before = await row_counts()
    # A good edit and a bad row in one load: the good edit must not land either.
    demo.write_text(demo.read_text(encoding="utf-8").replace('name = "文化村"', 'name = "文化新村"'), encoding="utf-8")
    people = demo.parent / "people.csv"
    people.write_text(
        people.read_text(encoding="utf-8") + "赵六,zhaoliu,1380000,网格员,houdaolao-9,\n", encoding="utf-8"
    )
    row = len(people.read_text(encoding="utf-8").splitlines())

    with pytest.raises(OrgFileError) as caught:
        await load_org([demo], clock.now())

    assert caught.value.problems == [
        f"{people} row {row} column 手机: mobile: '1380000' is not a mobile number: 11 digits starting with 1, "
        "e.g. 13800000001",
        f"{people} row {row} column 区域: area: unknown area code 'houdaolao-9' for grid_member",
    ]
    assert str(caught.value).startswith("org file not loaded, nothing written: 2 errors")
    assert await row_counts() == before
    assert (await Area.get(code="wenhua")).name == "文化村"


async def test_a_bad_xlsx_row_names_sheet_row_and_column(db: str, clock: ManualClock, demo: Path) -> None:
    roster = demo.parent / "households.xlsx"
    workbook = load_workbook(roster)
    sheet = workbook.active
    sheet.append(())  # a blank row is skipped but still counted, as the admin sees the sheet
    sheet.append(("houdaolao-3-099", "钱多多", "houdaolao-santun", "三屯99号", "低保", "nobody"))
    row = sheet.max_row
    workbook.save(roster)

    with pytest.raises(ConfigError) as caught:
        await load_org([demo], clock.now())

    assert caught.value.problems == [  # type: ignore[attr-defined]
        f"{roster} sheet 户籍 row {row} column 网格: grid: 'houdaolao-santun' is a hamlet, not a grid",
        f"{roster} sheet 户籍 row {row} column 包保干部: care_cadre: 'nobody' is not a person (userid) in this load",
    ]
    assert set((await row_counts()).values()) == {0}


async def test_an_unknown_toml_key_names_its_line(db: str, clock: ManualClock, demo: Path) -> None:
    text = demo.read_text(encoding="utf-8")
    demo.write_text(text.replace('name = "张伟"\n', 'name = "张伟"\nphone = "13800000003"\n'), encoding="utf-8")
    with pytest.raises(OrgFileError) as caught:
        await load_org([demo], clock.now())
    assert caught.value.problems == [
        f"{demo}:{line_number(demo, 'phone =')}: phone: unknown key; allowed here: userid, name, mobile, household, "
        "roles, posts"
    ]
    assert set((await row_counts()).values()) == {0}


BAD = """\
[county]
code = "longjiang"
name = "龙江县"
motto = "x"                       # unknown key

[[townships]]
code = "baishan"
name = "白山镇"

[[villages]]
code = "houdaolao"
name = "后道老村"
township = "nowhere"              # unknown township

[[hamlets]]
code = "santun"
name = "三屯"
village = "houdaolao"

[[grids]]
code = "g1"
name = "1网格"
hamlet = "qiantun"                # no such hamlet

[[grids]]
code = "g2"
name = "2网格"
hamlet = "santun"
village = "houdaolao"             # both

[[departments]]
code = "roads"                    # not a department code
name = "道路局"

[[people]]
userid = "wangjun"
name = "王军"
mobile = "12345"                  # bad mobile
roles = [{ role = "grid_boss", area = "g1" }]

[[people]]
userid = "wangjun"                # duplicate
name = "王军二"
roles = [{ role = "liaison", department = "nothing" }]

[[people]]
userid = "lihua"
name = "李华"
roles = [{ role = "village_secretary", area = "g1" }]

[[households]]
code = "h1"
head = "姜大海"
grid = "santun"                   # a hamlet
care_cadre = "ghost"              # nobody

[[chats]]
chatid = "wrk1"
channel = "wechat"                # unknown channel
area = "g1"

[extras]
x = 1
"""


def test_every_mistake_is_listed_with_its_line(tmp_path: Path) -> None:
    org = tmp_path / "county.toml"
    org.write_text(BAD, encoding="utf-8")

    with pytest.raises(OrgFileError) as caught:
        read_org([org])

    def at(marker: str) -> str:
        return f"{org}:{line_number(org, marker)}: "

    expected = [
        at("motto") + "motto: unknown key; allowed here: code, name, village_tier",
        at('channel = "wechat"') + "channel: unknown channel 'wechat'; use one of aibot, appchat, kf",
        at("[extras]") + "unknown section [extras]; allowed: county, townships, villages, hamlets, grids, "
        "departments, people, households, chats, rosters",
        f"{org}:{line_number(org, 'g2') - 1}: a grid names exactly one of `hamlet` or `village`",
        at('mobile = "12345"') + "mobile: '12345' is not a mobile number: 11 digits starting with 1, e.g. 13800000001",
        at("grid_boss") + "role: unknown role 'grid_boss'; roles are villager, grid_member, village_secretary, "
        "first_secretary, village_cadre, township_committee, liaison, county_admin, admin (or a name in "
        "role_names.toml)",
        at("# duplicate") + "userid: duplicate userid 'wangjun' (first at " + at('userid = "wangjun"')[:-2] + ")",
        at("# unknown township") + "township: unknown area code 'nowhere'",
        at("# no such hamlet") + "hamlet: unknown area code 'qiantun'",
        at("# not a department code") + "code: unknown department 'roads'; codes are transport, water, agriculture, "
        "civil_affairs, health, housing, power, public_security, justice, human_resources, natural_resources, "
        "ecology, education, market, finance, development_reform, emergency, telecom, discipline, village",
        at('department = "nothing"') + "roles: unknown department 'nothing' for liaison",
        at('role = "village_secretary"') + "roles: village_secretary is held at a village; 'g1' is a grid",
        at("# a hamlet") + "grid: 'santun' is a hamlet, not a grid",
        at("# nobody") + "care_cadre: 'ghost' is not a person (userid) in this load",
    ]
    assert sorted(caught.value.problems) == sorted(expected)


def test_roster_files_and_columns_are_checked(tmp_path: Path) -> None:
    org = tmp_path / "county.toml"
    org.write_text(
        '[county]\ncode = "c"\nname = "县"\n\n[rosters]\npeople = ["missing.csv", "people.csv"]\n'
        'households = "h.txt"\n',
        encoding="utf-8",
    )
    (tmp_path / "people.csv").write_text("姓名,企业微信账号,电话\n张三,zhangsan,13800000099\n", encoding="utf-8")

    with pytest.raises(OrgFileError) as caught:
        read_org([org])

    problems = caught.value.problems
    assert problems[0].startswith(f"{tmp_path / 'missing.csv'}: cannot read the roster: ")
    assert problems[1].startswith(f"{tmp_path / 'people.csv'} row 1: unknown column '电话'; columns are 姓名/name, ")
    assert problems[2] == f"{tmp_path / 'h.txt'}: a roster must be a .csv or .xlsx file"
    assert len(problems) == 3


def test_english_headers_several_roles_and_gbk_csv(tmp_path: Path) -> None:
    org = tmp_path / "county.toml"
    org.write_text(
        '[county]\ncode = "c"\nname = "县"\n[[townships]]\ncode = "t"\nname = "镇"\n'
        '[[villages]]\ncode = "v"\nname = "村"\ntownship = "t"\n[[grids]]\ncode = "v-1"\nname = "1网格"\nvillage = "v"\n'
        '[[departments]]\ncode = "water"\nname = "水务局"\n'
        '[rosters]\npeople = ["p.csv"]\n',
        encoding="utf-8",
    )
    (tmp_path / "p.csv").write_bytes(
        "name,userid,mobile,role,area\n\n"
        '张三,zhangsan,138 0000 0098,"village_secretary, grid_member","v, v-1"\n'
        "李四,lisi,,联络员,water\n".encode("gb18030")
    )

    spec = read_org([org])

    roles = {p.userid: [(r.role, r.scope) for r in p.roles] for p in spec.people}
    assert roles == {"zhangsan": [("village_secretary", "v"), ("grid_member", "v-1")], "lisi": [("liaison", "water")]}
    assert [p.mobile for p in spec.people] == ["13800000098", ""]


def test_a_value_longer_than_its_column_is_reported_not_truncated(tmp_path: Path) -> None:
    org = tmp_path / "county.toml"
    org.write_text('[county]\ncode = "c"\nname = "' + "长" * 70 + '"\n', encoding="utf-8")
    with pytest.raises(OrgFileError) as caught:
        read_org([org])
    assert caught.value.problems == [f"{org}:3: name: too long: 70 characters, at most 64"]
