"""A flood of messages: lanes keep each sender's order with several workers, urgent overtakes a backlog in
the inbox and the outbox, one person's notices past a few a minute are combined (nothing lost, nothing
twice, 全部确认 presses each item's own button), and /healthz shows the backlog."""

from __future__ import annotations

import asyncio
import dataclasses
import random
from datetime import datetime, timedelta
from typing import ClassVar

import pytest

from bot.channels.types import Address, Button, Card, Inbound, Outbound
from bot.dispatch import Dispatcher
from bot.inbox import InboxWorker, Pass, lanes, record
from bot.outbox import COMBINED, NORMAL, SENT, URGENT, OutboxWorker, enqueue
from bot.outbox.combine import KEY_PREFIX, Allowance, allowance, plan
from config.errors import ConfigError
from handlers.core.card_keys import CardKey
from handlers.core.context import Context, Services
from handlers.core.router import Router
from handlers.features import routers
from models import InboxMessage, OutboxMessage

CADRE = "zhangwei"  # the demo county's township secretary


def inbound(clock, sender: str, text: str, n: int, conversation: str = "") -> Inbound:
    return Inbound(
        channel="app",
        message_id=f"m{n}",
        sender=sender,
        conversation=conversation,
        kind="text",
        text=text,
        received_at=clock.now(),
    )


# -- the inbox ---------------------------------------------------------------------------------------


async def test_several_workers_keep_each_senders_order(db, clock) -> None:
    senders = [f"villager{i}" for i in range(6)]
    stored: dict[int, str] = {}
    for n in range(60):
        sender = senders[n % 5 if n % 7 else 5]
        row_id = await record(inbound(clock, sender, f"第{n}句", n), f"m{n}")
        assert row_id is not None
        stored[row_id] = sender
    handled: list[int] = []
    in_flight = 0
    most_in_flight = 0
    rng = random.Random(3)

    async def process(row_id: int) -> None:
        nonlocal in_flight, most_in_flight
        in_flight += 1
        most_in_flight = max(most_in_flight, in_flight)
        for _ in range(rng.randint(0, 3)):  # uneven work: lanes finish in another order than they started
            await asyncio.sleep(0)
        handled.append(row_id)
        await InboxMessage.filter(id=row_id).update(status="done")
        in_flight -= 1

    worker = InboxWorker(process, clock, workers=4)
    assert await worker.drain() == 60
    assert most_in_flight > 1  # the lanes really ran side by side
    for sender in senders:
        theirs = [row_id for row_id in handled if stored[row_id] == sender]
        assert theirs == sorted(theirs), sender
    assert sorted(handled) == sorted(stored)


async def test_a_failing_row_holds_back_its_own_lane_only(db, clock) -> None:
    first = await record(inbound(clock, "a", "一", 1), "m1")
    second = await record(inbound(clock, "a", "二", 2), "m2")
    other = await record(inbound(clock, "b", "三", 3), "m3")
    handled: list[int | None] = []

    async def process(row_id: int) -> None:
        if row_id == first:
            raise RuntimeError("the database went away")
        handled.append(row_id)
        await InboxMessage.filter(id=row_id).update(status="done")

    assert await InboxWorker(process, clock, workers=2).drain() == 1
    assert handled == [other] and second not in handled


async def test_an_urgent_message_overtakes_the_backlog(db, clock, services: Services) -> None:
    dispatcher = Dispatcher(services, routers())
    for n in range(30):
        await record(inbound(clock, f"v{n}", "村口路灯坏了三天了，晚上看不见路", n), f"m{n}")
    await record(inbound(clock, "late", "河水漫进屯里了，房子进水了，快来人", 99), "m99")
    await record(inbound(clock, "late", "我家老人还在屋里", 100), "m100")
    handled: list[str] = []

    async def process(row_id: int) -> None:
        row = await InboxMessage.get(id=row_id)
        handled.append(row.payload["sender"])
        await InboxMessage.filter(id=row_id).update(status="done")

    await InboxWorker(process, clock, workers=1, urgent=dispatcher.urgent).drain()
    assert handled[:2] == ["late", "late"] and len(handled) == 32


