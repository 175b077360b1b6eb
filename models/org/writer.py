"""Write a validated OrgSpec in one transaction: codes and userids are keys, so a second load of the
same file changes nothing and an edited file updates rows in place. Roles and care pairs of the
people and households in the file are made to match it; nothing the file does not mention is
deleted (requests and tickets refer to areas, people and households).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from datetime import datetime
from typing import Any, TypeVar

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.models import Model
from tortoise.transactions import in_transaction

from models.areas import AREA_LEVELS, Area, Department
from models.locks import advisory_lock
from models.org.spec import OrgSpec
from models.org.summary import LoadSummary, Tally
from models.org.validate import post_village
from models.people import CarePair, Chat, Household, Person, Role
from models.posts import PostHolder
from models.shifts import CountySetting, DutySlot

M = TypeVar("M", bound=Model)

# Every process loads the org file at start; one at a time, so two never insert the same code.
ORG_LOCK = "gridwhistle.org"
# Requests kept in the grid are handled by the village's own cadres, so that "department"
# always exists, even when the file does not list it. A file that lists `village` names it itself.
VILLAGE_DEPARTMENT = {"code": "village", "name": "村两委", "short_names": ["村两委", "村委会"]}


async def write_org(spec: OrgSpec, now: datetime) -> LoadSummary:
    summary = LoadSummary()
    async with advisory_lock(ORG_LOCK):
        async with in_transaction() as conn:
            areas = await _write_areas(spec, summary["areas"], conn)
            departments = await _write_departments(spec, summary["departments"], conn)
            households = await _upsert(
                Household,
                ("code",),
                conn,
                summary["households"],
                {
                    (h.code,): {"head": h.head, "grid_id": areas[h.grid].id, "address": h.address, "tags": list(h.tags)}
                    for h in spec.households
                },
            )
            people = await _upsert(
                Person,
                ("userid",),
                conn,
                summary["people"],
                {
                    (p.userid,): {
                        "name": p.name,
                        "mobile": p.mobile,
                        "household_id": households[(p.household,)].id if p.household else None,
                    }
                    for p in spec.people
                },
            )
            await _reconcile_roles(spec, people, areas, departments, summary["roles"], conn)
            await _reconcile_posts(spec, people, areas, summary["posts"], conn)
            await _reconcile_care_pairs(spec, households, people, now, summary["care_pairs"], conn)
            await _write_duty_slots(spec, areas, people, now, summary["duty_slots"], conn)
            await _write_county_setting(spec, areas, now, conn)
            await _upsert(
                Chat,
                ("channel", "chatid"),
                conn,
                summary["chats"],
                {
                    (c.channel, c.chatid): {"name": c.name, "area_id": areas[c.area].id, "webhook_key": c.webhook_key}
                    for c in spec.chats
                },
            )
    return summary


async def _write_areas(spec: OrgSpec, tally: Tally, conn: BaseDBAsyncClient) -> dict[str, Area]:
    """Level by level from the county down, so every parent has its id before its children need it."""
    written: dict[str, Area] = {}
    for level in AREA_LEVELS:
        rows = {
            (a.code,): {"name": a.name, "level": level, "parent_id": written[a.parent].id if a.parent else None}
            for a in spec.areas
            if a.level == level
        }
        found = await _upsert(Area, ("code",), conn, tally, rows)
        written.update({key[0]: area for key, area in found.items()})
    return written


async def _write_departments(spec: OrgSpec, tally: Tally, conn: BaseDBAsyncClient) -> dict[str, Department]:
    rows = {(d.code,): {"name": d.name, "short_names": list(d.short_names)} for d in spec.departments}
    found = {key[0]: dept for key, dept in (await _upsert(Department, ("code",), conn, tally, rows)).items()}
    if "village" not in found:
        village = await Department.get_or_none(code="village", using_db=conn)
        if village is None:
            village = await Department.create(using_db=conn, **VILLAGE_DEPARTMENT)
            tally.created += 1
        else:
            tally.unchanged += 1
        found["village"] = village
    return found


async def _write_county_setting(spec: OrgSpec, areas: dict[str, Area], now: datetime, conn: BaseDBAsyncClient) -> None:
    """The [county] table's switches (absent: off), kept as the file says at every load of the county."""
    county = next((areas[a.code] for a in spec.areas if a.level == "county"), None)
    if county is None:
        return
    wanted = bool(spec.village_tier)
    row = await CountySetting.get_or_none(county_id=county.id, using_db=conn)
    if row is None:
        await CountySetting.create(using_db=conn, county_id=county.id, village_tier=wanted, updated_at=now)
    elif row.village_tier != wanted:
        row.village_tier, row.updated_at = wanted, now
        await row.save(using_db=conn, update_fields=["village_tier", "updated_at"])


async def _write_duty_slots(
    spec: OrgSpec,
    areas: dict[str, Area],
    people: dict[tuple, Person],
    now: datetime,
    tally: Tally,
    conn: BaseDBAsyncClient,
) -> None:
    """A roster sheet's row sets its shift's 带班 and 值班; an empty cell leaves a post as chat made it."""
    if not spec.shifts:
        return
    days = sorted({row.day for row in spec.shifts})
    existing = {
        (slot.area_id, slot.day, slot.shift, slot.post): slot
        for slot in await DutySlot.filter(day__in=days).using_db(conn)
    }
    for row in spec.shifts:
        for post, userid in (("lead", row.lead), ("duty", row.duty)):
            if not userid:
                continue
            person_id = people[(userid,)].id
            slot = existing.get((areas[row.area].id, row.day, row.shift, post))
            if slot is None:
                await DutySlot.create(
                    using_db=conn,
                    area_id=areas[row.area].id,
                    day=row.day,
                    shift=row.shift,
                    post=post,
                    person_id=person_id,
                    updated_at=now,
                )
                tally.created += 1
            elif slot.person_id != person_id:
                slot.person_id, slot.updated_at = person_id, now
                await slot.save(using_db=conn, update_fields=["person_id", "updated_at"])
                tally.updated += 1
            else:
                tally.unchanged += 1


