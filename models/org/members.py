"""Write the serving Party members' roster (在职党员) of an org load.

The rule a county relies on: a member the roster lists is registered exactly as the roster says (unit,
secretary, grid, skills; confirmed, as the file is the organisation's word), whatever was registered in chat;
a member the roster does not list keeps what they registered in chat. Nothing is deleted.
"""

from __future__ import annotations

from datetime import datetime

from tortoise.backends.base.client import BaseDBAsyncClient

from models.areas import Area, Department
from models.members import MEMBER_ROLE, PartyMember
from models.org.spec import OrgSpec
from models.org.summary import LoadSummary
from models.people import Person, Role


async def write_members(
    spec: OrgSpec,
    areas: dict[str, Area],
    departments: dict[str, Department],
    people: dict[tuple, Person],
    now: datetime,
    summary: LoadSummary,
    conn: BaseDBAsyncClient,
) -> None:
    """Members, and the people and roles they need, counted with the load's people, roles and party_members."""
    if not spec.members:
        return
    tally = summary["party_members"]
    persons = {key[0]: person for key, person in people.items()}
    for row in spec.members:  # members who are not in [[people]] become people here
        if row.userid not in persons:
            person = await Person.get_or_none(userid=row.userid, using_db=conn)
            if person is None:
                person = await Person.create(using_db=conn, userid=row.userid, name=row.name, mobile=row.mobile)
                summary["people"].created += 1
            elif (person.name, person.mobile) != (row.name, row.mobile):
                person.name, person.mobile = row.name, row.mobile
                await person.save(using_db=conn, update_fields=["name", "mobile"])
                summary["people"].updated += 1
            else:
                summary["people"].unchanged += 1
            persons[row.userid] = person
    for row in spec.members:
        person = persons[row.userid]
        grid = areas[row.grid]
        department = departments.get(row.unit)
        fields = {
            "unit": row.unit,
            "unit_name": department.name if department else areas[row.unit].name,
            "unit_secretary_id": persons[row.unit_secretary].id if row.unit_secretary else None,
            "grid_id": grid.id,
            "skills": list(row.skills),
            "source": "org",
            "status": "confirmed",
        }
        member = await PartyMember.get_or_none(person_id=person.id, using_db=conn)
        if member is None:
            await PartyMember.create(using_db=conn, person_id=person.id, registered_at=now, confirmed_at=now, **fields)
            tally.created += 1
        else:
            changed = [name for name, value in fields.items() if getattr(member, name) != value]
            if changed:
                for name in changed:
                    setattr(member, name, fields[name])
                member.confirmed_at = now
                await member.save(using_db=conn, update_fields=[*changed, "confirmed_at"])
                tally.updated += 1
            else:
                tally.unchanged += 1
        roles = summary["roles"]
        if await place_in_grid(person.id, grid, conn):
            roles.created += 1
        else:
            roles.unchanged += 1


async def place_in_grid(person_id: int, grid: Area, conn: BaseDBAsyncClient | None = None) -> bool:
    """The member's one party_member role is at their grid (实事, 答复 and 帮助 read roles); True when it moved."""
    query = Role.filter(person_id=person_id, role=MEMBER_ROLE)
    roles = await (query.using_db(conn) if conn is not None else query)
    if [role.area_id for role in roles] == [grid.id]:
        return False
    for role in roles:
        if role.area_id != grid.id:
            await role.delete(using_db=conn)
    if not any(role.area_id == grid.id for role in roles):
        await Role.create(using_db=conn, person_id=person_id, role=MEMBER_ROLE, area_id=grid.id, scope=grid.code)
    return True
