"""The async WeCom client against the sandbox over loopback HTTP: token sharing, bounded retries, errors."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from bot.channels.wecom_api import TIMED_OUT, TRANSPORT_ERROR, WecomApi, split_utf8
from bot.clock import ManualClock
from config.errors import ChannelError
from config.settings import AppSettings, WecomSettings
from models import ApiToken

NO_WAIT = (0.0, 0.0, 0.0)
TEXT = {"touser": "zhangwei", "msgtype": "text", "agentid": 1000002, "text": {"content": "你好"}}


def client(http: aiohttp.ClientSession, wecom: WecomSettings, clock: ManualClock) -> WecomApi:
    return WecomApi(http, wecom, clock, busy_delays=NO_WAIT)


async def test_two_clients_share_one_token_through_the_database(db, http, wecom, clock, fake_wecom):
    first, second = client(http, wecom, clock), client(http, wecom, clock)
    await first.call("message/send", TEXT)
    await second.call("message/send", TEXT)
    assert fake_wecom.state.gettoken_calls == 1
    row = await ApiToken.get(key=f"{wecom.corp_id}:{wecom.app.agent_id}")
    assert row.token and row.refresh_lock_until is None


async def test_concurrent_clients_fetch_one_token(db, http, wecom, clock, fake_wecom):
    clients = [client(http, wecom, clock) for _ in range(4)]
    tokens = await asyncio.gather(*(c.token() for c in clients))
    assert len(set(tokens)) == 1
    assert fake_wecom.state.gettoken_calls == 1


async def test_token_is_refreshed_shortly_before_it_expires(db, http, wecom, clock, fake_wecom):
    api = client(http, wecom, clock)
    old = await api.token()
    clock.advance(seconds=7200 - 60)
    new = await api.token()
    assert new != old and fake_wecom.state.gettoken_calls == 2


async def test_an_invalidated_token_is_fetched_again(db, http, wecom, clock, fake_wecom):
    api = client(http, wecom, clock)
    await api.call("message/send", TEXT)
    fake_wecom.state.invalidate_tokens()  # WeCom expires tokens early: 42001
    await api.call("message/send", TEXT)
    assert fake_wecom.state.gettoken_calls == 2
    assert [c.answer["errcode"] for c in fake_wecom.state.calls("message/send")] == [0, 42001, 0]


async def test_token_errors_are_retried_a_bounded_number_of_times(db, http, wecom, clock, fake_wecom):
    fake_wecom.state.fail_next("message/send", 10, errcode=42001)
    with pytest.raises(ChannelError) as caught:
        await client(http, wecom, clock).call("message/send", TEXT)
    assert caught.value.errcode == 42001
    assert len(fake_wecom.state.calls("message/send")) == 3  # the call and two refetches
    assert fake_wecom.state.gettoken_calls == 3


async def test_system_busy_is_retried_at_most_three_times(db, http, wecom, clock, fake_wecom):
    fake_wecom.state.fail_next("message/send", 3, errcode=-1)
    answer = await client(http, wecom, clock).call("message/send", TEXT)
    assert answer["msgid"]
    fake_wecom.state.fail_next("message/send", 4, errcode=-1)
    with pytest.raises(ChannelError) as caught:
        await client(http, wecom, clock).call("message/send", TEXT)
    assert caught.value.errcode == -1
    assert len(fake_wecom.state.calls("message/send")) == 4 + 4


async def test_rate_limit_is_not_retried_by_the_client(db, http, wecom, clock, fake_wecom):
    fake_wecom.state.fail_next("message/send", 1, errcode=45009)
    with pytest.raises(ChannelError) as caught:
        await client(http, wecom, clock).call("message/send", TEXT)
    assert caught.value.errcode == 45009
    assert len(fake_wecom.state.calls("message/send")) == 1  # the worker waits, the client does not hammer


async def test_http_errors_become_channel_errors(db, http, wecom, clock, fake_wecom):
    fake_wecom.state.fail_next("message/send", 1, mode="http", status=502)
    with pytest.raises(ChannelError) as caught:
        await client(http, wecom, clock).call("message/send", TEXT)
    assert caught.value.errcode == TRANSPORT_ERROR and "502" in caught.value.errmsg


async def test_a_slow_answer_times_out_as_maybe_taken(db, http, wecom, clock, fake_wecom):
    fake_wecom.state.fail_next("message/send", 1, mode="slow", delay=5)
    impatient = WecomApi(http, wecom, clock, timeout=0.2, busy_delays=NO_WAIT)
    with pytest.raises(ChannelError) as caught:
        await impatient.call("message/send", TEXT)
    assert caught.value.errcode == TIMED_OUT  # sent, answer unknown: not the same as "nothing went out"


async def test_a_slow_token_fetch_is_a_transport_error(db, http, wecom, clock, fake_wecom):
    """No token, no message: a timeout there says nothing about whether WeCom took a send."""
    fake_wecom.state.fail_next("gettoken", 1, mode="slow", delay=5)
    impatient = WecomApi(http, wecom, clock, timeout=0.2, busy_delays=NO_WAIT)
    with pytest.raises(ChannelError) as caught:
        await impatient.call("message/send", TEXT)
    assert caught.value.errcode == TRANSPORT_ERROR and caught.value.api == "gettoken"
    assert fake_wecom.state.calls("message/send") == []


async def test_a_wrong_secret_is_reported(db, http, wecom, clock, fake_wecom):
    wrong = wecom.model_copy(update={"app": AppSettings(secret="not-the-secret")})
    with pytest.raises(ChannelError) as caught:
        await client(http, wrong, clock).call("message/send", TEXT)
    assert caught.value.errcode == 40001 and caught.value.api == "gettoken"
    assert (await ApiToken.get(key=f"{wrong.corp_id}:{wrong.app.agent_id}")).refresh_lock_until is None


async def test_unreachable_server_is_a_transport_error(db, http, clock):
    nowhere = WecomSettings(api_base="http://127.0.0.1:9/cgi-bin")  # the discard port: refused
    with pytest.raises(ChannelError) as caught:
        await client(http, nowhere, clock).call("message/send", TEXT)
    assert caught.value.errcode == TRANSPORT_ERROR


def test_split_keeps_pieces_within_the_byte_limit_and_prefers_line_breaks():
    lines = [f"第{i}行：村民反映道路积水，需要尽快处理。" for i in range(200)]
    text = "\n".join(lines)
    pieces = split_utf8(text, 2048)
    assert len(pieces) > 1
    assert all(len(p.encode("utf-8")) <= 2048 for p in pieces)
    assert "\n".join(pieces) == text  # cut only at line breaks, nothing lost
    assert all(p.endswith("。") for p in pieces)


def test_split_without_line_breaks_never_cuts_a_character():
    text = "哨" * 1000 + "x"  # 3001 bytes
    pieces = split_utf8(text, 2048)
    assert "".join(pieces) == text
    assert [len(p.encode("utf-8")) for p in pieces] == [2046, 955]


def test_short_text_is_one_piece():
    assert split_utf8("收到", 2048) == ["收到"]
