"""The village tier's switch: the org file's [county] village_tier, off unless written (today's township-first
flow stays), checked like every other key; with it off a county department's matter goes to the township's
confirmation card exactly as before."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.keys import SERVICES
from handlers.village import tickers as village_tickers
from models import CountySetting, Request, TicketEvent
from models.org import OrgFileError, load_org

COUNTY = """[county]
code = "longjiang"
name = "龙江县"
{switch}
[[townships]]
code = "baishan"
name = "白山镇"
"""


def org_file(tmp_path: Path, switch: str) -> Path:
    path = tmp_path / "county.toml"
    path.write_text(COUNTY.format(switch=switch), encoding="utf-8")
    return path


async def switch() -> bool:
    return (await CountySetting.get(county__code="longjiang")).village_tier


async def test_the_switch_is_off_unless_the_county_turns_it_on(db: str, clock: ManualClock, tmp_path: Path) -> None:
    await load_org([org_file(tmp_path, "")], clock.now())
    assert await switch() is False
    await load_org([org_file(tmp_path, "village_tier = true")], clock.now())
    assert await switch() is True
    await load_org([org_file(tmp_path, "village_tier = true")], clock.now())  # again: one row, still on
    assert await CountySetting.all().count() == 1 and await switch() is True
    await load_org([org_file(tmp_path, "village_tier = false")], clock.now())
    assert await switch() is False


async def test_a_switch_that_is_not_true_or_false_is_named(db: str, clock: ManualClock, tmp_path: Path) -> None:
    path = org_file(tmp_path, 'village_tier = "yes"')
    with pytest.raises(OrgFileError) as caught:
        await load_org([path], clock.now())
    assert caught.value.problems == [f"{path}:4: village_tier: must be true or false, not 'yes'"]
    assert await CountySetting.all().count() == 0


async def test_switch_off_keeps_the_township_first_flow(driven_service) -> None:
    """Not marked `village_tier`: the demo county runs with the switch off (tests/conftest.py)."""
    service = driven_service
    assert await CountySetting.filter(village_tier=True).count() == 0
    await service.wecom.app_text("jiangdahai", "三屯那个桥塌了一半，车过不去")
    await service.settle()
    request = await Request.get()
    assert request.status == "recorded"
    assert [e.kind for e in await TicketEvent.filter(request_id=request.id).order_by("id")] == ["recorded", "proposed"]
    (answer,) = service.texts_to("jiangdahai")
    assert "已转给交通运输局" in answer
    cards = [b for b in service.fake.bodies("message/send") if b["msgtype"] == "template_card"]
    assert [c["template_card"]["main_title"]["title"] for c in cards] == [f"待确认吹哨：诉求 #{request.number}"]
    service.clock.advance(hours=12)
    assert await village_tickers.tick(service.app[SERVICES]) == {
        "reminded": 0,
        "township_told": 0,
        "taken_over": 0,
        "digest": 0,
    }
