"""The long connection's wire frames and settings: what a pushed frame becomes, and how its answer is addressed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.channels import aibot_frames as frames
from bot.channels.envelope import BadPayload
from bot.clock import ManualClock
from config.errors import ConfigError
from config.settings import load_settings


def pushed(body: dict, cmd: str = frames.MSG_CALLBACK, req_id: str = "req-1") -> frames.Frame:
    return frames.decode(frames.encode(cmd, req_id, body))


def test_a_group_mention_becomes_the_callback_modes_inbound_answered_by_its_req_id(clock: ManualClock) -> None:
    body = {
        "msgid": "m1",
        "chatid": "wrkgroup",
        "chattype": "group",
        "from": {"userid": "fengbaolin"},
        "msgtype": "text",
        "text": {"content": "@网格哨 路灯坏了"},
    }
    inbound, key = frames.to_inbound_frame(pushed(body), clock.now(), bot_name="网格哨") or (None, "")
    assert inbound is not None and key == "m1"
    assert (inbound.channel, inbound.text, inbound.conversation, inbound.sender) == (
        "aibot",
        "路灯坏了",
        "wrkgroup",
        "fengbaolin",
    )
    handle = frames.read_handle(inbound.reply["response_url"])
    assert (handle.verb, handle.req_id, handle.chat_type, handle.chatid) == (
        "respond",
        "req-1",
        frames.GROUP,
        "wrkgroup",
    )
    assert handle.valid(clock.now() + timedelta(hours=23)) and not handle.valid(clock.now() + timedelta(hours=24))


def test_a_card_click_is_updated_by_its_req_id_and_answered_in_the_chat(clock: ManualClock) -> None:
    body = {
        "msgid": "e1",
        "chattype": "single",
        "from": {"userid": "wangjun"},
        "msgtype": "event",
        "event": {"eventtype": "template_card_event", "template_card_event": {"event_key": "k", "task_id": "t"}},
    }
    inbound, _ = frames.to_inbound_frame(pushed(body, frames.EVENT_CALLBACK, "req-9"), clock.now(), bot_name="") or (
        None,
        "",
    )
    assert inbound is not None and inbound.kind == "card_click" and inbound.extra["event_key"] == "k"
    update = frames.read_handle(inbound.extra["response_code"])
    assert (update.verb, update.req_id) == ("update", "req-9")
    said = frames.read_handle(inbound.reply["response_url"])
    assert (said.verb, said.chat_type, said.chatid) == ("send", frames.SINGLE, "wangjun")


def test_acks_disconnection_and_nonsense() -> None:
    ack = frames.decode('{"headers": {"req_id": "r"}, "errcode": 0, "errmsg": "ok"}')
    assert ack.is_ack and ack.req_id == "r"
    gone = pushed({"msgtype": "event", "event": {"eventtype": "disconnected_event"}}, frames.EVENT_CALLBACK)
    assert not gone.is_ack and frames.event_type(gone) == frames.DISCONNECTED
    for raw in ("not json", "[]", '{"errcode": "0"}'):
        with pytest.raises(BadPayload):
            frames.decode(raw)
    with pytest.raises(ValueError):
        frames.read_handle("aibot-ws://respond?req_id=x")


def test_long_connection_settings_name_what_is_missing(tmp_path) -> None:
    path = tmp_path / "gridwhistle.toml"
    path.write_text(
        '[wecom.aibot]\nmode = "long_connection"\nws_url = "wss://openws.work.weixin.qq.com"\n', encoding="utf-8"
    )
    with pytest.raises(ConfigError, match=r"\[wecom\] aibot: mode = \"long_connection\" needs bot_id and secret"):
        load_settings(path)
    path.write_text(
        '[wecom.aibot]\nmode = "long_connection"\nbot_id = "b"\nsecret = "s"\nws_url = "https://x"\n', encoding="utf-8"
    )
    with pytest.raises(ConfigError, match=r"\[wecom.aibot\] ws_url: ws_url must be a ws:// or wss:// URL"):
        load_settings(path)
    path.write_text('[wecom.aibot]\nmode = "long_connection"\nbot_id = "b"\nsecret = "s"\n', encoding="utf-8")
    assert load_settings(path).wecom.aibot.long_connection
