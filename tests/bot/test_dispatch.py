"""The dispatcher on the real database with the demo county: who is speaking and where, which handler, and
what is answered — with a small `probe` feature in front of the real ones (handlers/features.py)."""

from __future__ import annotations

import asyncio
import dataclasses
import re
from collections.abc import Callable
from typing import Any

import pytest

from bot.channels.types import Address, Inbound, Outbound
from bot.clock import ManualClock
from bot.dispatch import Dispatcher
from bot.inbox import record
from bot.outbox import enqueue
from config.subcommands import Subcommands
from config.texts import CommandWords
from handlers.core.context import Context, Services
from handlers.core.filters import Roles
from handlers.core.router import Router, SkipHandler
from handlers.features import routers
from models import InboxMessage, OutboxMessage, Person, Request

VILLAGER, COMMITTEE, ADMIN = "jiangdahai", "zhangwei", "admin"  # the demo county's people; admins are ("admin",)
GRID_CHAT = "wrkSFfCgAAhoudaolao1"  # a registered aibot group chat of the demo county


@pytest.fixture
def probe() -> Router:
    """The probe feature, tried before the real ones; each test registers the handlers it needs."""
    return Router("probe")


@pytest.fixture
def probe_services(services: Services) -> Services:
    """The shipped services, plus the command word 探针 (probe) with subcommands 甲, 乙乙 and 丙."""
    return dataclasses.replace(
        services,
        commands=CommandWords({**services.commands.by_word, "探针": "probe"}),
        subcommands={
            **services.subcommands,
            "probe": Subcommands("probe", {"甲": "first", "乙乙": "second", "丙": "third"}),
        },
    )


@pytest.fixture
def probe_dispatcher(county: None, probe_services: Services, probe: Router) -> Dispatcher:
    """The real dispatcher with the probe feature first, then every real feature, on the demo county."""
    return Dispatcher(probe_services, [probe, *routers()])


@pytest.fixture
def send(say_through: Callable[[Dispatcher], Any], probe_dispatcher: Dispatcher):
    """`say` (tests/conftest.py) through the probe dispatcher."""
    return say_through(probe_dispatcher)


@pytest.fixture
def calls() -> list[tuple[str, ...]]:
    return []


def texts_to(rows: list[OutboxMessage], target: str) -> list[str]:
    return [row.payload["text"] for row in rows if row.target == target and "text" in row.payload]


async def test_a_filters_refusal_is_the_reply(send, probe: Router, services: Services, calls: list) -> None:
    @probe.command("probe", Roles(("township_committee",), "whistle.not_committee"))
    async def committee_only(ctx: Context) -> None:
        calls.append((ctx.inbound.sender,))

    assert texts_to(await send("app", VILLAGER, "探针"), VILLAGER) == [services.texts.render("whistle.not_committee")]
    assert calls == []
    assert await send("app", COMMITTEE, "探针") == [] and calls == [(COMMITTEE,)]


async def test_a_declining_handler_falls_through_to_the_next_and_then_to_free_text(
    send, probe: Router, calls: list
) -> None:
    @probe.command("probe")
    async def first(ctx: Context) -> None:
        calls.append(("first", ctx.command, ctx.inbound.typed(ctx.args)))
        raise SkipHandler

    @probe.command("probe")
    async def second(ctx: Context) -> None:
        calls.append(("second", ctx.command, ctx.inbound.typed(ctx.args)))
        raise SkipHandler

    @probe.text()
    async def free_text(ctx: Context) -> None:
        calls.append(("text", ctx.command, ctx.args))
        raise SkipHandler  # … so the real requests feature records it

    await send("app", VILLAGER, "探针 三屯那个桥塌了一半，车过不去")
    bridge = "三屯那个桥塌了一半，车过不去"  # a command's args, as typed, keep their Chinese punctuation
    assert calls == [("first", "probe", bridge), ("second", "probe", bridge), ("text", "", "")]
    request = await Request.get()
    assert "桥塌了一半" in request.text and request.primary == "transport"


