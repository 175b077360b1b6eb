"""People who left WeCom: a send that reports them as `invaliduser` (or fails with 81013 because every
recipient left) marks them in the org and tells the admins once — through the real outbox worker and the
sandbox, which knows who left."""

from __future__ import annotations

from bot.channels.types import Address, Outbound
from bot.outbox import OutboxWorker, enqueue
from models import OutboxMessage, Person


async def send_all(worker: OutboxWorker) -> None:
    while await worker.run_once():
        pass


async def alerts(admin: str) -> list[str]:
    rows = await OutboxMessage.filter(target=admin, dedupe_key__startswith="left-wecom:").order_by("id")
    return [row.payload["text"] for row in rows]


async def test_a_person_who_left_is_marked_and_the_admins_told_once(county, api, fake_wecom, clock) -> None:
    fake_wecom.state.left = {"jiangdahai"}
    worker = OutboxWorker(api, clock, ("zhaolei",))
    await enqueue(Outbound(to=Address("app", "jiangdahai|sunfuhai"), text="路灯已修好"), now=clock.now())
    await send_all(worker)
    gone = await Person.get(userid="jiangdahai")
    assert gone.left_wecom_at == clock.now()
    assert (await Person.get(userid="sunfuhai")).left_wecom_at is None  # the other one got it
    (alert,) = await alerts("zhaolei")
    assert alert.startswith("姜大海（jiangdahai）已不在企业微信通讯录里")
    assert any("路灯已修好" in body["text"]["content"] for body in fake_wecom.state.bodies("message/send"))

    clock.advance(minutes=5)
    await enqueue(Outbound(to=Address("app", "jiangdahai"), text="请评价"), now=clock.now())  # only the one who left
    await send_all(worker)
    assert fake_wecom.state.calls("message/send", ok=False)  # WeCom refused it as a whole (81013)
    assert len(await alerts("zhaolei")) == 1  # told once
    assert (await Person.get(userid="jiangdahai")).left_wecom_at == gone.left_wecom_at


async def test_81013_alone_marks_everyone_it_was_for(county, api, fake_wecom, clock) -> None:
    fake_wecom.state.left = {"jiangdahai", "sunfuhai"}
    worker = OutboxWorker(api, clock, ("zhaolei", "admin2"))
    await enqueue(Outbound(to=Address("app", "jiangdahai|sunfuhai"), text="通知"), now=clock.now())
    await send_all(worker)
    marked = await Person.filter(left_wecom_at__isnull=False).values_list("userid", flat=True)
    assert sorted(marked) == ["jiangdahai", "sunfuhai"]
    assert len(await alerts("zhaolei")) == 2 and len(await alerts("admin2")) == 2
