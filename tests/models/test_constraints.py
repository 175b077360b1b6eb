"""The data model's rules hold in the database itself: through the ORM and through raw SQL."""

from __future__ import annotations

import pytest
from tortoise import Tortoise
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from bot.clock import ManualClock
from models import Area, Assignment, Chat, Department, InboxMessage, Person, Role, Ticket


async def test_one_primary_assignment_per_ticket(ticket: Ticket, clock: ManualClock) -> None:
    transport, water = await Department.get(code="transport"), await Department.get(code="water")
    await Assignment.create(ticket=ticket, department=transport, is_primary=True, notified_at=clock.now())
    with pytest.raises(IntegrityError):
        async with in_transaction():
            await Assignment.create(ticket=ticket, department=water, is_primary=True, notified_at=clock.now())
    # Assisting departments are as many as the township wants.
    await Assignment.create(ticket=ticket, department=water, is_primary=False, notified_at=clock.now())
    assert await Assignment.filter(ticket=ticket).count() == 2


async def test_the_primary_can_move_to_another_department(ticket: Ticket, clock: ManualClock) -> None:
    transport, water = await Department.get(code="transport"), await Department.get(code="water")
    first = await Assignment.create(ticket=ticket, department=transport, is_primary=True, notified_at=clock.now())
    helper = await Assignment.create(ticket=ticket, department=water, notified_at=clock.now())
    async with in_transaction():  # 改派: demote first, then promote
        await Assignment.filter(id=first.id).update(is_primary=False)
        await Assignment.filter(id=helper.id).update(is_primary=True)
    assert await Assignment.get(is_primary=True) == helper


async def test_one_primary_holds_for_raw_sql_too(ticket: Ticket, clock: ManualClock) -> None:
    transport, water = await Department.get(code="transport"), await Department.get(code="water")
    conn = Tortoise.get_connection("default")
    at = clock.now().isoformat()
    insert = (
        "INSERT INTO assignment (ticket_id, department_id, is_primary, state, urged, card_task_id, "
        "notified_at, returned_reason) VALUES ({ticket}, {department}, TRUE, 'notified', FALSE, '', '{at}', '')"
    )
    await conn.execute_script(insert.format(ticket=ticket.id, department=transport.id, at=at))
    with pytest.raises(IntegrityError):
        await conn.execute_script(insert.format(ticket=ticket.id, department=water.id, at=at))


async def test_one_assignment_per_department_and_ticket(ticket: Ticket, clock: ManualClock) -> None:
    transport = await Department.get(code="transport")
    await Assignment.create(ticket=ticket, department=transport, notified_at=clock.now())
    with pytest.raises(IntegrityError):
        await Assignment.create(ticket=ticket, department=transport, notified_at=clock.now())


async def test_ticket_and_request_numbers_are_unique(ticket: Ticket, clock: ManualClock) -> None:
    with pytest.raises(IntegrityError):
        await Ticket.create(
            number=ticket.number,
            request_id=ticket.request_id,  # type: ignore[attr-defined]
            township_id=ticket.township_id,
            created_at=clock.now(),
        )  # type: ignore[attr-defined]


async def test_an_inbound_message_is_stored_once_per_channel(db: str, clock: ManualClock) -> None:
    await InboxMessage.create(channel="app", message_key="m1", payload={}, received_at=clock.now())
    await InboxMessage.create(channel="kf", message_key="m1", payload={}, received_at=clock.now())
    with pytest.raises(IntegrityError):
        await InboxMessage.create(channel="app", message_key="m1", payload={}, received_at=clock.now())


async def test_codes_userids_chats_and_roles_are_unique(db: str) -> None:
    await Area.create(code="wenhua", name="文化村", level="village")
    with pytest.raises(IntegrityError):
        await Area.create(code="wenhua", name="文化村", level="village")
    await Person.create(userid="zhangsan", name="张三")
    with pytest.raises(IntegrityError):
        await Person.create(userid="zhangsan", name="张三")
    # Several villagers reached only by customer service have no userid: NULLs never collide.
    await Person.create(external_userid="wm1", name="李四")
    await Person.create(external_userid="wm2", name="王五")
    await Chat.create(channel="aibot", chatid="wr1")
    with pytest.raises(IntegrityError):
        await Chat.create(channel="aibot", chatid="wr1")
    person = await Person.get(userid="zhangsan")
    await Role.create(person=person, role="grid_member", scope="wenhua")
    with pytest.raises(IntegrityError):
        await Role.create(person=person, role="grid_member", scope="wenhua")


async def test_foreign_keys_are_enforced(db: str) -> None:
    county = await Area.create(code="longjiang", name="龙江县", level="county")
    await Area.create(code="baishan", name="白山镇", level="township", parent=county)
    with pytest.raises(IntegrityError):
        await county.delete()  # RESTRICT: a county with townships stays
    with pytest.raises(IntegrityError):
        await Area.create(code="ghost", name="无", level="village", parent_id=999_999)