@pytest.mark.parametrize(
    ("text", "handled_by"),
    [
        ("探针 甲 东西", ("first", "first", "东西")),
        ("探针甲", ("first", "first", "")),
        ("探针 甲乙", ("first", "first", "乙")),
        ("探针 乙乙  东西 多 ", ("second", "second", "东西 多")),
        ("探针 随便说说", ("bare", "", "随便说说")),
        ("探针", ("bare", "", "")),
        ("探针 丙 东西", ("bare", "", "丙 东西")),  # a declared word no handler registered for: the bare command's
    ],
)
async def test_a_declared_subcommand_reaches_its_handler_with_the_rest_as_args(
    send, probe: Router, calls: list, text: str, handled_by: tuple[str, str, str]
) -> None:
    for name, sub in (("bare", None), ("first", "first"), ("second", "second")):

        async def handler(ctx: Context, name: str = name) -> None:
            calls.append((name, ctx.sub, ctx.args))

        probe.command("probe", sub=sub)(handler)

    await send("app", VILLAGER, text)
    assert calls == [handled_by]


@pytest.mark.parametrize(
    "key",
    [
        "nosuch:1",  # a scheme no feature registered
        "duty:on:abc:transport",  # a known scheme, an id that is no number
        "duty:on:12",  # a field missing
        "whistle:approve:1001",  # a value outside the Literal
        "",
    ],
)
async def test_a_card_the_bot_cannot_read_gets_the_polite_answer(send, services: Services, key: str) -> None:
    rows = await send("app", COMMITTEE, kind="card_click", extra={"event_key": key, "task_id": "t1"})
    assert texts_to(rows, COMMITTEE) == [services.texts.render("common.bad_card")] and len(rows) == 1
    assert (await InboxMessage.get()).error == ""


async def test_an_unregistered_group_is_told_and_the_admins_once(send, services: Services) -> None:
    rows = await send("aibot", VILLAGER, "三屯那个桥塌了一半，车过不去", conversation="wr-not-in-the-org-file")
    (answer,) = [row for row in rows if row.kind == "aibot"]
    assert answer.payload["text"] == services.texts.render("chat.unregistered")
    told = services.texts.render("chat.unregistered_admin", chatid="wr-not-in-the-org-file", channel="aibot")
    assert texts_to(rows, ADMIN) == [told]
    again = await send("aibot", VILLAGER, "还没人管吗", conversation="wr-not-in-the-org-file")
    assert [row.kind for row in again] == ["aibot"]  # the group hears it again, the admins do not
    assert not await Request.exists()


@pytest.mark.parametrize(("channel", "conversation"), [("app", ""), ("aibot", GRID_CHAT)])
async def test_an_unexpected_failure_leaves_nothing_half_written_and_answers_with_a_trace_id(
    send, probe: Router, services: Services, clock: ManualClock, channel: str, conversation: str
) -> None:
    @probe.command("probe")
    async def half_way(ctx: Context) -> None:
        await Person.filter(userid=VILLAGER).update(name="半截")
        await enqueue(Outbound(Address("app", COMMITTEE), text="半截的通知"), now=ctx.now)
        ctx.reply_text("半截的回答")
        raise RuntimeError("a bug in a handler")

    rows = await send(channel, VILLAGER, "探针", conversation=conversation)
    assert (await Person.get(userid=VILLAGER)).name == "姜大海"
    row = await InboxMessage.get()
    trace_id = re.fullmatch(r"trace ([0-9a-f]{8})", row.error).group(1)
    assert row.status == "done"
    if conversation:  # a group is not told about the bot's bugs
        assert rows == []
    else:
        assert texts_to(rows, VILLAGER) == [services.texts.render("common.error", trace_id=trace_id)]
        assert len(rows) == 1


async def test_a_message_processed_twice_is_handled_once(
    probe_dispatcher: Dispatcher, probe: Router, calls: list, clock: ManualClock
) -> None:
    dispatcher = probe_dispatcher

    @probe.command("probe")
    async def counted(ctx: Context) -> None:
        calls.append((ctx.inbound.message_id,))
        ctx.reply_text("收到")

    inbound = Inbound(
        channel="app",
        message_id="m1",
        sender=VILLAGER,
        conversation="",
        kind="text",
        text="探针",
        received_at=clock.now(),
    )
    row_id = await record(inbound, "m1")
    await dispatcher.process(row_id)
    await dispatcher.process(row_id)  # the worker of a second process, or a retry after a lost commit
    assert calls == [("m1",)]
    second = await record(dataclasses.replace(inbound, message_id="m2"), "m2")
    await asyncio.gather(dispatcher.process(second), dispatcher.process(second))  # two at the same moment
    assert calls == [("m1",), ("m2",)]
    assert [row.payload["text"] for row in await OutboxMessage.all()] == ["收到", "收到"]
    assert {row.status for row in await InboxMessage.all()} == {"done"}
