"""The per-pass cache of org data (models/area_cache.py): inside one inbox pass an area, a department, a
county's village-tier switch, who holds a role or a duty post, or a group chat's area is read once; the next pass, and
every read outside a pass, sees a change."""

from __future__ import annotations

import pytest
from tortoise.exceptions import DoesNotExist

from config.policy import ShiftsPolicy
from handlers.shifts.roster import on_shift, set_post, shift_at
from models import Area, Chat, CountySetting, Department, DutySlot, Person, Role
from models.area_cache import (
    area_by_id,
    area_of,
    area_required,
    areas_cached,
    chat_of,
    departments_by_code,
    village_tier,
)
from models.request_queries import people_with_role as holders_in
from models.ticket_queries import committee_of, liaisons_of


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


async def test_a_role_given_to_someone_else_is_seen_by_the_next_pass(db, clock) -> None:
    _, township = await org(clock)
    water = await Department.get(code="water")
    old = await Person.create(userid="zhangwei", name="张伟")
    new = await Person.create(userid="lihong", name="李红")
    await Role.create(person=old, role="township_committee", area=township, scope=township.code)
    await Role.create(person=old, role="liaison", department=water, scope=water.code)
    with areas_cached():
        assert [p.userid for p in await committee_of(township)] == ["zhangwei"]
        assert [p.userid for p in await holders_in(township, "township_committee")] == ["zhangwei"]
        assert [p.userid for p in await liaisons_of(water)] == ["zhangwei"]
        await Role.filter(person_id=old.id).update(person_id=new.id)  # as the next org-file load would
        assert [p.userid for p in await committee_of(township)] == ["zhangwei"]  # read once per pass
        mine = await holders_in(township, "township_committee")
        mine.append(new)  # a caller's list is its own: the next caller still gets the pass's answer
        assert [p.userid for p in await holders_in(township, "township_committee")] == ["zhangwei"]
    with areas_cached():
        assert [p.userid for p in await committee_of(township)] == ["lihong"]
        assert [p.userid for p in await holders_in(township, "township_committee")] == ["lihong"]
        assert [p.userid for p in await liaisons_of(water)] == ["lihong"]
    await Role.filter(person_id=new.id).update(person_id=old.id)
    assert [p.userid for p in await committee_of(township)] == ["zhangwei"]  # outside a pass: read each time


async def test_a_group_chat_registered_or_moved_is_seen_by_the_next_pass(db, clock) -> None:
    _, township = await org(clock)
    with areas_cached():
        assert await chat_of("aibot", "wrgrid1") is None
        await Chat.create(channel="aibot", chatid="wrgrid1", area=township)  # the org file gained the chat
        assert await chat_of("aibot", "wrgrid1") is None  # read once per pass
    with areas_cached():
        chat = await chat_of("aibot", "wrgrid1")
        assert chat is not None and chat.area.name == "白山镇"
        await Chat.filter(chatid="wrgrid1").update(area_id=None)
    with areas_cached():
        chat = await chat_of("aibot", "wrgrid1")
        assert chat is not None and chat.area is None
    assert await chat_of("appchat", "wrgrid1") is None


async def test_who_is_on_duty_is_read_once_per_pass_and_afresh_after_this_pass_sets_a_post(db, clock) -> None:
    _, township = await org(clock)
    old = await Person.create(userid="zhangwei", name="张伟")
    new = await Person.create(userid="lihong", name="李红")
    shift = shift_at(ShiftsPolicy(), clock.now())
    await set_post(township, shift, "duty", old, clock.now())
    with areas_cached():
        assert (await on_shift(township, shift))["duty"].userid == "zhangwei"
        await DutySlot.filter(area_id=township.id).update(person_id=new.id)  # another process swapped
        assert (await on_shift(township, shift))["duty"].userid == "zhangwei"  # read once per pass
    with areas_cached():
        assert (await on_shift(township, shift))["duty"].userid == "lihong"
        assert await set_post(township, shift, "duty", old, clock.now())  # a swap handled in this pass
        assert (await on_shift(township, shift))["duty"].userid == "zhangwei"
        await DutySlot.filter(area_id=township.id).update(person_id=new.id)
        assert (await on_shift(township, shift))["duty"].userid == "lihong"  # read afresh for the rest of the pass
    assert await on_shift(None, shift) == {}
