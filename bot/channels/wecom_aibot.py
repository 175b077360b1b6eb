"""The AI bot's callback (智能机器人, API mode, encrypted JSON; protocol notes §2): `GET|POST /wecom/aibot`.

Group @-mentions and 1:1 chats with the bot arrive here. The view stores one inbox row and answers at
once with an empty 200; the acknowledgement follows through the message's `response_url`, which the
Inbound carries in `reply`. A stream-refresh callback (WeCom asking how a streamed answer goes on) is
not a message: it gets an encrypted finish frame, since this service never streams.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import datetime
from typing import Any

from aiohttp import web

from bot.channels.callback import Mapper, as_list, open_callback, refuse, store, verify_url
from bot.channels.envelope import aibot_encrypt, json_object
from bot.channels.keys import AIBOT_CRYPTO, CLOCK, SETTINGS
from bot.channels.text import clean, normalised
from bot.channels.types import Inbound

log = logging.getLogger(__name__)

CHANNEL = "aibot"
MENTION_GAP = " \t\u2005\u00a0\u3000"  # WeCom puts a four-per-em space after an @-mention


async def get(request: web.Request) -> web.Response:
    return await verify_url(request, request.app[AIBOT_CRYPTO], CHANNEL)


async def post(request: web.Request) -> web.Response:
    signed, plain = await open_callback(request, request.app[AIBOT_CRYPTO], CHANNEL, aibot_encrypt)
    try:
        data = json_object(plain)
        parsed = to_inbound(data, request.app[CLOCK].now(), bot_name=request.app[SETTINGS].wecom.aibot.name)
    except Exception as exc:  # signed, but we cannot read it: retrying will not help, so 400, not 500
        raise refuse(request, CHANNEL, exc) from None
    log.debug("aibot callback plaintext: %s", plain)

    if data.get("msgtype") == "stream":
        return _finish_stream(request, data, signed.nonce)
    if parsed is None:
        log.info("aibot callback: ignoring %s", _kind_of(data))
        return web.Response()
    inbound, key = parsed
    await store(request, inbound, key)
    return web.Response()


def _finish_stream(request: web.Request, data: dict[str, Any], nonce: str) -> web.Response:
    stream_id = str(_section(data, "stream").get("id") or "")
    frame = json.dumps({"msgtype": "stream", "stream": {"id": stream_id, "finish": True, "content": ""}})
    clock = request.app[CLOCK]
    sealed = request.app[AIBOT_CRYPTO].seal(frame, timestamp=int(clock.now().timestamp()), nonce=nonce)
    return web.Response(text=sealed.json(), content_type="application/json")


# -- wire format → Inbound --------------------------------------------------------------------------


def _kind_of(data: dict[str, Any]) -> str:
    msg_type = str(data.get("msgtype") or "")
    if msg_type == "event":
        return str(_section(data, "event").get("eventtype") or "")
    return msg_type


def strip_mention(text: str, bot_name: str) -> str:
    """ "@网格哨 路灯坏了" → "路灯坏了": WeCom leaves the mention in the content of a group message."""
    text = text.lstrip(MENTION_GAP)
    if bot_name:
        text = re.sub(rf"^@{re.escape(bot_name)}[{MENTION_GAP}]*", "", text)
    return text.strip(MENTION_GAP)


def _section(data: dict[str, Any], name: str) -> dict[str, Any]:
    value = data.get(name)
    return value if isinstance(value, dict) else {}


def _text(data: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    return "text", str(_section(data, "text").get("content") or ""), {}


def _mixed(data: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    items = _section(data, "mixed").get("msg_item") or []
    texts, images = [], []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        if item.get("msgtype") == "text":
            texts.append(str(_section(item, "text").get("content") or ""))
        elif item.get("msgtype") == "image":
            images.append(str(_section(item, "image").get("url") or ""))
    return "text", "\n".join(t for t in texts if t), {"image_urls": images} if images else {}


def _voice(data: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    return "voice", str(_section(data, "voice").get("content") or ""), {}


def _image(data: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    return "image", "", {"url": _section(data, "image").get("url")}


def _file(data: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    return "file", "", {"url": _section(data, "file").get("url")}


def _enter(data: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    return "enter", "", {"event": "enter_chat"}


def _card_click(data: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    card = _section(_section(data, "event"), "template_card_event")
    return (
        "card_click",
        "",
        {
            "event": "template_card_event",
            "event_key": str(card.get("event_key") or ""),
            "task_id": str(card.get("task_id") or ""),
            "card_type": str(card.get("card_type") or ""),
            "selected_items": _selected_items(_section(card, "selected_items").get("selected_item")),
        },
    )


def _selected_items(raw: Any) -> list[dict[str, Any]]:
    items = []
    for item in as_list(raw):
        if isinstance(item, dict):
            items.append(
                {
                    "question_key": str(item.get("question_key") or ""),
                    "option_ids": [str(o) for o in as_list(_section(item, "option_ids").get("option_id"))],
                }
            )
    return items


# What each wire type becomes; anything not listed (feedback_event, video …) is logged and answered 200.
MAPPERS: dict[str, Mapper] = {
    "text": _text,
    "mixed": _mixed,
    "voice": _voice,
    "image": _image,
    "file": _file,
    "enter_chat": _enter,
    "template_card_event": _card_click,
}


def to_inbound(data: dict[str, Any], now: datetime, *, bot_name: str) -> tuple[Inbound, str] | None:
    """The Inbound and its inbox key (msgid) for a decrypted AI-bot callback, or None to ignore it."""
    mapper = MAPPERS.get(_kind_of(data))
    msgid = str(data.get("msgid") or "")
    if mapper is None or not msgid:
        return None
    kind, text, extra = mapper(data)
    if kind == "text":
        text = strip_mention(clean(text), bot_name)  # a zero-width space must not hide the mention
    sender = _section(data, "from")
    group = data.get("chattype") == "group"
    reply = {"response_url": str(data.get("response_url") or ""), "chattype": str(data.get("chattype") or "single")}
    if data.get("aibotid"):
        extra = dict(extra, aibotid=str(data["aibotid"]))
    inbound = Inbound(
        channel=CHANNEL,
        message_id=msgid,
        sender=str(sender.get("userid") or ""),
        conversation=str(data.get("chatid") or "") if group else "",
        kind=kind,
        text=text,
        received_at=now,
        reply={k: v for k, v in reply.items() if v},
        extra=extra,
    )
    inbound = normalised(inbound)
    return inbound, inbound.message_id
