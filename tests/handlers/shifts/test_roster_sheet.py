"""The roster sheet of the org file: read, checked row by row, loaded all-or-nothing and idempotently."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.clock import ManualClock
from config.settings import DEMO_ORG_FILE
from models import DutySlot
from models.org import OrgFileError, load_org


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    shutil.copytree(DEMO_ORG_FILE.parent, tmp_path / "demo")
    return tmp_path / "demo" / "county.toml"


async def test_a_load_twice_changes_nothing_and_a_new_holder_replaces_the_old(
    db: str, clock: ManualClock, demo: Path
) -> None:
    first = await load_org([demo], clock.now())
    assert first["duty_slots"].created == 83  # 7 days × 2 shifts × 3 areas × 2 posts, less the demo's one gap
    again = await load_org([demo], clock.now())
    assert (again["duty_slots"].created, again["duty_slots"].updated, again["duty_slots"].unchanged) == (0, 0, 83)
    sheet = demo.parent / "shifts.csv"
    sheet.write_text(
        sheet.read_text(encoding="utf-8").replace(
            "2026-11-16,白班,baishan,zhangwei,lihong", "2026-11-16,day,baishan,wanggang,"
        ),
        encoding="utf-8",
    )
    changed = await load_org([demo], clock.now())
    assert changed["duty_slots"].updated == 1
    # an empty cell leaves the post as it was (a swap made by chat is not undone by the next load)
    held = await DutySlot.filter(area__code="baishan", day="2026-11-16", shift="day").prefetch_related("person")
    assert {s.post: s.person.userid for s in held} == {"lead": "wanggang", "duty": "lihong"}


async def test_every_bad_row_is_named_and_nothing_is_written(db: str, clock: ManualClock, demo: Path) -> None:
    sheet = demo.parent / "shifts.csv"
    good = len(sheet.read_text(encoding="utf-8").splitlines())
    sheet.write_text(
        sheet.read_text(encoding="utf-8")
        + "2026-11-23,早班,baishan,zhangwei,lihong\n"
        + "2026-11-31,白班,baishan,zhangwei,lihong\n"
        + "2026-11-23,白班,houdaolao-3,wangjun,\n"
        + "2026-11-23,夜班,houdaolao,nobody,\n"
        + "2026-11-16,白班,baishan,zhangwei,lihong\n",
        encoding="utf-8",
    )
    with pytest.raises(OrgFileError) as caught:
        await load_org([demo], clock.now())
    assert caught.value.problems == [
        f"{sheet} row {good + 1} column 班次: shift: unknown shift '早班'; shifts are day, night, 白班, 夜班",
        f"{sheet} row {good + 2} column 日期: day: '2026-11-31' is not a date like 2026-12-07",
        f"{sheet} row {good + 3} column 区域: area: 'houdaolao-3' is a grid; a duty roster is a township's or a village's",
        f"{sheet} row {good + 4} column 带班: lead: 'nobody' is not a person (userid) in this load",
        f"{sheet} row {good + 5} column 日期: day: baishan has this shift of 2026-11-16 on an earlier row too",
    ]
    assert await DutySlot.all().count() == 0
