"""The AI-bot callback over real HTTP: JSON messages into the inbox, @-mention stripped, stream refresh."""

from __future__ import annotations

import json

from bot.channels.wecom_aibot import strip_mention
from models import InboxMessage

RESPONSE_URL = "http://127.0.0.1:9/cgi-bin/aibot/response?response_code=abc"


def group_text(msgid: str = "aibot-1", content: str = "@网格哨 后屯的桥塌了一半") -> dict:
    return {
        "msgid": msgid,
        "aibotid": "bot1",
        "chatid": "wrkSFfCgAAxx",
        "chattype": "group",
        "from": {"userid": "wangwu"},
        "response_url": RESPONSE_URL,
        "msgtype": "text",
        "text": {"content": content},
    }


async def test_url_verification(peer) -> None:
    response = await peer.verify("/wecom/aibot", peer.aibot_crypto, "echo-5927782489442352469")
    assert (response.status, response.body) == (200, b"echo-5927782489442352469")


async def test_app_key_does_not_verify_the_bot(peer, service) -> None:
    """The bot's receiveid is "": an echostr sealed for the app (receiveid = corp id) is refused."""
    response = await peer.verify("/wecom/aibot", peer.app_crypto, "x")
    assert response.status == 400


async def test_group_text_is_stored_with_response_url_and_mention_stripped(service, peer) -> None:
    response = await peer.post_aibot(group_text())
    assert (response.status, response.body) == (200, b"")
    row = await InboxMessage.get(channel="aibot", message_key="aibot-1")
    p = row.payload
    assert p["text"] == "后屯的桥塌了一半" and p["sender"] == "wangwu" and p["conversation"] == "wrkSFfCgAAxx"
    assert p["reply"]["response_url"] == RESPONSE_URL
    await service.settled()
    await row.refresh_from_db()
    assert row.status == "done"


async def test_single_chat_has_no_conversation_and_retry_is_one_row(service, peer) -> None:
    message = dict(group_text("aibot-2", "水井抽不上水"), chattype="single")
    message.pop("chatid")
    for _ in range(3):
        assert (await peer.post_aibot(message)).status == 200
    rows = await InboxMessage.filter(channel="aibot")
    assert len(rows) == 1 and rows[0].payload["conversation"] == "" and rows[0].payload["text"] == "水井抽不上水"


async def test_mixed_voice_enter_and_card_click(service, peer) -> None:
    await peer.post_aibot(
        {
            "msgid": "m1",
            "chattype": "group",
            "chatid": "c1",
            "from": {"userid": "u"},
            "response_url": RESPONSE_URL,
            "msgtype": "mixed",
            "mixed": {
                "msg_item": [
                    {"msgtype": "text", "text": {"content": "@网格哨 看这个坑"}},
                    {"msgtype": "image", "image": {"url": "http://img/1"}},
                ]
            },
        }
    )
    await peer.post_aibot(
        {
            "msgid": "m2",
            "chattype": "single",
            "from": {"userid": "u"},
            "response_url": RESPONSE_URL,
            "msgtype": "voice",
            "voice": {"content": "低保什么时候发"},
        }
    )
    await peer.post_aibot(
        {
            "msgid": "m3",
            "chattype": "single",
            "from": {"userid": "u"},
            "msgtype": "event",
            "create_time": 1700000000,
            "event": {"eventtype": "enter_chat"},
        }
    )
    await peer.post_aibot(
        {
            "msgid": "m4",
            "chattype": "single",
            "from": {"userid": "u"},
            "response_url": RESPONSE_URL,
            "msgtype": "event",
            "event": {
                "eventtype": "template_card_event",
                "template_card_event": {
                    "card_type": "vote_interaction",
                    "event_key": "rate:1042",
                    "task_id": "t1042",
                    "selected_items": {
                        "selected_item": [{"question_key": "q", "option_ids": {"option_id": ["satisfied"]}}]
                    },
                },
            },
        }
    )
    rows = {r.message_key: r.payload for r in await InboxMessage.filter(channel="aibot")}
    assert rows["m1"]["kind"] == "text" and rows["m1"]["text"] == "看这个坑"
    assert rows["m1"]["extra"]["image_urls"] == ["http://img/1"]
    assert rows["m2"]["kind"] == "voice" and rows["m2"]["text"] == "低保什么时候发"
    assert rows["m3"]["kind"] == "enter"
    assert rows["m4"]["kind"] == "card_click" and rows["m4"]["extra"]["event_key"] == "rate:1042"
    assert rows["m4"]["extra"]["selected_items"] == [{"question_key": "q", "option_ids": ["satisfied"]}]


async def test_stream_refresh_gets_an_encrypted_finish_frame(service, peer) -> None:
    query, body = peer.aibot_envelope(
        {
            "msgid": "s1",
            "msgtype": "stream",
            "stream": {"id": "stream-9"},
            "chattype": "single",
            "from": {"userid": "u"},
        }
    )
    response = await peer.post("/wecom/aibot", query, body)
    assert response.status == 200
    envelope = json.loads(response.body)
    assert envelope["nonce"] == query["nonce"]  # the doc: the reply must carry the callback's nonce
    frame = json.loads(
        peer.aibot_crypto.decrypt(
            envelope["msgsignature"], str(envelope["timestamp"]), envelope["nonce"], envelope["encrypt"]
        )
    )
    assert frame == {"msgtype": "stream", "stream": {"id": "stream-9", "finish": True, "content": ""}}
    assert await InboxMessage.all().count() == 0


async def test_unknown_types_are_ignored(service, peer) -> None:
    for message in (
        {"msgid": "f1", "msgtype": "event", "event": {"eventtype": "feedback_event"}},
        {"msgid": "f2", "msgtype": "video", "video": {"url": "u"}},
        {"msgtype": "text", "text": {"content": "no msgid"}},
    ):
        assert (await peer.post_aibot(message)).status == 200
    assert await InboxMessage.all().count() == 0


def test_strip_mention() -> None:
    assert strip_mention("@网格哨\u2005路灯坏了", "网格哨") == "路灯坏了"
    assert strip_mention("  @网格哨 路灯坏了 ", "网格哨") == "路灯坏了"
    assert strip_mention("路灯坏了 @网格哨", "网格哨") == "路灯坏了 @网格哨"
    assert strip_mention("@网格哨", "网格哨") == ""
