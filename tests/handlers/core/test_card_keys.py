"""Every feature's card button key: `str(key)` parses back to the same key; a malformed key parses to None."""

from __future__ import annotations

import pytest

from handlers.core.card_keys import CardKey
from handlers.features import routers
from handlers.index.cards import FinalKey, ScoreKey
from handlers.members.cards import ConfirmKey, OfferIntoKey, OfferKey
from handlers.powers.cards import StepKey
from handlers.requests.kf.service import KfLinkKey
from handlers.requests.rating.card import RateKey
from handlers.requests.village.service import VillageKey
from handlers.shifts.swap import SwapKey
from handlers.tickets.cards import DutyKey
from handlers.urgent.notice import UrgentKey
from handlers.whistle.proposal import RunnerUpKey, WhistleKey

KEY_CLASSES = (
    DutyKey,
    WhistleKey,
    RunnerUpKey,
    RateKey,
    VillageKey,
    KfLinkKey,
    UrgentKey,
    SwapKey,
    ScoreKey,
    FinalKey,
    ConfirmKey,
    OfferKey,
    StepKey,
    OfferIntoKey,
)


@pytest.mark.parametrize(
    ("key", "text"),
    [
        (DutyKey("on", 12, "transport"), "duty:on:12:transport"),
        (DutyKey("done", 1, "water"), "duty:done:1:water"),
        (DutyKey("return", 1043, "finance"), "duty:return:1043:finance"),
        (DutyKey("progress", 7, "a:b"), "duty:progress:7:a:b"),  # the last field keeps further separators
        (WhistleKey("confirm", 1042), "whistle:confirm:1042"),
        (WhistleKey("reassign", 1), "whistle:reassign:1"),
        (RunnerUpKey(1042, "water"), "whistle_to:1042:water"),
        (RateKey(7, "satisfied"), "rate:7:satisfied"),
        (RateKey(7, "basically_satisfied"), "rate:7:basically_satisfied"),
        (RateKey(70, "unsatisfied"), "rate:70:unsatisfied"),
        (VillageKey("close", 3), "village:close:3"),
        (VillageKey("escalate", 3), "village:escalate:3"),
        (KfLinkKey("yes", "wmAbC-123_x"), "kflink:yes:wmAbC-123_x"),
        (KfLinkKey("no", "wm:with:colons"), "kflink:no:wm:with:colons"),
        (DutyKey("status", 7, "water"), "duty:status:7:water"),
        (UrgentKey(1001), "urgent:1001"),
        (SwapKey("ask", 5, 1, 2, 0), "shift:ask:5:1:2:0"),
        (SwapKey("agree", 5, 1, 2, 9), "shift:agree:5:1:2:9"),
        (ScoreKey("confirm", 17), "iscore:confirm:17"),
        (ScoreKey("cancel", 17), "iscore:cancel:17"),
        (FinalKey(2026, 3), "ifinal:2026:3"),
        (ConfirmKey("yes", 3, 12), "member:yes:3:12"),
        (ConfirmKey("no", 3, 12), "member:no:3:12"),
        (OfferKey(1042), "offer:1042"),
        (StepKey(3, 2), "power:3:2"),
        (OfferIntoKey(1042, 7), "offerinto:1042:7"),
    ],
)
def test_a_key_is_written_and_read_back(key: CardKey, text: str) -> None:
    assert str(key) == text
    assert type(key).parse(text) == key


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        (DutyKey, "duty:on:12"),  # a field missing
        (DutyKey, "duty"),
        (DutyKey, "duty:on:12:"),  # an empty text field
        (DutyKey, "duty:on:x12:transport"),  # an id that is no number
        (DutyKey, "duty:on:-12:transport"),
        (DutyKey, "duty:on: 12:transport"),
        (DutyKey, "duty:off:12:transport"),  # a value outside the Literal
        (DutyKey, "duty:ON:12:transport"),
        (DutyKey, "rate:7:satisfied"),  # another scheme
        (DutyKey, "Duty:on:12:transport"),
        (DutyKey, ""),
        (ScoreKey, "iscore:approve:17"),
        (ScoreKey, "iscore:confirm"),
        (FinalKey, "ifinal:2026:x"),
        (WhistleKey, "whistle:confirm"),
        (WhistleKey, "whistle:confirm:#1042"),
        (WhistleKey, "whistle:confirm:1042:extra"),  # a field too many (the last is an int)
        (WhistleKey, "whistle:approve:1042"),
        (WhistleKey, "duty:on:12:transport"),
        (RateKey, "rate:7"),
        (RateKey, "rate:seven:satisfied"),
        (RateKey, "rate:7:happy"),
        (RateKey, "rate:7:satisfied:x"),
        (RateKey, "village:close:7"),
        (VillageKey, "village:close"),
        (VillageKey, "village:close:3.0"),
        (VillageKey, "village:reopen:3"),
        (VillageKey, "whistle:confirm:3"),
        (KfLinkKey, "kflink:yes"),
        (KfLinkKey, "kflink:yes:"),
        (KfLinkKey, "kflink:maybe:wm1"),
        (KfLinkKey, "kf:yes:wm1"),
        (DutyKey, "duty:on:²:transport"),  # a digit to str.isdigit(), not to int()
        (UrgentKey, "urgent:"),
        (UrgentKey, "urgent:1001:x"),
        (UrgentKey, "urgent:#1001"),
        (SwapKey, "shift:ask:5:1:2"),  # the other's slot missing (0 when none)
        (SwapKey, "shift:take:5:1:2:0"),
        (SwapKey, "shift:agree:5:1:two:0"),
        (ConfirmKey, "member:maybe:3:12"),
        (ConfirmKey, "member:yes:3"),  # the grid missing: a stale card could not be told
        (OfferKey, "offer:"),
        (OfferKey, "offer:#1042"),
        (StepKey, "power:3"),  # the step missing
        (StepKey, "power:3:two"),
        (OfferIntoKey, "offerinto:1042"),  # the 实事 missing
        (OfferIntoKey, "offerinto:1042:two"),
    ],
)
def test_a_malformed_key_parses_to_none(kind: type[CardKey], text: str) -> None:
    assert kind.parse(text) is None


def test_every_feature_key_class_is_tested_here() -> None:
    """A feature that adds a button key adds it to the tables above."""
    registered = {kind for feature in routers() for router in feature.routers() for kind, _ in router.cards.values()}
    assert registered == set(KEY_CLASSES)


@pytest.mark.parametrize(
    ("text", "scheme"),
    [
        ("duty:on:12:transport", "duty"),
        ("rate", "rate"),
        ("", ""),
    ],
)
def test_scheme_of(text: str, scheme: str) -> None:
    assert CardKey.scheme_of(text) == scheme


@pytest.mark.parametrize("scheme", ["", "a:b"])
def test_a_key_class_needs_a_scheme_without_the_separator(scheme: str) -> None:
    with pytest.raises(TypeError, match="scheme"):
        type("BadKey", (CardKey,), {"scheme": scheme})