@pytest.mark.parametrize("workers", [1, 2])
async def test_an_urgent_message_stored_during_a_pass_goes_before_the_rest_of_that_pass(
    db, clock, services: Services, workers: int
) -> None:
    dispatcher = Dispatcher(services, routers())
    senders = {
        await record(inbound(clock, f"v{n}", "村口路灯坏了三天了，晚上看不见路", n), f"m{n}"): f"v{n}"
        for n in range(40)
    }
    handled: list[str] = []
    started_before_it: list[int] = []

    async def process(row_id: int) -> None:
        handled.append(senders[row_id])
        await InboxMessage.filter(id=row_id).update(status="done")
        if senders[row_id] == "v0":  # while the pass is under way, a flood report arrives
            late = inbound(clock, "late", "河水漫进屯里了，房子进水了，快来人", 99)
            late_id = await record(late, "m99")
            senders[late_id] = "late"
            started_before_it.append(len(handled))
            worker.stored(late_id, late)
            await asyncio.sleep(0)  # the callback is answered; then the worker looks at what it stored

    # 40 rows: more than a round of the workers takes (workers × 8), so the pass is joined
    worker = InboxWorker(process, clock, workers=workers, rows_per_transaction=8, urgent=dispatcher.urgent)
    assert await worker.drain() == 41
    # It waits for the lanes already started, not for the rest of the pass.
    assert handled.index("late") == started_before_it[0] <= workers + 1
    assert sorted(handled) == sorted(senders.values()) and worker.overtakings == 1


async def test_an_urgent_message_stored_as_a_pass_nears_its_end_goes_first_in_the_next(db, clock, services) -> None:
    # A pass with fewer rows left than the workers take in a round ends soon: joining it would make the
    # newcomer a transaction of its own (and, in a flood, keep a pass begun on a short backlog going).
    dispatcher = Dispatcher(services, routers())
    senders = {
        await record(inbound(clock, f"v{n}", "村口路灯坏了三天了，晚上看不见路", n), f"m{n}"): f"v{n}" for n in range(4)
    }
    handled: list[str] = []

    async def process(row_id: int) -> None:
        handled.append(senders[row_id])
        await InboxMessage.filter(id=row_id).update(status="done")
        if senders[row_id] == "v0":  # stored meanwhile: an ordinary report, then a flood report
            for n, (sender, text) in enumerate(
                (("w", "村口路灯坏了三天了"), ("late", "河水漫进屯里了，房子进水了，快来人"))
            ):
                message = inbound(clock, sender, text, 50 + n)
                row = await record(message, f"m{50 + n}")
                senders[row] = sender
                worker.stored(row, message)
            await asyncio.sleep(0)

    worker = InboxWorker(process, clock, workers=1, rows_per_transaction=4, urgent=dispatcher.urgent)
    assert await worker.drain() == 6
    assert handled == ["v0", "v1", "v2", "v3", "late", "w"] and worker.overtakings == 0


def test_a_lane_with_an_urgent_message_goes_first_with_its_earlier_messages() -> None:
    rows = [
        (1, {"channel": "app", "sender": "a", "text": "x"}),
        (2, {"channel": "app", "sender": "b", "text": "x"}),
        (3, {"channel": "app", "sender": "b", "text": "着火了"}),
        (4, {"channel": "app", "sender": "a", "text": "x"}),
        (5, {"channel": "app", "conversation": "g1", "sender": "a", "text": "x"}),
    ]
    ordered, pressing = lanes(rows, lambda p: "着火" in p["text"])
    assert [ids for _, ids in ordered] == [[2, 3], [1, 4], [5]] and pressing == {("app", "", "b")}


def test_an_urgent_row_joins_its_waiting_lane_or_goes_next_alone_but_never_ahead_of_its_own_lane() -> None:
    running = Pass([(("app", "", "a"), [1, 4]), (("app", "", "b"), [2]), (("app", "", "c"), [3])])
    assert running.take(1) == [[1, 4]]  # a's lane is under way
    assert running.overtake(("app", "", "c"), 7)  # c's lane waits: it goes next, its earlier row first
    assert running.overtake(("app", "", "d"), 8)  # a newcomer: a lane of its own, next of all
    assert not running.overtake(("app", "", "a"), 9)  # behind a's rows under way: the next pass has it
    assert not running.overtake(("app", "", "b"), 2)  # read by this pass already
    assert [running.take(1) for _ in range(4)] == [[[8]], [[3, 7]], [[2]], []]


