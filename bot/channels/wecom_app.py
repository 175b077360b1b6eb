"""The self-built app's callback (自建应用, encrypted XML; protocol notes §1): `GET|POST /wecom/app`.

1:1 messages with the app, template-card button clicks, and the customer-service trigger
`kf_msg_or_event` all arrive here. The view verifies, decrypts, parses, stores one inbox row and
answers; a clicked card gets a passive `update_button` so its buttons cannot be pressed twice.

XML is read by bot/channels/envelope.py first (defusedxml: a DTD, entity or external reference is
refused without being expanded; and a depth limit), then by wechatpy's parser; `template_card_event` and `file`, which wechatpy 1.8.18 does not
know, are read from its raw dict.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from aiohttp import web
from wechatpy.enterprise import parse_message

from bot.channels.callback import Mapper, as_list, open_callback, refuse, store, verify_url
from bot.channels.envelope import BadPayload, app_encrypt, xml_root
from bot.channels.keys import APP_CRYPTO, CARD_ACK, CLOCK, KF
from bot.channels.text import normalised
from bot.channels.types import Inbound

log = logging.getLogger(__name__)

CHANNEL = "app"


# -- the view ---------------------------------------------------------------------------------------


async def get(request: web.Request) -> web.Response:
    return await verify_url(request, request.app[APP_CRYPTO], CHANNEL)


async def post(request: web.Request) -> web.Response:
    signed, plain = await open_callback(request, request.app[APP_CRYPTO], CHANNEL, app_encrypt)
    try:
        data = read_message(plain)
        parsed = None if _kind_of(data) == "kf_msg_or_event" else to_inbound(data, request.app[CLOCK].now())
    except Exception as exc:  # signed, but we cannot read it: retrying will not help, so 400, not 500
        raise refuse(request, CHANNEL, exc) from None
    log.debug("app callback plaintext: %s", plain)

    if _kind_of(data) == "kf_msg_or_event":
        request.app[KF].trigger(str(data.get("OpenKfId") or ""), str(data.get("Token") or ""))
        return web.Response()
    if parsed is None:
        log.info("app callback: ignoring %s", _kind_of(data))
        return web.Response()
    inbound, key = parsed
    await store(request, inbound, key)
    if inbound.kind == "card_click" and request.app[CARD_ACK]:
        return _passive(request, _update_button(data, request.app[CARD_ACK]), signed.nonce)
    return web.Response()


def read_message(plain: str) -> dict[str, Any]:
    """The decrypted XML as wechatpy's dict; a message it cannot read (a repeated or empty MsgType …) is BadPayload."""
    xml_root(plain)  # depth-limited, and a DTD inside the plaintext refused before wechatpy's parser sees it
    try:
        return dict(parse_message(plain)._data)
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise BadPayload(f"unreadable message ({type(exc).__name__})") from None


def _passive(request: web.Request, xml: str, nonce: str) -> web.Response:
    clock = request.app[CLOCK]
    sealed = request.app[APP_CRYPTO].seal(xml, timestamp=int(clock.now().timestamp()), nonce=nonce)
    return web.Response(text=sealed.xml(), content_type="application/xml")


def _update_button(data: dict[str, Any], replace_name: str) -> str:
    """Passive reply to a template_card_event: the clicker's buttons turn into `replace_name` (§4.3)."""
    return (
        f"<xml><ToUserName><![CDATA[{_cdata(data.get('FromUserName'))}]]></ToUserName>"
        f"<FromUserName><![CDATA[{_cdata(data.get('ToUserName'))}]]></FromUserName>"
        f"<CreateTime>{_int(data.get('CreateTime'))}</CreateTime>"
        f"<MsgType><![CDATA[update_button]]></MsgType>"
        f"<Button><ReplaceName><![CDATA[{_cdata(replace_name)}]]></ReplaceName></Button></xml>"
    )


def _cdata(value: object) -> str:
    return str(value or "").replace("]]>", "]]]]><![CDATA[>")


def _int(value: object) -> int:
    try:
        return int(str(value))
    except ValueError:
        return 0


