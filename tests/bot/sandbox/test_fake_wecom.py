"""The fake WeCom API itself: tokens, kf paging, failure injection and the HTTP controls the demo page uses."""

from __future__ import annotations

from datetime import timedelta

import aiohttp
import pytest

from config.settings import WecomSettings

SECRET = WecomSettings().app.secret
CORP = WecomSettings().corp_id


async def token(http, fake) -> str:
    async with http.get(f"{fake.api_base}/gettoken", params={"corpid": CORP, "corpsecret": SECRET}) as r:
        return (await r.json())["access_token"]


async def post(http, fake, path, body, tok, **params):
    async with http.post(f"{fake.api_base}/{path}", params={"access_token": tok, **params}, json=body) as r:
        return r.status, (await r.json(content_type=None) if r.status == 200 else None)


async def test_tokens_expire_after_two_hours(http, fake_wecom, clock):
    tok = await token(http, fake_wecom)
    assert (
        await post(http, fake_wecom, "message/send", {"touser": "a", "msgtype": "text", "text": {"content": "x"}}, tok)
    )[1]["errcode"] == 0
    clock.advance(seconds=7200)
    assert (await post(http, fake_wecom, "message/send", {}, tok))[1]["errcode"] == 42001
    assert (await post(http, fake_wecom, "message/send", {}, "forged"))[1]["errcode"] == 40014


async def test_kf_sync_pages_with_cursor_and_has_more(http, fake_wecom, clock):
    state = fake_wecom.state
    for n in range(5):
        sync_token = state.queue_kf_message("wk1", f"wm{n}", f"消息{n}")
    tok = await token(http, fake_wecom)
    cursor, seen = "", []
    while True:
        _, page = await post(
            http,
            fake_wecom,
            "kf/sync_msg",
            {"cursor": cursor, "token": sync_token, "limit": 2, "open_kfid": "wk1"},
            tok,
        )
        seen += [m["text"]["content"] for m in page["msg_list"]]
        cursor = page["next_cursor"]
        if not page["has_more"]:
            break
    assert seen == [f"消息{n}" for n in range(5)]
    clock.advance(minutes=10)  # the callback's token lives 10 minutes
    _, late = await post(http, fake_wecom, "kf/sync_msg", {"token": sync_token, "open_kfid": "wk1"}, tok)
    assert late["errcode"] == 95007


async def test_kf_contact_way_gives_a_link_per_scene(http, fake_wecom):
    tok = await token(http, fake_wecom)
    _, answer = await post(http, fake_wecom, "kf/add_contact_way", {"open_kfid": "wk1", "scene": "grid-0101"}, tok)
    assert answer["url"].endswith("enc_scene=grid-0101")


async def test_media_get_needs_a_token(http, fake_wecom):
    fake_wecom.state.add_media("m1", b"evidence", "image/png")
    tok = await token(http, fake_wecom)
    async with http.get(f"{fake_wecom.api_base}/media/get", params={"access_token": tok, "media_id": "m1"}) as r:
        assert await r.read() == b"evidence" and r.content_type == "image/png"
    async with http.get(f"{fake_wecom.api_base}/media/get", params={"media_id": "m1"}) as r:
        assert (await r.json())["errcode"] == 41001


async def test_failures_can_be_ordered_over_http_and_the_record_read_back(http, fake_wecom):
    async with http.post(
        f"{fake_wecom.base_url}/_sandbox/fail", json={"path": "message/send", "times": 2, "mode": "http", "status": 500}
    ) as r:
        assert r.status == 200
    tok = await token(http, fake_wecom)
    body = {"touser": "a", "msgtype": "text", "text": {"content": "hi"}}
    statuses = [(await post(http, fake_wecom, "message/send", body, tok))[0] for _ in range(3)]
    assert statuses == [500, 500, 200]
    async with http.get(f"{fake_wecom.base_url}/_sandbox/sent", params={"path": "message/send"}) as r:
        sent = (await r.json())["sent"]
    assert [c["ok"] for c in sent] == [False, False, True]
    assert "access_token" not in sent[-1]["params"]
    async with http.get(f"{fake_wecom.base_url}/_sandbox/sent", params={"since": sent[1]["seq"]}) as r:
        assert len((await r.json())["sent"]) == 1


async def test_a_bad_failure_order_is_refused(http, fake_wecom):
    async with http.post(f"{fake_wecom.base_url}/_sandbox/fail", json={"path": "x", "mode": "explode"}) as r:
        assert r.status == 400


