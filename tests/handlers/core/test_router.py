"""The router's own rules, with tiny handlers: include order, fall-through by SkipHandler, which refusal is
the answer, one key class per card scheme."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import pytest

from bot.channels.types import Inbound
from config.errors import UserError
from handlers.core.card_keys import CardKey
from handlers.core.context import Context, Services
from handlers.core.router import Handler, Router, SkipHandler, run_first


@dataclass(frozen=True)
class Refuse:
    """A filter that never lets the message through, answering with `refusal`."""

    refusal: str

    def allows(self, ctx: Context) -> bool:
        return False

    def refuse(self, ctx: Context) -> UserError:
        return UserError(self.refusal)


@dataclass(frozen=True)
class Allow:
    def allows(self, ctx: Context) -> bool:
        return True

    def refuse(self, ctx: Context) -> UserError:
        raise AssertionError("a filter that allows is never asked to refuse")


@dataclass(frozen=True)
class PingKey(CardKey):
    scheme: ClassVar[str] = "ping"
    number: int


@dataclass(frozen=True)
class OtherPingKey(CardKey):
    scheme: ClassVar[str] = "ping"
    word: str


@pytest.fixture
def ctx(services: Services, clock) -> Context:
    inbound = Inbound(
        channel="app",
        message_id="m1",
        sender="zhangwei",
        conversation="",
        kind="text",
        text="探针",
        received_at=clock.now(),
    )
    return Context(inbound=inbound, services=services, now=clock.now())


@pytest.fixture
def calls() -> list[str]:
    return []


def handles(calls: list[str], name: str) -> Handler:
    async def handler(ctx: Context) -> None:
        calls.append(name)

    return handler


def declines(calls: list[str], name: str) -> Handler:
    async def handler(ctx: Context) -> None:
        calls.append(name)
        raise SkipHandler

    return handler


BEHAVIOURS = {"handles": handles, "declines": declines}


def test_parts_are_walked_depth_first_in_include_order() -> None:
    root, a, a1, b = Router("root"), Router("a"), Router("a1"), Router("b")
    root.include_router(a)
    a.include_router(a1)
    root.include_router(b)
    assert [r.name for r in root.routers()] == ["root", "a", "a1", "b"]


async def test_handlers_of_one_command_come_in_include_order(ctx: Context, calls: list[str]) -> None:
    root, a, a1, b = Router("root"), Router("a"), Router("a1"), Router("b")
    for router in (b, a1, root, a):  # the order of registering does not matter, the tree does
        router.command("probe")(handles(calls, router.name))
        router.text()(handles(calls, f"text {router.name}"))
    root.include_router(a)
    a.include_router(a1)
    root.include_router(b)
    for registered in root.for_command("probe") + root.for_text():
        await registered.handler(ctx)
    assert calls == ["root", "a", "a1", "b", "text root", "text a", "text a1", "text b"]
    assert root.for_command("other") == [] and root.for_kind("image") == []


@pytest.mark.parametrize(
    ("handlers", "ran", "handled", "refusal"),
    [
        # (what each candidate does, which ran, whether one handled it, the refusal raised)
        (["handles", "handles"], ["1"], True, None),  # the first that takes it, only
        (["declines", "handles"], ["1", "2"], True, None),  # SkipHandler: the next one runs
        (["declines", "declines"], ["1", "2"], False, None),  # all decline: not handled, no answer
        (["refuse:a", "handles"], ["2"], True, None),  # a refusal is passed over
        (["refuse:a", "refuse:b"], [], False, "a"),  # none left: the first refusal answers
        (["refuse:a", "declines", "refuse:b"], ["2"], False, "a"),
        (["declines", "refuse:b", "handles"], ["1", "3"], True, None),
        ([], [], False, None),
    ],
)
async def test_run_first(
    ctx: Context, calls: list[str], handlers: list[str], ran: list[str], handled: bool, refusal: str | None
) -> None:
    router = Router("probe")
    for number, what in enumerate(handlers, start=1):
        if what.startswith("refuse:"):
            router.command("probe", Refuse(what.removeprefix("refuse:")))(handles(calls, str(number)))
        else:
            router.command("probe", Allow())(BEHAVIOURS[what](calls, str(number)))
    if refusal is None:
        assert await run_first(ctx, router.for_command("probe")) is handled
    else:
        with pytest.raises(UserError) as refused:
            await run_first(ctx, router.for_command("probe"))
        assert refused.value.key == refusal
    assert calls == ran


async def test_of_a_handlers_filters_the_first_that_fails_is_its_refusal(ctx: Context, calls: list[str]) -> None:
    router = Router("probe")
    router.command("probe", Allow(), Refuse("first"), Refuse("second"))(handles(calls, "never"))
    with pytest.raises(UserError) as refused:
        await run_first(ctx, router.for_command("probe"))
    assert refused.value.key == "first" and calls == []


def test_a_card_scheme_belongs_to_one_key_class(calls: list[str]) -> None:
    root, part = Router("root"), Router("part")
    root.card(PingKey)(handles(calls, "root"))
    part.card(PingKey)(handles(calls, "part"))
    root.include_router(part)
    kind, registered = root.for_card("ping")
    assert kind is PingKey and len(registered) == 2
    assert root.for_card("pong") == (None, [])
    with pytest.raises(ValueError, match="belongs to PingKey"):
        root.card(OtherPingKey)
    other = Router("other")
    other.card(OtherPingKey)(handles(calls, "other"))
    root.include_router(other)
    with pytest.raises(ValueError, match="declared by two classes"):
        root.for_card("ping")
