"""Bursts through the real dispatcher: a request grows to the policy's size or count and the next piece starts a
new one; each piece is routed alone and the burst goes where all its pieces' scores point."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.channels.types import Inbound
from bot.inbox import record
from handlers.core.context import Services
from handlers.requests.burst import route_of, votes
from models import NonRequest, Request, TicketEvent
from nlp.router import Decision

GRID3_CHAT = "wrkSFfCgAAhoudaolao3"


@pytest.fixture
def small_bursts(services: Services, dispatcher, say_through):
    """`say` with a policy whose bursts stop at 3 messages or 40 characters."""
    requests = services.policy.requests.model_copy(update={"burst_max_messages": 3, "burst_max_chars": 40})
    dispatcher.services = replace(services, policy=services.policy.model_copy(update={"requests": requests}))
    return say_through(dispatcher)


def texts_of(rows):
    return [r.payload.get("text", "") for r in rows]


async def test_a_burst_past_the_message_count_starts_a_new_request(county, small_bursts, clock):
    say = small_bursts
    for piece in ["三屯那个桥塌了", "车过不去", "拖拉机也过不去"]:
        await say("app", "jiangdahai", piece)
        clock.advance(seconds=30)
    sent = await say("app", "jiangdahai", "一大早就这样")  # no request by itself: it goes on about the bridge
    first, second = await Request.all().order_by("id")
    assert first.text == "三屯那个桥塌了 车过不去 拖拉机也过不去"
    assert second.text == "一大早就这样" and second.primary == first.primary == "transport"
    assert second.merged_into_id is None  # a request of its own, not a neighbour's report of the same matter
    assert any(f"#{second.number}" in t for t in texts_of(sent))
    clock.advance(seconds=30)
    await say("app", "jiangdahai", "早上校车也过不去")
    assert await Request.all().count() == 2  # the new request grows in turn
    await second.refresh_from_db()
    assert second.text == "一大早就这样 早上校车也过不去"


async def test_a_burst_past_the_size_starts_a_new_request_in_a_group(county, small_bursts, clock):
    say = small_bursts
    await say("aibot", "fengbaolin", "我家房顶漏雨了塌了一块，西屋的墙也裂了", conversation=GRID3_CHAT)
    clock.advance(seconds=30)
    await say("aibot", "fengbaolin", "下雨天屋里全是水，炕都湿了", conversation=GRID3_CHAT)
    clock.advance(seconds=30)
    sent = await say("aibot", "fengbaolin", "房梁也有点歪了", conversation=GRID3_CHAT)
    first, second = await Request.all().order_by("id")
    assert len(first.text) <= 40 and first.primary == "housing"
    assert second.text == "房梁也有点歪了" and second.primary == "housing"
    assert any(f"#{second.number}" in t for t in texts_of(sent) if "#" in t)


async def test_a_piece_moves_the_burst_only_when_all_pieces_say_so(county, say, clock):
    await say("app", "jiangdahai", "我家房顶漏雨了")
    clock.advance(seconds=30)
    await say("app", "jiangdahai", "路灯也不亮")
    request = await Request.get()
    assert request.primary == "housing"  # one word of another department does not outweigh the first
    clock.advance(seconds=30)
    sent = await say("app", "jiangdahai", "停电了 电线杆倒了 变压器冒火 一屯全黑")
    await request.refresh_from_db()
    assert request.primary == "power" and any("改为转给" in t for t in texts_of(sent))
    parts = await TicketEvent.filter(request_id=request.id, kind__in=("recorded", "appended")).order_by("id")
    assert len(parts) == 3 and all("scores" in p.data for p in parts)


async def test_only_the_newest_not_requests_that_fit_are_absorbed(county, small_bursts, clock):
    say = small_bursts
    for piece in ["那个", "就是", "我说", "嗯"]:
        await say("app", "jiangdahai", piece)
        clock.advance(seconds=20)
    await say("app", "jiangdahai", "三屯桥塌了")
    request = await Request.get()
    assert request.text == "我说 嗯 三屯桥塌了"
    assert await NonRequest.filter(absorbed_into_id=None).count() == 2


def decision(primary: str, scores: dict[str, float], is_request: bool = True) -> Decision:
    return Decision(is_request, primary, scores=scores)


def test_votes_give_a_rule_chosen_department_the_best_weight() -> None:
    assert votes(decision("civil_affairs", {"housing": 4.0})) == {"housing": 4.0, "civil_affairs": 4.0}
    assert votes(decision("none", {"power": 1.0}, is_request=False)) == {"power": 1.0}


def test_the_burst_stays_unless_another_department_scores_strictly_more() -> None:
    assert route_of("housing", [{"housing": 4.0}, {"power": 4.0}]).primary == "housing"
    moved = route_of("housing", [{"housing": 4.0}, {"power": 3.0}, {"power": 2.0}])
    assert (moved.primary, moved.moved, moved.totals) == ("power", True, {"housing": 4.0, "power": 5.0})
    assert route_of("village", []).primary == "village"


async def test_in_one_batch_a_burst_still_grows_and_earlier_words_are_still_found(
    county, say, dispatcher, clock, statements
):
    """A batch reads once who said nothing lately (handlers/requests/lately.py); the batch's own messages and
    what was said before it are still found: only a quiet sender's first message skips the two questions."""
    await say("aibot", "fengbaolin", "那个", conversation=GRID3_CHAT)  # not a request: kept for what follows
    await say("aibot", "liuchunmei", "我家房顶漏雨了", conversation=GRID3_CHAT)  # a request still being said
    clock.advance(seconds=30)
    said = {
        "m1": ("zhaoxiaohu", "三屯那个桥塌了"),
        "m2": ("zhaoxiaohu", "车过不去"),  # the same sender's next piece, in the same batch
        "m3": ("fengbaolin", "家里停电好几天了"),
        "m4": ("liuchunmei", "西屋的墙也裂了"),
        "m5": ("wangdaniu", "村口的路灯坏了，晚上看不见"),
    }
    ids = {}
    for key, (sender, text) in said.items():
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
        ids[key] = await record(inbound, key)
    statements.clear()
    done = await dispatcher.process_lanes([[ids["m1"], ids["m2"]], [ids["m3"]], [ids["m4"]], [ids["m5"]]])
    asked = [line for line in statements if 'ORDER BY "updated_at" DESC' in line and 'FROM "request"' in line]
    assert all(done.values()) and len(done) == 5
    texts = {r.sender_ref: r.text for r in await Request.all()}
    assert texts == {
        "zhaoxiaohu": "三屯那个桥塌了 车过不去",
        "fengbaolin": "那个 家里停电好几天了",
        "liuchunmei": "我家房顶漏雨了 西屋的墙也裂了",
        "wangdaniu": "村口的路灯坏了，晚上看不见",
    }
    assert len(asked) == 3  # m2, m3 and m4 asked for their sender's burst; the quiet m1 and m5 did not