# -- wire format → Inbound --------------------------------------------------------------------------


def _kind_of(data: dict[str, Any]) -> str:
    msg_type = str(data.get("MsgType") or "").lower()
    return str(data.get("Event") or "").lower() if msg_type == "event" else msg_type


def message_key(data: dict[str, Any]) -> str:
    """MsgId for messages; FromUserName + CreateTime + Event for events, which have no id (§1.6).

    A card click also names its card and button (TaskId, EventKey), so two clicks in one second — two
    cards, or 签收 then 办结 on one card — stay two rows, while WeCom's retry of one click stays one.
    """
    if data.get("MsgId"):
        return str(data["MsgId"])
    parts = [str(data.get("FromUserName") or ""), str(data.get("CreateTime") or ""), _kind_of(data)]
    parts += [str(data[name]) for name in ("TaskId", "EventKey") if data.get(name)]
    return ":".join(parts)


def _text(data: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    return "text", str(data.get("Content") or ""), {}


def _voice(data: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    # With speech recognition switched on, WeCom adds what it heard; without it there is no text.
    return "voice", str(data.get("Recognition") or ""), {"media_id": data.get("MediaId"), "format": data.get("Format")}


def _image(data: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    return "image", "", {"media_id": data.get("MediaId"), "pic_url": data.get("PicUrl")}


def _file(data: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    return "file", str(data.get("Title") or data.get("FileName") or ""), {"media_id": data.get("MediaId")}


def _location(data: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    return (
        "event",
        str(data.get("Label") or ""),
        {
            "event": "location",
            "latitude": data.get("Location_X"),
            "longitude": data.get("Location_Y"),
        },
    )


def _card_click(data: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    return (
        "card_click",
        "",
        {
            "event": _kind_of(data),
            "event_key": str(data.get("EventKey") or ""),
            "task_id": str(data.get("TaskId") or ""),
            "card_type": str(data.get("CardType") or ""),
            "response_code": str(data.get("ResponseCode") or ""),
            "selected_items": _selected_items(data.get("SelectedItems")),
        },
    )


def _enter(data: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    return "enter", "", {"event": _kind_of(data)}


def _event(data: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    return "event", "", {"event": _kind_of(data), "event_key": str(data.get("EventKey") or "")}


def _selected_items(raw: Any) -> list[dict[str, Any]]:
    """xmltodict gives a dict for one item and a list for several (§1.8): always a list here."""
    items = as_list((raw or {}).get("SelectedItem") if isinstance(raw, dict) else None)
    out = []
    for item in items:
        if not isinstance(item, dict):
            continue
        options = item.get("OptionIds")
        out.append(
            {
                "question_key": str(item.get("QuestionKey") or ""),
                "option_ids": [str(o) for o in as_list(options.get("OptionId") if isinstance(options, dict) else None)],
            }
        )
    return out


# What each wire type becomes; anything not listed is logged and answered 200.
MAPPERS: dict[str, Mapper] = {
    "text": _text,
    "voice": _voice,
    "image": _image,
    "file": _file,
    "location": _location,
    "template_card_event": _card_click,
    "template_card_menu_event": _card_click,
    "enter_agent": _enter,
    "subscribe": _enter,
    "click": _event,
}


def to_inbound(data: dict[str, Any], now: datetime) -> tuple[Inbound, str] | None:
    """The Inbound and its inbox key for a decrypted app message, or None for a type we ignore."""
    mapper = MAPPERS.get(_kind_of(data))
    if mapper is None:
        return None
    kind, text, extra = mapper(data)
    key = message_key(data)
    extra = {k: v for k, v in extra.items() if v not in (None, "")} | {"create_time": _int(data.get("CreateTime"))}
    inbound = Inbound(
        channel=CHANNEL,
        message_id=key,
        sender=str(data.get("FromUserName") or ""),
        conversation="",
        kind=kind,
        text=text,
        received_at=now,
        reply={"agent_id": _int(data.get("AgentID"))},
        extra=extra,
    )
    inbound = normalised(inbound)
    return inbound, inbound.message_id
