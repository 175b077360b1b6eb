"""The AI bot's long-connection frames (protocol notes §2.7): what goes over the WebSocket, both ways.

Every frame is `{"cmd": …, "headers": {"req_id": …}, "body": {…}}`; WeCom's answer to one of ours carries
the same req_id with `errcode`/`errmsg` and no cmd. Inbound callbacks have the same body as the callback
mode's JSON, so they become the same Inbound (bot/channels/wecom_aibot.to_inbound); only how to answer
differs, and that travels in the Inbound's `reply` as a reply handle (below) the socket sender reads.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from bot.channels.envelope import BadPayload, json_object
from bot.channels.types import Inbound
from bot.channels.wecom_aibot import to_inbound

SUBSCRIBE = "aibot_subscribe"
PING = "ping"
MSG_CALLBACK = "aibot_msg_callback"
EVENT_CALLBACK = "aibot_event_callback"
RESPOND = "aibot_respond_msg"
RESPOND_WELCOME = "aibot_respond_welcome_msg"
RESPOND_UPDATE = "aibot_respond_update_msg"
SEND = "aibot_send_msg"
DISCONNECTED = "disconnected_event"

ANSWER_WINDOW = timedelta(hours=24)  # WeCom takes answers to a message within 24 h of it
SINGLE, GROUP = 1, 2  # aibot_send_msg's chat_type

# A reply handle: where an answer to a long-connection message goes, as an Address target (or a card click's
# response_code). `respond`: answer the message (or welcome) by its req_id; `update`: replace the clicked card.
HANDLE_SCHEME = "aibot-ws"


@dataclass(frozen=True)
class Frame:
    cmd: str
    req_id: str
    body: dict[str, Any]
    errcode: int | None = None  # set on WeCom's answers to our frames
    errmsg: str = ""

    @property
    def is_ack(self) -> bool:
        return not self.cmd and self.errcode is not None


def new_req_id(prefix: str = "gw") -> str:
    return f"{prefix}-{secrets.token_hex(8)}"


def encode(cmd: str, req_id: str, body: dict[str, Any] | None = None) -> str:
    frame: dict[str, Any] = {"cmd": cmd, "headers": {"req_id": req_id}}
    if body is not None:
        frame["body"] = body
    return json.dumps(frame, ensure_ascii=False)


def decode(raw: str | bytes) -> Frame:
    """One received frame; BadPayload when it is not one."""
    data = json_object(raw)
    headers = data.get("headers")
    req_id = str(headers.get("req_id") or "") if isinstance(headers, dict) else ""
    body = data.get("body")
    errcode = data.get("errcode")
    if errcode is not None and not isinstance(errcode, int):
        raise BadPayload("errcode is not a number")
    return Frame(
        cmd=str(data.get("cmd") or ""),
        req_id=req_id,
        body=body if isinstance(body, dict) else {},
        errcode=errcode,
        errmsg=str(data.get("errmsg") or ""),
    )


def subscribe(bot_id: str, secret: str) -> tuple[str, str]:
    req_id = new_req_id("sub")
    return req_id, encode(SUBSCRIBE, req_id, {"bot_id": bot_id, "secret": secret})


def ping() -> tuple[str, str]:
    req_id = new_req_id("ping")
    return req_id, encode(PING, req_id)


def event_type(frame: Frame) -> str:
    event = frame.body.get("event")
    return str(event.get("eventtype") or "") if isinstance(event, dict) else ""


# -- in: frame → Inbound -------------------------------------------------------------------------------


def to_inbound_frame(frame: Frame, now: datetime, *, bot_name: str) -> tuple[Inbound, str] | None:
    """The Inbound and inbox key of a pushed callback frame (None to ignore it), with its reply handle."""
    parsed = to_inbound(frame.body, now, bot_name=bot_name)
    if parsed is None:
        return None
    inbound, key = parsed
    group = frame.body.get("chattype") == "group"
    where = inbound.conversation if group else inbound.sender
    # A message is answered by its req_id; a welcome within 5 s of entering; a click's req_id is for the
    # card's update only, so what a handler says about a click is pushed to the chat afresh.
    verb = {"enter": "welcome", "card_click": "send"}.get(inbound.kind, "respond")
    handle = reply_handle(
        verb,
        frame.req_id,
        chat_type=GROUP if group else SINGLE,
        chatid=where,
        at=now,
    )
    extra = dict(inbound.extra)
    if inbound.kind == "card_click":  # what a handler passes on as the click's code updates the clicked card
        extra["response_code"] = reply_handle("update", frame.req_id, chat_type=SINGLE, chatid=where, at=now)
    reply = {"response_url": handle, "chattype": "group" if group else "single"}
    return replace(inbound, reply=reply, extra=extra), key


# -- out: reply handles --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Handle:
    verb: str  # respond | welcome | send | update
    req_id: str
    chat_type: int
    chatid: str
    at: datetime

    def valid(self, now: datetime) -> bool:
        return now - self.at < ANSWER_WINDOW


def reply_handle(verb: str, req_id: str, *, chat_type: int, chatid: str, at: datetime) -> str:
    query = urlencode({"req_id": req_id, "chat_type": chat_type, "chatid": chatid, "at": int(at.timestamp())})
    return f"{HANDLE_SCHEME}://{verb}?{query}"


def is_handle(value: str) -> bool:
    return value.startswith(f"{HANDLE_SCHEME}://")


def read_handle(value: str) -> Handle:
    parts = urlsplit(value)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    try:
        return Handle(
            verb=parts.netloc,
            req_id=query["req_id"],
            chat_type=int(query["chat_type"]),
            chatid=query["chatid"],
            at=datetime.fromtimestamp(int(query["at"]), tz=UTC),
        )
    except (KeyError, ValueError) as exc:
        raise ValueError(f"not an AI-bot reply handle: {value[:80]!r}") from exc
