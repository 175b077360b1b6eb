"""Customer-service pulls against the sandbox: paging, dedupe by msgid, the cursor kept, the grid remembered."""

from __future__ import annotations

import asyncio

from bot.channels.types import Address, Outbound
from bot.keys import KF
from bot.outbox import enqueue
from models import Area, InboxMessage, KfCursor, KfCustomer, OutboxMessage

KFID = "wkgridwhistledemo"


def kf_event(token: str) -> str:
    return (
        "<xml><ToUserName>c</ToUserName><CreateTime>1700000400</CreateTime><MsgType>event</MsgType>"
        f"<Event>kf_msg_or_event</Event><Token>{token}</Token><OpenKfId>{KFID}</OpenKfId></xml>"
    )


async def _grid() -> Area:
    county = await Area.create(code="t-county", name="县", level="county")
    return await Area.create(code="houdaolao-1", name="1网格", level="grid", parent=county)


async def test_cold_start_drains_without_answering_then_pages_and_dedupes(service, peer, fake_wecom) -> None:
    sandbox = fake_wecom.state
    puller = service.app[KF]
    puller.page_limit = 2
    for i in range(3):
        sandbox.queue_kf_message(KFID, "wm-old", f"三天前的话{i}")
    token = sandbox.queue_kf_message(KFID, "wm-old", "最后一句")
    await peer.post_app(kf_event(token))
    await service.settled()
    old = await InboxMessage.filter(channel="kf").order_by("id")
    assert len(old) == 4 and {r.status for r in old} == {"done"}  # drained, not answered
    assert all(r.processed_at is None and r.error.startswith("cold start") for r in old)
    assert (await KfCursor.get(open_kfid=KFID)).cursor == "4"
    assert len(sandbox.calls("kf/sync_msg")) == 2  # limit 2: two pages, has_more on the first

    for i in range(5):
        token = sandbox.queue_kf_message(KFID, "wm-new", f"新消息{i}")
    await peer.post_app(kf_event(token))
    await peer.post_app(kf_event(token))  # WeCom retries the event: a second pull finds nothing new
    await service.settled()
    new = await InboxMessage.filter(channel="kf", status="done", error="").order_by("id")
    assert [r.payload["text"] for r in new] == [f"新消息{i}" for i in range(5)]
    assert new[0].payload["reply"] == {"open_kfid": KFID} and new[0].payload["sender"] == "wm-new"
    assert (await KfCursor.get(open_kfid=KFID)).cursor == "9"

    # A cursor that falls behind (another process crashed before saving it) re-reads messages: stored once.
    await KfCursor.filter(open_kfid=KFID).update(cursor="2")
    assert await puller.pull(KFID) == 0
    assert await InboxMessage.filter(channel="kf").count() == 9
    assert (await KfCursor.get(open_kfid=KFID)).cursor == "9"


async def test_enter_session_remembers_the_grid_and_the_window(service, peer, fake_wecom, clock) -> None:
    grid = await _grid()
    await KfCursor.create(open_kfid=KFID, cursor="0")  # not a cold start
    sandbox = fake_wecom.state
    sandbox.queue_kf_message(
        KFID,
        "",
        msgtype="event",
        origin=4,
        body={
            "event_type": "enter_session",
            "open_kfid": KFID,
            "external_userid": "wm-zhao",
            "scene": "houdaolao-1",
            "scene_param": "",
            "welcome_code": "wc1",
        },
    )
    await KfCustomer.create(external_userid="wm-zhao", open_kfid=KFID, sent_since_customer_message=4)
    clock.advance(minutes=1)
    token = sandbox.queue_kf_message(KFID, "wm-zhao", "家门口的路灯不亮")
    await peer.post_app(kf_event(token))
    await service.settled()
    rows = await InboxMessage.filter(channel="kf").order_by("id")
    assert [r.payload["kind"] for r in rows] == ["enter", "text"]
    assert rows[0].payload["sender"] == "wm-zhao" and rows[0].payload["extra"]["scene"] == "houdaolao-1"
    assert {r.status for r in rows} == {"done"} and all(r.error == "" for r in rows)  # processed, not drained
    customer = await KfCustomer.get(external_userid="wm-zhao")
    assert customer.grid_id == grid.id
    assert customer.sent_since_customer_message == 0
    assert customer.last_customer_message_at == clock.now().replace(microsecond=0)


async def test_servicer_messages_are_not_inbound(service, fake_wecom) -> None:
    await KfCursor.create(open_kfid=KFID, cursor="0")
    fake_wecom.state.queue_kf_message(KFID, "wm-a", "人工客服的话", origin=5)
    assert await service.app[KF].pull(KFID) == 0


async def test_expired_sync_token_falls_back_to_pulling_without_it(service, fake_wecom) -> None:
    await KfCursor.create(open_kfid=KFID, cursor="0")
    fake_wecom.state.queue_kf_message(KFID, "wm-a", "在吗")
    assert await service.app[KF].pull(KFID, token="kfsync-long-gone") == 1
    tokens = [c.body.get("token") for c in fake_wecom.state.calls("kf/sync_msg")]
    assert tokens == ["kfsync-long-gone", None]


async def test_the_callback_token_goes_with_the_pull(service, fake_wecom) -> None:
    await KfCursor.create(open_kfid=KFID, cursor="0")
    token = fake_wecom.state.queue_kf_message(KFID, "wm-a", "在吗")
    puller = service.app[KF]
    puller.trigger(KFID, token)
    assert [c.body.get("token") for c in fake_wecom.state.calls("kf/sync_msg")] == []
    await puller.until_idle()
    assert [c.body.get("token") for c in fake_wecom.state.calls("kf/sync_msg")] == [token]


async def test_a_new_message_releases_what_waited_for_the_window(service, peer, fake_wecom, clock) -> None:
    await KfCursor.create(open_kfid=KFID, cursor="0")
    await KfCustomer.create(external_userid="wm-qian", open_kfid=KFID, sent_since_customer_message=5)
    parked = await enqueue(Outbound(to=Address("kf", "wm-qian", via=KFID), text="您反映的事已办结"), now=clock.now())
    await OutboxMessage.filter(id=parked.id).update(status="parked")
    token = fake_wecom.state.queue_kf_message(KFID, "wm-qian", "好的 谢谢")
    await peer.post_app(kf_event(token))
    await service.settled()
    assert (await OutboxMessage.get(id=parked.id)).status in ("pending", "sent")


async def test_a_pull_that_fails_is_tried_again_without_waiting_for_another_event(service, peer, fake_wecom) -> None:
    await KfCursor.create(open_kfid=KFID, cursor="0")  # not a cold start
    sandbox = fake_wecom.state
    puller = service.app[KF]
    puller.retry_first = 0.05  # seconds, doubling: the service waits 5 s, 10 s … up to 5 minutes
    sandbox.fail_next("kf/sync_msg", 2, mode="http", status=503)  # WeCom down for the event and the first retry
    token = sandbox.queue_kf_message(KFID, "wm-1", "屯里停电了")
    await peer.post_app(kf_event(token))  # WeCom sends this event once: nothing else would pull
    for _ in range(100):
        if await InboxMessage.filter(channel="kf").exists():
            break
        await asyncio.sleep(0.02)
    assert [r.payload["text"] for r in await InboxMessage.filter(channel="kf")] == ["屯里停电了"]
    assert len(sandbox.calls("kf/sync_msg")) == 3