def test_a_transaction_that_begins_with_an_urgent_lane_stays_small() -> None:
    # an urgent answer waits for the rows of its own transaction: in a backlog ordinary rows share larger ones
    ordered = [(("app", "", f"u{n}"), [n]) for n in range(10)] + [(("app", "", f"o{n}"), [10 + n]) for n in range(30)]
    running = Pass(ordered, pressing={key for key, _ in ordered[:10]})
    assert running.take(24, 8) == [[n] for n in range(8)]  # urgent lanes: 8 at most
    assert running.take(24, 8) == [[8], [9]] + [[10 + n] for n in range(6)]  # begins urgent: still 8
    assert running.take(24, 8) == [[16 + n] for n in range(24)]  # ordinary lanes: 24
    assert running.overtake(("app", "", "late"), 99)  # an urgent row stored meanwhile goes next, alone
    assert running.take(24, 8) == [[99]]


# -- the outbox: urgent first ------------------------------------------------------------------------


async def test_urgent_overtakes_a_backlog_also_to_one_recipient(api, fake_wecom, clock) -> None:
    for n in range(5):
        await enqueue(Outbound(Address("webhook", "hook"), text=f"通知{n}"), now=clock.now())
    await enqueue(Outbound(Address("webhook", "hook"), text="紧急"), now=clock.now(), priority=URGENT)
    for n in range(3):
        await enqueue(Outbound(Address("app", f"other{n}"), text=f"别人{n}"), now=clock.now())
    await enqueue(Outbound(Address("app", "u9"), text="紧急2"), now=clock.now(), priority=URGENT)
    worker = OutboxWorker(api, clock, [])
    await worker.run_once(2)  # room for two: the two urgent ones, though queued last
    sent = [b["text"]["content"] for b in fake_wecom.state.bodies("webhook/send")]
    sent += [b["text"]["content"] for b in fake_wecom.state.bodies("message/send")]
    assert sorted(sent) == ["紧急", "紧急2"]
    await worker.run_once(100)
    hook = [b["text"]["content"] for b in fake_wecom.state.bodies("webhook/send")]
    assert hook == ["紧急", "通知0", "通知1", "通知2", "通知3", "通知4"]


async def test_urgent_goes_first_within_a_full_budget(api, fake_wecom, clock) -> None:
    """The webhook's 20 a minute: the urgent row queued 25th is among the first 20."""
    for n in range(24):
        await enqueue(Outbound(Address("webhook", "hook"), text=f"通知{n}"), now=clock.now())
    await enqueue(Outbound(Address("webhook", "hook"), text="紧急"), now=clock.now(), priority=URGENT)
    await OutboxWorker(api, clock, []).run_once(100)
    hook = [b["text"]["content"] for b in fake_wecom.state.bodies("webhook/send")]
    assert len(hook) == 20 and hook[0] == "紧急"


async def test_a_batch_that_all_waits_for_one_persons_allowance_does_not_hold_up_the_rows_behind_it(
    api, fake_wecom, clock
) -> None:
    """The township secretary's minute is spent: the next twenty rows wait for it, and the villagers' answers
    queued behind them are sent in the same drain, not on the worker's next idle tick."""
    worker = OutboxWorker(api, clock, [])
    for n in range(30):
        await enqueue(Outbound(Address("app", CADRE), text=f"通知{n}"), now=clock.now())
    await worker.run_once(100)  # his thirty a minute
    for n in range(20):
        await enqueue(Outbound(Address("app", CADRE), text=f"又一件{n}"), now=clock.now())
    for n in range(5):
        await enqueue(Outbound(Address("app", f"villager{n}"), text=f"答复{n}"), now=clock.now())
    assert await worker.drain(10, NORMAL) == 5
    answered = {b["touser"] for b in fake_wecom.state.bodies("message/send")} - {CADRE}
    assert answered == {f"villager{n}" for n in range(5)}
    waiting = await OutboxMessage.filter(status="pending", target=CADRE)
    assert len(waiting) == 20 and all(r.not_before == clock.now() + timedelta(minutes=1) for r in waiting)


# -- the outbox: combining ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ConfirmKey(CardKey):
    scheme: ClassVar[str] = "flooditem"
    item: int


def item_card(n: int) -> Card:
    return Card(
        task_id=f"item-{n}",
        title=f"新诉求 #{1000 + n}",
        description="村口路灯坏了",
        buttons=(Button(str(ConfirmKey(n)), "确认"), Button(f"flooditem:{n}:later", "稍后")),
    )


async def notices(services: Services, count: int, *, urgent_from: int | None = None) -> None:
    for n in range(count):
        urgent = urgent_from is not None and n >= urgent_from
        await services.reach.person(CADRE, card=item_card(n), urgent=urgent, dedupe_key=f"flood-item:{n}")


