"""A crash between the 200 and processing loses nothing: the next process finds the row and handles it."""

from __future__ import annotations

import asyncio

from bot.keys import DISPATCHER
from models import InboxMessage

TEXT = (
    "<xml><ToUserName>c</ToUserName><FromUserName>zhangsan</FromUserName><CreateTime>1700000000</CreateTime>"
    "<MsgType>text</MsgType><Content>帮助</Content><MsgId>9100</MsgId><AgentID>1000002</AgentID></xml>"
)


async def test_row_left_pending_by_a_crash_is_processed_at_the_next_start(service, peer) -> None:
    started = asyncio.Event()

    async def stuck(row_id: int) -> None:  # the process dies while (or before) handling the row
        started.set()
        await asyncio.Event().wait()

    await service.stop()
    await service.start(process=stuck)
    response = await peer.post_app(TEXT)
    assert response.status == 200
    await started.wait()
    await service.stop()  # the process ends; its worker never finished the row
    row = await _row_after_restart_of(service)
    assert row.status == "pending"

    await service.start(process=None, load_org=True)  # a new process with the real Dispatcher
    assert DISPATCHER in service.app
    await service.settled()
    row = await InboxMessage.get(message_key="9100")
    assert row.status == "done" and row.processed_at is not None


async def _row_after_restart_of(service) -> InboxMessage:
    from models.db import database

    async with database(service.settings.database.url):
        return await InboxMessage.get(message_key="9100")
