"""A flood: in a backlog a matter that is not urgent is answered at once and sent on once the backlog is cleared
(handlers/requests/backlog.py); an urgent one goes at once; the answer is the one it would get alone; a crash in
between leaves the matter to the next start; a neighbour's report merged into a waiting one is not sent on."""

from __future__ import annotations

import itertools

import pytest

from bot.channels.types import Inbound
from bot.inbox import InboxWorker, record
from handlers.core.context import Services
from models import OutboxMessage, Request, Ticket, TicketEvent
from models.request_states import RequestState

GRID3_CHAT = "wrkSFfCgAAhoudaolao3"  # the demo county's grid group of 三屯
ORDINARY = "村口的路灯坏了，晚上看不见"
URGENT = "电线让风刮断掉地上了 还带着电呢 旁边就是小孩玩的地方"
_keys = itertools.count(1)


async def store(clock, *said: tuple[str, str]) -> list[int]:
    """Inbox rows of (sender, text) said in the grid group, as the AI bot's callbacks store them."""
    ids = []
    for sender, text in said:
        key = f"b{next(_keys)}"
        inbound = Inbound(
            channel="aibot",
            message_id=key,
            sender=sender,
            conversation=GRID3_CHAT,
            kind="text",
            text=text,
            received_at=clock.now(),
            reply={"response_url": f"http://127.0.0.1:9/aibot/response?code={key}"},
        )
        row_id = await record(inbound, key)
        assert row_id is not None
        ids.append(row_id)
    return ids


async def answer_to(request: Request) -> str:
    """The one answer naming the request, sent where the villager spoke (the AI bot's response_url)."""
    rows = await OutboxMessage.filter(kind="aibot").order_by("id")
    texts = [r.payload["text"] for r in rows if f"#{request.number}" in r.payload.get("text", "")]
    assert len(texts) == 1, texts
    return texts[0]


async def proposals(request: Request) -> int:
    return await TicketEvent.filter(request_id=request.id, kind="proposed").count()


async def test_in_a_backlog_the_answer_comes_first_and_the_matter_is_sent_on_after_it(
    county, dispatcher, services: Services, clock
) -> None:
    router = services.router()
    assert router.classify(ORDINARY).urgency != "urgent" and router.classify(URGENT).urgency == "urgent"
    ids = await store(clock, ("wangdaniu", ORDINARY), ("zhaoxiaohu", URGENT))
    done = await dispatcher.process_lanes([[row_id] for row_id in ids])
    assert all(done.values())
    ordinary = await Request.get(sender_ref="wangdaniu")
    urgent = await Request.get(sender_ref="zhaoxiaohu")
    # answered, not yet sent on: no confirmation card for the township while the backlog lasts
    assert ordinary.forward_after_backlog and ordinary.status == RequestState.RECORDED
    assert await proposals(ordinary) == 0
    assert (await answer_to(ordinary)).startswith(f"收到！您反映的事已登记，编号 #{ordinary.number}，已转给")
    # the urgent matter did not wait: whistled in the batch itself
    assert not urgent.forward_after_backlog and urgent.status == RequestState.WHISTLED
    assert await Ticket.filter(request_id=urgent.id).exists()
    assert (await answer_to(urgent)).startswith(f"收到！情况紧急，已登记，编号 #{urgent.number}")

    assert await dispatcher.after_backlog() == 1
    ordinary = await Request.get(id=ordinary.id)
    assert not ordinary.forward_after_backlog and await proposals(ordinary) == 1
    assert await dispatcher.after_backlog() == 0  # sent on once


async def test_one_handled_alone_is_sent_on_at_once(county, say, services: Services) -> None:
    await say("aibot", "wangdaniu", ORDINARY, conversation=GRID3_CHAT)
    request = await Request.get(sender_ref="wangdaniu")
    assert not request.forward_after_backlog and await proposals(request) == 1


@pytest.mark.village_tier
async def test_the_answer_in_a_backlog_names_the_village_as_it_would_alone(
    county, dispatcher, services: Services, clock
) -> None:
    ids = await store(clock, ("wangdaniu", ORDINARY), ("fengbaolin", "家里停电好几天了"))
    await dispatcher.process_lanes([[row_id] for row_id in ids])
    for request in await Request.all().order_by("id"):
        assert request.status == RequestState.RECORDED and request.forward_after_backlog
        assert (await answer_to(request)).startswith(
            f"收到！您反映的事已登记，编号 #{request.number}，先交给咱村村书记、第一书记和值班干部办理"
        )
    await dispatcher.after_backlog()
    assert {r.status for r in await Request.all()} == {RequestState.AT_VILLAGE}


async def test_a_crash_before_it_was_sent_on_leaves_it_to_the_next_start(county, dispatcher, clock) -> None:
    ids = await store(clock, ("wangdaniu", ORDINARY), ("fengbaolin", "家里停电好几天了"))
    await dispatcher.process_lanes([[row_id] for row_id in ids])  # answered; then the process stopped
    assert await Request.filter(forward_after_backlog=True).count() == 2

    worker = InboxWorker(
        dispatcher.process, clock, process_lanes=dispatcher.process_lanes, after_drain=dispatcher.after_backlog
    )
    worker.start()  # the next start: nothing pending in the inbox, the waiting matters are sent on
    try:
        await worker.until_idle()
    finally:
        await worker.stop()
    assert not await Request.filter(forward_after_backlog=True).exists()
    for request in await Request.all():
        assert await proposals(request) == 1


async def test_a_neighbours_report_merged_into_a_waiting_one_is_not_sent_on(county, dispatcher, clock) -> None:
    ids = await store(clock, ("jiangdahai", "三屯桥塌了，车过不去"), ("fengbaolin", "三屯那个桥塌了 拖拉机过不去"))
    await dispatcher.process_lanes([[row_id] for row_id in ids])
    first, second = await Request.all().order_by("id")
    assert second.merged_into_id == first.id
    assert "同一件事已有2户反映" in await answer_to_merged(first)
    assert await dispatcher.after_backlog() == 2  # both taken: the merged one only has its flag cleared
    assert await proposals(first) == 1 and await proposals(second) == 0
    assert not await Request.filter(forward_after_backlog=True).exists()


async def answer_to_merged(main: Request) -> str:
    rows = await OutboxMessage.filter(kind="aibot").order_by("id")
    texts = [r.payload["text"] for r in rows if "同一件事" in r.payload.get("text", "")]
    assert len(texts) == 1 and f"#{main.number}" in texts[0], texts
    return texts[0]