def what_went(fake) -> list[dict]:
    return [b for b in fake.state.bodies("message/send") if b["touser"] == CADRE]


async def test_notices_past_the_allowance_go_as_one_combined_card(api, fake_wecom, clock, services) -> None:
    rule = allowance()
    await notices(services, 12)
    worker = OutboxWorker(api, clock, [])
    await worker.run_once(100)
    went = what_went(fake_wecom)
    assert len(went) == rule.per_minute  # three alone and one that combines the other nine
    combined = went[-1]["template_card"]
    assert combined["main_title"]["title"] == services.texts.render("outbox.combined_title", count=9, urgent=0)
    assert [b["text"] for b in combined["button_list"]][0] == services.texts.render("outbox.combined_all")
    rows = await OutboxMessage.filter(dedupe_key__startswith="flood-item:").order_by("id")
    alone = [r for r in rows if r.status == SENT]
    folded = [r for r in rows if r.status == COMBINED]
    assert len(alone) == 3 and len(folded) == 9  # nothing lost
    row = await OutboxMessage.get(dedupe_key__startswith=KEY_PREFIX)
    assert row.status == SENT and {r.result["combined_into"] for r in folded} == {row.id}
    assert [item["id"] for item in row.payload["combined"]] == [r.id for r in folded]  # nothing twice
    for r in folded:
        assert f"#{1000 + int(r.dedupe_key.split(':')[1])}" in combined["main_title"]["desc"]


async def test_a_person_whose_allowance_is_spent_waits_then_gets_one_message(api, fake_wecom, clock, services) -> None:
    await notices(services, 4)
    worker = OutboxWorker(api, clock, [])
    await worker.run_once(100)
    assert len(what_went(fake_wecom)) == 4
    for n in range(4, 10):
        await services.reach.person(CADRE, card=item_card(n), dedupe_key=f"flood-item:{n}")
    assert await worker.run_once(100) == 0  # spent: they wait for the minute, not dropped
    waiting = await OutboxMessage.filter(status="pending", target=CADRE)
    assert len(waiting) == 6 and all(r.not_before == clock.now() + timedelta(minutes=1) for r in waiting)
    clock.advance(minutes=1)
    await worker.run_once(100)
    went = what_went(fake_wecom)
    assert len(went) == 8  # a fresh minute: three of them alone and one combining the other three
    assert await OutboxMessage.filter(status="pending").count() == 0


async def test_urgent_notices_go_alone_first_and_past_their_allowance_are_combined_urgent_first(
    api, fake_wecom, clock, services
) -> None:
    rule = allowance()
    await notices(services, 30, urgent_from=10)  # twenty urgent, queued after ten ordinary ones
    await OutboxWorker(api, clock, []).run_once(100)
    went = what_went(fake_wecom)
    assert len(went) == rule.urgent_per_minute
    alone = [b["template_card"]["main_title"]["title"] for b in went[:-1]]
    assert alone == [f"新诉求 #{1000 + n}" for n in range(10, 10 + rule.urgent_per_minute - 1)]
    combined = went[-1]["template_card"]
    rest = 30 - (rule.urgent_per_minute - 1)
    urgent_left = 20 - (rule.urgent_per_minute - 1)
    title = services.texts.render("outbox.combined_title_urgent", count=rest, urgent=urgent_left)
    assert combined["main_title"]["title"] == title
    lines = combined["main_title"]["desc"].splitlines()
    mark = services.texts.render("outbox.combined_urgent_mark")
    assert all(mark in line for line in lines[:urgent_left]) and not any(mark in line for line in lines[urgent_left:])


def test_the_allowance_plan_never_exceeds_a_persons_budget() -> None:
    rule = Allowance(per_minute=4, urgent_per_minute=10, largest=30, listed=20)
    now = datetime(2026, 11, 16, 9, 0)
    rows = [
        OutboxMessage(id=n, kind="app", target="x", payload={"text": "t", "notice": True}, attempts=0)
        for n in range(50)
    ]
    for row in rows:
        row.priority = 0
    for used in range(0, 6):
        recent = [now - timedelta(seconds=10)] * used
        result = plan(rows, recent, now, rule)
        sends = len(result.alone) + (1 if result.combined else 0)
        assert used + sends <= max(rule.per_minute, used)
        assert len(result.alone) + len(result.combined) + len(result.waiting) == 50


@pytest.fixture
def clicked() -> list[int]:
    return []


