"""Departments by the names people use (config/department_names.toml), end to end: the real service on the
demo county, WeCom played by the sandbox, in a county whose org file gives only full names.

Liaisons (config/demo/county.toml): transport liutao + mabin, water hanxue, agriculture fengjun + caolin,
finance fuyu, development_reform shenkai, health (卫生健康局) see the org file.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.sandbox.harness import DrivenService
from config.department_names import DEPARTMENT_NAMES_FILE, department_name_problems, read_department_names
from config.departments import DEPARTMENT_CODES
from config.errors import ConfigError
from handlers.tickets.departments import DepartmentNames
from models import Assignment, Department, Request, Ticket

FLOOD = "三屯那个桥塌了一半，车过不去，河水漫进猪圈了"  # transport, urgent: whistled at once
BRIDGE = "三屯那个桥塌了一半，车过不去"  # transport, normal: waits for the township
LIAISONS = {"water": ["hanxue"], "agriculture": ["fengjun", "caolin"], "finance": ["fuyu"]}


@pytest.fixture
async def full_names_only(driven_service: DrivenService) -> DrivenService:
    """The demo county as if its org file listed no short names (交通运输局, 发展和改革局 …)."""
    await Department.all().update(short_names=[])
    return driven_service


async def codes_on(ticket: Ticket) -> list[str]:
    parts = await Assignment.filter(ticket=ticket).order_by("id").prefetch_related("department")
    return [a.department.code for a in parts if a.state not in ("withdrawn",)]


def cards_to(sandbox: DrivenService, userids: list[str]) -> list[dict]:
    return [
        b["template_card"]
        for b in sandbox.fake.bodies("message/send")
        if b["touser"].split("|") == userids and b["msgtype"] == "template_card"
    ]


async def test_a_second_whistle_adds_the_known_names_and_asks_about_the_others(full_names_only):
    sandbox = full_names_only
    await sandbox.wecom.app_text("jiangdahai", FLOOD)
    await sandbox.settle()
    request = await Request.get()
    ticket = await Ticket.get()
    assert await codes_on(ticket) == ["transport"]
    # 交通局 and 农业局 are common names, 水务局 and 财政局 full ones; 发该局 a typo; 气象局 no department here
    await sandbox.wecom.app_text(
        "zhangwei", f"吹哨 #{request.number} 交通局 水务局 农业局 财政局 发该局 气象局 现场联办"
    )
    await sandbox.settle()
    assert await codes_on(ticket) == ["transport", "water", "agriculture", "finance"]
    (answer,) = [t for t in sandbox.texts_to("zhangwei") if "已增派" in t]
    assert "水务局、农业农村局、财政局" in answer
    assert "已经吹过哨" not in "".join(sandbox.texts_to("zhangwei"))
    assert "「发该局」（您是想说「发改局」吗？）" in answer
    assert "「气象局」（您是想说「" in answer and f"吹哨 #{request.number} 发改局" in answer
    for users in LIAISONS.values():
        assert len(cards_to(sandbox, users)) == 1, users
    assert (await Ticket.get(id=ticket.id)).note == ""
    # the answer to the question adds it; the note of the first command went with the addition
    await sandbox.wecom.app_text("zhangwei", f"吹哨 #{request.number} 发改局")
    await sandbox.settle()
    assert await codes_on(ticket) == ["transport", "water", "agriculture", "finance", "development_reform"]
    assert len(cards_to(sandbox, ["shenkai"])) == 1
    # naming only departments already on the ticket says so
    await sandbox.wecom.app_text("zhangwei", f"吹哨 #{request.number} 交通局")
    await sandbox.settle()
    assert "交通运输局已在哨单" in sandbox.texts_to("zhangwei")[-1]


async def test_a_first_whistle_goes_to_the_known_names_and_asks_about_the_others(full_names_only):
    sandbox = full_names_only
    await sandbox.wecom.app_text("jiangdahai", BRIDGE)
    await sandbox.settle()
    request = await Request.get()
    await sandbox.wecom.app_text("zhangwei", f"吹哨 #{request.number} 交通局 电业局 卫健委 财正局 尽快")
    await sandbox.settle()
    ticket = await Ticket.get()
    assert await codes_on(ticket) == ["transport", "power", "health"] and ticket.note == "尽快"
    answer = "\n".join(sandbox.texts_to("zhangwei"))
    assert "已吹哨" in answer and "「财正局」（您是想说「财政局」吗？）" in answer
    assert cards_to(sandbox, ["fuyu"]) == []


async def test_only_unknown_names_whistle_nothing_and_ask(full_names_only):
    sandbox = full_names_only
    await sandbox.wecom.app_text("jiangdahai", BRIDGE)
    await sandbox.settle()
    request = await Request.get()
    await sandbox.wecom.app_text("zhangwei", f"吹哨 #{request.number} 交通厅")
    await sandbox.settle()
    assert await Ticket.all().count() == 0
    assert "「交通厅」（您是想说「交通局」吗？）" in sandbox.texts_to("zhangwei")[-1]


async def test_a_new_matter_names_its_departments_by_common_names(full_names_only):
    sandbox = full_names_only
    await sandbox.wecom.app_text("zhangwei", "吹哨 新 后道老村 三屯小桥被水冲垮 交通局 水利局 发该局")
    await sandbox.settle()
    ticket = await Ticket.get()
    assert await codes_on(ticket) == ["transport", "water"]
    assert (await Request.get()).text == "三屯小桥被水冲垮"
    assert "「发该局」（您是想说「发改局」吗？）" in sandbox.texts_to("zhangwei")[-1]


async def test_the_org_files_own_names_win(county):
    """A short name the county gives another department is that department's (here 交通 → water)."""
    await Department.filter(code="water").update(short_names=["交通"])
    await Department.filter(code="transport").update(short_names=[])
    names = await DepartmentNames.load()
    assert names.get("交通").code == "water" and names.get("交通局").code == "transport"
    named = names.read("交通局 林业站 请到现场 财政局")
    assert [d.code for d in named.departments] == ["transport"]
    assert [u.word for u in named.unknown] == ["林业站"] and named.rest == "请到现场 财政局"


