"""A correctly signed callback dated far from our clock is a replay (or a wrong clock): 403, logged, nothing
stored. WeCom's own retries of one message, seconds apart, pass and store it once."""

from __future__ import annotations

import logging

import pytest

from config.errors import ConfigError
from config.settings import load_settings
from models import InboxMessage

HOUR = 3600


def text_message(msgid: str) -> dict[str, object]:
    return {
        "msgid": msgid,
        "msgtype": "text",
        "chattype": "single",
        "from": {"userid": "u1"},
        "text": {"content": "路灯坏了"},
    }


@pytest.mark.parametrize(
    "hours", [-365 * 24, -2, 24, 2], ids=["a-year-ago", "two-hours-ago", "a-day-ahead", "two-hours-ahead"]
)
async def test_a_signed_callback_outside_the_window_is_403(service, peer, clock, caplog, hours: int) -> None:
    caplog.set_level(logging.INFO)
    query, body = peer.aibot_envelope(text_message(f"new-{hours}"))  # a new MsgId, signed at the clock's now
    clock.advance(hours=-hours)  # so the callback is dated `hours` from our clock
    answer = await peer.post("/wecom/aibot", query, body)
    assert answer.status == 403
    assert await InboxMessage.all().count() == 0
    [line] = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert line.startswith("aibot callback refused: timestamp outside the window")
    assert f"{hours * HOUR:+d} s from our clock" in line


async def test_the_window_is_inclusive_of_max_clock_skew(service, peer, clock) -> None:
    query, body = peer.aibot_envelope(text_message("edge"))
    clock.advance(seconds=HOUR)
    assert (await peer.post("/wecom/aibot", query, body)).status == 200
    clock.advance(seconds=1)
    assert (await peer.post("/wecom/aibot", query, body)).status == 403
    assert await InboxMessage.all().count() == 1


async def test_the_app_endpoint_has_the_window_too(service, peer, clock) -> None:
    xml = (
        "<xml><ToUserName>c</ToUserName><FromUserName>u1</FromUserName><CreateTime>1</CreateTime>"
        "<MsgType>text</MsgType><Content>hi</Content><MsgId>77</MsgId><AgentID>1000002</AgentID></xml>"
    )
    query, body = peer.app_envelope(xml)
    clock.advance(days=1)
    assert (await peer.post("/wecom/app", query, body)).status == 403
    assert await InboxMessage.all().count() == 0


async def test_wecoms_retries_seconds_apart_pass_and_store_once(service, peer, clock) -> None:
    query, body = peer.aibot_envelope(text_message("retried"))
    for _ in range(4):  # the first delivery and three retries
        assert (await peer.post("/wecom/aibot", query, body)).status == 200
        clock.advance(seconds=5)
    assert await InboxMessage.all().count() == 1


@pytest.mark.parametrize("value", [0, 5, -3600, 10**9, "an hour"])
def test_a_bad_max_clock_skew_names_the_key(value: object) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(wecom={"max_clock_skew": value})
    assert "[wecom] max_clock_skew" in str(caught.value)


def test_max_clock_skew_defaults_to_an_hour() -> None:
    assert load_settings().wecom.max_clock_skew == HOUR