async def test_kf_queue_and_response_urls_over_http(http, fake_wecom):
    async with http.post(
        f"{fake_wecom.base_url}/_sandbox/kf/queue", json={"open_kfid": "wk1", "external_userid": "wm1", "text": "你好"}
    ) as r:
        assert (await r.json())["token"].startswith("kfsync")
    async with http.post(f"{fake_wecom.base_url}/_sandbox/aibot/response_url") as r:
        url = (await r.json())["response_url"]
    async with http.post(url, json={"msgtype": "markdown", "markdown": {"content": "ok"}}) as r:
        assert (await r.json())["errcode"] == 0
    async with http.post(url, json={"msgtype": "markdown", "markdown": {"content": "again"}}) as r:
        assert (await r.json())["errcode"] != 0


async def test_members_over_their_limit_are_marked_dropped(http, fake_wecom, clock):
    tok = await token(http, fake_wecom)
    body = {"touser": "a", "msgtype": "text", "text": {"content": "x"}}
    for _ in range(31):
        await post(http, fake_wecom, "message/send", body, tok)
    assert [c.dropped for c in fake_wecom.state.sent][-2:] == [False, True]
    clock.advance(minutes=1)
    await post(http, fake_wecom, "message/send", body, tok)
    assert fake_wecom.state.sent[-1].dropped is False


@pytest.mark.parametrize("path", ["webhook/send"])
async def test_webhook_refuses_the_21st_message_in_a_minute(http, fake_wecom, clock, path):
    url = f"{fake_wecom.api_base}/{path}"
    answers = []
    for _ in range(21):
        async with http.post(url, params={"key": "k"}, json={"msgtype": "text", "text": {"content": "x"}}) as r:
            answers.append((await r.json())["errcode"])
    assert answers[:20] == [0] * 20 and answers[20] == 45009
    clock.advance(seconds=timedelta(minutes=1).total_seconds())
    async with http.post(url, params={"key": "k"}, json={"msgtype": "text", "text": {"content": "x"}}) as r:
        assert (await r.json())["errcode"] == 0


async def test_message_send_keeps_a_duplicate_once_when_asked_to(http, fake_wecom, clock):
    tok = await token(http, fake_wecom)
    checked = {
        "touser": "a",
        "msgtype": "text",
        "text": {"content": "请签收"},
        "enable_duplicate_check": 1,
        "duplicate_check_interval": 600,
    }
    first = (await post(http, fake_wecom, "message/send", checked, tok))[1]
    again = (await post(http, fake_wecom, "message/send", checked, tok))[1]
    other = (await post(http, fake_wecom, "message/send", {**checked, "touser": "b"}, tok))[1]
    unchecked = {k: v for k, v in checked.items() if not k.startswith("duplicate") and k != "enable_duplicate_check"}
    await post(http, fake_wecom, "message/send", unchecked, tok)
    await post(http, fake_wecom, "message/send", unchecked, tok)
    clock.advance(seconds=600)
    later = (await post(http, fake_wecom, "message/send", checked, tok))[1]
    assert again["msgid"] == first["msgid"] != other["msgid"] and later["msgid"] != first["msgid"]
    assert [c.duplicate for c in fake_wecom.state.calls("message/send")] == [False, True, False, False, False, False]
    assert len(fake_wecom.state.delivered("message/send")) == 5


async def test_wecom_can_be_slow_until_told_otherwise(http, fake_wecom):
    """The fault campaign's knob: every call of a path taken but answered late, until /_sandbox/clear."""
    async with http.post(
        f"{fake_wecom.base_url}/_sandbox/fail", json={"path": "webhook/send", "times": 0, "mode": "slow", "delay": 0.3}
    ) as r:
        assert r.status == 200
    hook = f"{fake_wecom.api_base}/webhook/send"
    body = {"msgtype": "text", "text": {"content": "x"}}
    for _ in range(3):
        with pytest.raises(TimeoutError):
            await http.post(hook, params={"key": "k"}, json=body, timeout=aiohttp.ClientTimeout(total=0.1))
    assert fake_wecom.state.arrived["webhook/send"] == 3 and fake_wecom.state.failures
    async with http.post(f"{fake_wecom.base_url}/_sandbox/clear") as r:
        assert r.status == 200
    async with http.post(hook, params={"key": "k"}, json=body, timeout=aiohttp.ClientTimeout(total=5)) as r:
        assert (await r.json())["errcode"] == 0