def test_the_shipped_names_cover_every_county_department_once() -> None:
    names = read_department_names()
    assert set(names) == set(DEPARTMENT_CODES) - {"village"}
    assert department_name_problems({code: list(v) for code, v in names.items()}, "x") == []
    for code, common in {"transport": "交通局", "development_reform": "发改局", "housing": "住建局"}.items():
        assert common in names[code]
    assert {"农业局"} <= set(names["agriculture"]) and "卫健局" in names["health"] and "电业局" in names["power"]
    assert DEPARTMENT_NAMES_FILE.name == "department_names.toml"


def test_a_bad_names_file_names_each_mistake(tmp_path: Path) -> None:
    bad = tmp_path / "names.toml"
    bad.write_text('roads = ["路政"]\nwater = "水务局"\nfinance = ["财政局"]\nhealth = ["财政局"]\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        read_department_names(bad)
    lines = str(caught.value).splitlines()
    assert lines[0].startswith(f"{bad}: roads: unknown department code")
    assert lines[1] == f'{bad}: water: should be a list of names in quotes, like ["交通局", "交通"]'
    assert lines[2] == f"{bad}: health: '财政局' is already a name of finance"


async def test_the_command_of_a_county_with_full_names_only(full_names_only):
    """`吹哨 #1001 交通局 水务局 农业农村局 财政局 发改局 现场联办` on a request already out to transport."""
    sandbox = full_names_only
    await sandbox.wecom.app_text("jiangdahai", FLOOD)
    await sandbox.settle()
    request = await Request.get()
    await sandbox.wecom.app_text("zhangwei", f"吹哨 #{request.number} 交通局 水务局 农业农村局 财政局 发改局 现场联办")
    await sandbox.settle()
    ticket = await Ticket.get()
    assert await codes_on(ticket) == ["transport", "water", "agriculture", "finance", "development_reform"]
    assert "已增派" in sandbox.texts_to("zhangwei")[-1] and "没有找到" not in sandbox.texts_to("zhangwei")[-1]
    assert len(sandbox.fake.bodies("appchat/create")) == 1  # five departments: the joint-handling group
