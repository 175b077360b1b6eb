"""The per-pass cache of org data (models/area_cache.py): inside one inbox pass an area, a department or a
county's village-tier switch is read once; the next pass, and every read outside a pass, sees a change."""

from __future__ import annotations

import pytest
from tortoise.exceptions import DoesNotExist

from models import Area, CountySetting, Department
from models.area_cache import (
    area_by_id,
    area_of,
    area_required,
    areas_cached,
    departments_by_code,
    village_tier,
)


async def org(clock) -> tuple[Area, Area]:
    county = await Area.create(code="longjiang", name="龙江县", level="county")
    township = await Area.create(code="baishan", name="白山镇", level="township", parent=county)
    await Department.create(code="transport", name="交通运输局")
    await Department.create(code="water", name="水务局")
    await CountySetting.create(county=county, village_tier=True, updated_at=clock.now())
    return county, township


async def test_a_renamed_area_is_seen_by_the_next_pass_not_mid_pass(db, clock) -> None:
    _, township = await org(clock)
    with areas_cached():
        assert (await area_by_id(township.id)).name == "白山镇"
        await Area.filter(id=township.id).update(name="白山乡")  # as an org-file load in another process would
        assert (await area_by_id(township.id)).name == "白山镇"  # read once per pass
    with areas_cached():
        assert (await area_by_id(township.id)).name == "白山乡"
    await Area.filter(id=township.id).update(name="白山镇")
    assert (await area_by_id(township.id)).name == "白山镇"  # outside a pass: every read goes to the database


async def test_a_missing_area_is_none_or_does_not_exist_as_before(db, clock) -> None:
    with areas_cached():
        assert await area_of(None) is None
        assert await area_by_id(999) is None
        with pytest.raises(DoesNotExist):
            await area_required(999)


async def test_departments_are_read_once_per_pass_and_unknown_codes_left_out(db, clock) -> None:
    await org(clock)
    with areas_cached():
        found = await departments_by_code(["water", "nothing", "transport"])
        assert list(found) == ["water", "transport"]
        await Department.filter(code="water").update(name="水利局")
        await Department.create(code="nothing", name="后来才有的局")
        again = await departments_by_code(["transport", "water", "nothing"])
        assert {c: d.name for c, d in again.items()} == {"transport": "交通运输局", "water": "水务局"}
    with areas_cached():
        names = {c: d.name for c, d in (await departments_by_code(["water", "nothing"])).items()}
        assert names == {"water": "水利局", "nothing": "后来才有的局"}


async def test_the_village_tier_switch_turned_off_is_seen_by_the_next_pass(db, clock) -> None:
    county, _ = await org(clock)
    with areas_cached():
        assert await village_tier(county.id)
        await CountySetting.filter(county_id=county.id).update(village_tier=False)
        assert await village_tier(county.id)
    with areas_cached():
        assert not await village_tier(county.id)
    assert not await village_tier(county.id)