@pytest.fixture
def item_dispatcher(county, services: Services, clicked: list[int]) -> Dispatcher:
    items = Router("flood-items")

    @items.card(ConfirmKey)
    async def confirm(ctx: Context) -> None:
        clicked.append(ctx.clicked(ConfirmKey).item)
        ctx.reply_text(f"已确认 {ctx.clicked(ConfirmKey).item}")

    return Dispatcher(services, [items, *routers()])


async def test_confirm_all_presses_each_items_first_button_once(
    api, fake_wecom, clock, services, item_dispatcher, say_through, clicked
) -> None:
    await notices(services, 12)
    await OutboxWorker(api, clock, []).run_once(100)
    row = await OutboxMessage.get(dedupe_key__startswith=KEY_PREFIX)
    key = row.payload["card"]["buttons"][0]["key"]
    say = say_through(item_dispatcher)
    answer = await say(
        "app", CADRE, kind="card_click", extra={"event_key": key, "task_id": row.payload["card"]["task_id"]}
    )
    assert clicked == list(range(3, 12))
    text = answer[0].payload["text"]
    assert services.texts.render("outbox.combined_done", count=9) in text and "已确认 11" in text


async def test_one_items_button_presses_that_one_and_sends_the_rest_again(
    api, fake_wecom, clock, services, item_dispatcher, say_through, clicked
) -> None:
    await notices(services, 12)
    worker = OutboxWorker(api, clock, [])
    await worker.run_once(100)
    row = await OutboxMessage.get(dedupe_key__startswith=KEY_PREFIX)
    second = row.payload["card"]["buttons"][2]  # the second item's own button
    await say_through(item_dispatcher)("app", CADRE, kind="card_click", extra={"event_key": second["key"]})
    assert clicked == [4]
    token = row.payload["card"]["task_id"].removeprefix("combined-")
    again = await OutboxMessage.get(dedupe_key=f"{KEY_PREFIX}{token}-2")
    items = [item["id"] for item in row.payload["combined"]]
    assert [item["id"] for item in again.payload["combined"]] == [items[0], *items[2:]]  # all but the pressed one


async def test_someone_else_cannot_press_a_combined_card(
    api, fake_wecom, clock, services, item_dispatcher, say_through, clicked
) -> None:
    await notices(services, 12)
    await OutboxWorker(api, clock, []).run_once(100)
    row = await OutboxMessage.get(dedupe_key__startswith=KEY_PREFIX)
    key = row.payload["card"]["buttons"][0]["key"]
    answer = await say_through(item_dispatcher)("app", "lihong", kind="card_click", extra={"event_key": key})
    assert clicked == [] and answer[0].payload["text"] == services.texts.render("outbox.combined_gone")


# -- /healthz ----------------------------------------------------------------------------------------


async def test_healthz_reports_the_backlog_in_its_body(service, http, clock) -> None:
    for n in range(3):
        await enqueue(Outbound(Address("app", f"u{n}"), text="x"), now=clock.now())
    await enqueue(
        Outbound(Address("app", "u9"), text="明早"), now=clock.now(), not_before=clock.now() + timedelta(hours=1)
    )
    async with http.get(service.base_url + "/healthz") as answer:
        assert answer.status == 200
        body = await answer.json()
    assert body["backlog"] == {"inbox_pending": 0, "outbox_due": 3, "outbox_waiting": 1, "inbox_largest_seen": 0}


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("[combine]\nper_minute = 0\n", "per_minute <= urgent_per_minute"),
        ("[combine]\nper_minute = 'four'\n", "[combine] per_minute: a whole number"),
        ("[combine]\nperminute = 4\n", "[combine] perminute: unknown key"),
    ],
)
def test_a_wrong_allowance_names_the_file_and_key(tmp_path, text: str, named: str) -> None:
    path = tmp_path / "outbox.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        allowance(path)
    assert str(path) in str(error.value) and named in str(error.value)


async def test_a_flood_for_one_person_goes_in_one_combined_message_not_one_per_batch(
    api, fake_wecom, clock, services
) -> None:
    await notices(services, 120)
    await OutboxWorker(api, clock, []).run_once(50)  # a batch smaller than the flood
    went = what_went(fake_wecom)
    assert len(went) == 4
    assert went[-1]["template_card"]["main_title"]["title"] == services.texts.render(
        "outbox.combined_title", count=117, urgent=0
    )
    assert await OutboxMessage.filter(status="pending").count() == 0
