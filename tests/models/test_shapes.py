"""Hot queries written once (models/shapes.py): the same rows and the same writes as the ORM's own query, on
both databases, and the ORM's own way whenever the text would depend on a value."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from bot.clock import ManualClock
from models import InboxMessage, NonRequest, Request
from models.shapes import Shape

SHANGHAI = ZoneInfo("Asia/Shanghai")


async def said(clock: ManualClock, ref: str, text: str, minutes_ago: int) -> NonRequest:
    return await NonRequest.create(
        channel="aibot", sender_ref=ref, text=text, kind="text", created_at=clock.now() - timedelta(minutes=minutes_ago)
    )


def recent() -> Shape[NonRequest]:
    return Shape(
        lambda ref, since: NonRequest.filter(channel="aibot", sender_ref=ref, created_at__gte=since).order_by("-id")
    )


def texts(rows: list[NonRequest]) -> list[str]:
    return [row.text for row in rows]


async def test_a_kept_text_gives_each_call_its_own_rows(db: str, clock: ManualClock) -> None:
    for ref in ("wang", "li"):
        for minutes in (50, 20, 5):
            await said(clock, ref, f"{ref}-{minutes}", minutes)
    shape = recent()
    for ref, within in (("wang", 30), ("li", 60), ("wang", 10), ("zhao", 60)):
        since = clock.now() - timedelta(minutes=within)
        expected = await NonRequest.filter(channel="aibot", sender_ref=ref, created_at__gte=since).order_by("-id")
        assert texts(await shape.rows(ref, since)) == texts(expected) == texts(await shape.build(ref, since))
    assert [text is not None for text in shape._texts.values()] == [True]  # one text, kept, for every call


async def test_a_time_in_another_offset_reads_as_the_orm_reads_it(db: str, clock: ManualClock) -> None:
    # SQLite keeps times as text: a time in +08:00 must be compared as the ORM would compare it
    await said(clock, "wang", "早", 50)
    await said(clock, "wang", "晚", 5)
    shape = recent()
    assert texts(await shape.rows("wang", clock.now() - timedelta(minutes=30))) == ["晚"]
    local = (clock.now() - timedelta(minutes=60)).astimezone(SHANGHAI)
    orm = await NonRequest.filter(channel="aibot", sender_ref="wang", created_at__gte=local).order_by("-id")
    assert texts(await shape.rows("wang", local)) == texts(orm) == ["晚", "早"]


async def test_a_value_that_changes_the_text_goes_the_orms_way(db: str, clock: ManualClock) -> None:
    await said(clock, "wang", "有人", 5)
    await NonRequest.create(channel="aibot", sender_ref="", text="无人", kind="text", created_at=clock.now())
    by_ref = Shape(lambda ref: NonRequest.filter(sender_ref__startswith=ref).order_by("id"))
    assert texts(await by_ref.rows("wa")) == ["有人"]  # `wa%`: the ORM changes the value, so its text is not kept
    assert texts(await by_ref.rows("")) == ["有人", "无人"]
    assert list(by_ref._texts.values()) == [None]
    by_absorbed = Shape(lambda into: NonRequest.filter(absorbed_into_id=into).order_by("id"))
    assert texts(await by_absorbed.rows(None)) == ["有人", "无人"]  # None is IS NULL: never a kept text
    assert list(by_absorbed._texts.values()) == [None]


async def test_an_update_writes_and_counts_as_the_orms_does(db: str, clock: ManualClock) -> None:
    request = await Request.create(
        number=1001, text="路坏了", channel="app", primary="transport", created_at=clock.now(), updated_at=clock.now()
    )
    move = Shape(
        lambda pk, status, at: Request.filter(pk=pk, status__in=("recorded",)).update(status=status, updated_at=at)
    )
    later = clock.now() + timedelta(hours=1)
    async with in_transaction():
        assert await move.count(request.id, "kept_in_grid", later.astimezone(SHANGHAI)) == 1
    assert await move.count(request.id, "kept_in_grid", later) == 0  # no longer recorded: nothing moved
    assert [text is not None for text in move._texts.values()] == [True]
    again = await Request.get(id=request.id)
    assert again.status == "kept_in_grid" and again.updated_at == later
    assert await Request.filter(updated_at__gte=later - timedelta(seconds=1)).count() == 1


async def test_a_tuple_of_ids_keeps_one_text_for_each_length(db: str, clock: ManualClock) -> None:
    rows = [await said(clock, "wang", f"第{n}句", 5) for n in range(4)]
    by_ids = Shape(lambda ref, ids: NonRequest.filter(sender_ref=ref, id__in=ids).order_by("id"))
    for picked in ((0,), (1, 3), (0, 2, 3), (2,)):
        ids = tuple(rows[n].id for n in picked)
        assert texts(await by_ids.rows("wang", ids)) == [f"第{n}句" for n in picked]
    assert sorted(kinds[1] for _, kinds in by_ids._texts) == [(1,), (2,), (3,)]
    assert all(text is not None for text in by_ids._texts.values())


async def test_a_locked_take_and_a_counted_update_keep_their_text(db: str, clock: ManualClock) -> None:
    # the inbox's rows of a transaction: taken locked (skipping rows another process holds), then marked done
    rows = [
        await InboxMessage.create(channel="aibot", message_key=f"m{n}", payload={}, received_at=clock.now())
        for n in range(3)
    ]
    take = Shape(lambda ids: InboxMessage.filter(id__in=ids, status="pending").select_for_update(skip_locked=True))
    done = Shape(
        lambda ids, at: InboxMessage.filter(id__in=ids).update(
            status="done", attempts=F("attempts") + 1, processed_at=at
        )
    )
    ids = tuple(row.id for row in rows)
    async with in_transaction():
        assert sorted(row.id for row in await take.rows(ids)) == list(ids)
        assert await done.count(ids[:2], clock.now()) == 2
    async with in_transaction():
        assert [row.id for row in await take.rows(ids)] == [ids[2]]  # the two done are no longer pending
        assert await done.count(ids[:2], clock.now()) == 2  # attempts count on: the F() is the database's sum
    assert [row.attempts for row in await InboxMessage.filter(id__in=ids).order_by("id")] == [2, 2, 0]
    assert all(text is not None for text in [*take._texts.values(), *done._texts.values()])