async def _upsert(
    model: type[M],
    key_fields: tuple[str, ...],
    conn: BaseDBAsyncClient,
    tally: Tally,
    rows: dict[tuple, dict[str, Any]],
) -> dict[tuple, M]:
    """Create the rows whose key is new, update those whose fields differ, leave the rest alone."""
    if not rows:
        return {}
    existing = _index(await model.all().using_db(conn), lambda obj: tuple(getattr(obj, f) for f in key_fields))
    result: dict[tuple, M] = {}
    for key, fields in rows.items():
        obj = existing.get(key)
        if obj is None:
            obj = await model.create(using_db=conn, **dict(zip(key_fields, key, strict=False)), **fields)
            tally.created += 1
        else:
            changed = [name for name, value in fields.items() if getattr(obj, name) != value]
            if changed:
                for name in changed:
                    setattr(obj, name, fields[name])
                await obj.save(using_db=conn, update_fields=changed)
                tally.updated += 1
            else:
                tally.unchanged += 1
        result[key] = obj
    return result


async def _reconcile_roles(
    spec: OrgSpec,
    people: dict[tuple, Person],
    areas: dict[str, Area],
    departments: dict[str, Department],
    tally: Tally,
    conn: BaseDBAsyncClient,
) -> None:
    """A listed person holds exactly the roles the file gives them."""
    person_ids = {people[(p.userid,)].id for p in spec.people}
    existing = _index(
        [r for r in await Role.all().using_db(conn) if r.person_id in person_ids],
        lambda r: (r.person_id, r.role, r.scope),
    )
    wanted: set[Hashable] = set()
    for person in spec.people:
        person_id = people[(person.userid,)].id
        for role in person.roles:
            key = (person_id, role.role, role.scope)
            if key in wanted:
                continue
            wanted.add(key)
            fields = {
                "area_id": areas[role.area].id if role.area else None,
                "department_id": departments[role.department].id if role.department else None,
            }
            row = existing.get(key)
            if row is None:
                await Role.create(using_db=conn, person_id=person_id, role=role.role, scope=role.scope, **fields)
                tally.created += 1
            elif any(getattr(row, name) != value for name, value in fields.items()):
                for name, value in fields.items():
                    setattr(row, name, value)
                await row.save(using_db=conn, update_fields=list(fields))
                tally.updated += 1
            else:
                tally.unchanged += 1
    for key, row in existing.items():
        if key not in wanted:
            await row.delete(using_db=conn)
            tally.removed += 1


async def _reconcile_posts(
    spec: OrgSpec, people: dict[tuple, Person], areas: dict[str, Area], tally: Tally, conn: BaseDBAsyncClient
) -> None:
    """A listed person holds exactly the village posts the file gives them."""
    person_ids = {people[(p.userid,)].id for p in spec.people}
    existing = _index(
        await PostHolder.filter(person_id__in=person_ids).using_db(conn),
        lambda r: (r.person_id, r.village_id, r.post),
    )
    specs = {a.code: a for a in spec.areas}
    wanted: set[Hashable] = set()
    for person in spec.people:
        village = post_village(person, specs)
        if village is None:
            continue
        for post in person.posts:
            key = (people[(person.userid,)].id, areas[village].id, post.post)
            if key in wanted:
                continue
            wanted.add(key)
            if key in existing:
                tally.unchanged += 1
            else:
                await PostHolder.create(using_db=conn, person_id=key[0], village_id=key[1], post=key[2])
                tally.created += 1
    for key, row in existing.items():
        if key not in wanted:
            await row.delete(using_db=conn)
            tally.removed += 1


async def _reconcile_care_pairs(
    spec: OrgSpec,
    households: dict[tuple, Household],
    people: dict[tuple, Person],
    now: datetime,
    tally: Tally,
    conn: BaseDBAsyncClient,
) -> None:
    """A listed household is paired with exactly the cadre the file names, or with nobody."""
    existing = _index(await CarePair.all().using_db(conn), lambda pair: pair.household_id)
    for household in spec.households:
        household_id = households[(household.code,)].id
        cadre_id = people[(household.care_cadre,)].id if household.care_cadre else None
        pair = existing.get(household_id)
        if pair is None:
            if cadre_id is not None:
                await CarePair.create(using_db=conn, household_id=household_id, cadre_id=cadre_id, since=now)
                tally.created += 1
        elif cadre_id is None:
            await pair.delete(using_db=conn)
            tally.removed += 1
        elif pair.cadre_id != cadre_id:
            pair.cadre_id = cadre_id
            pair.since = now
            await pair.save(using_db=conn, update_fields=["cadre_id", "since"])
            tally.updated += 1
        else:
            tally.unchanged += 1


def _index(items: Iterable[M], key_of: Callable[[M], Hashable]) -> dict[Any, M]:
    return {key_of(item): item for item in items}
