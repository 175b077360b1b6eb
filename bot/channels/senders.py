"""Outbound → WeCom wire format: one sender per Address.channel, each making the right API call(s).

`deliver(api, outbound, idempotency_key=…)` returns what the outbox should remember of WeCom's answer
(msgids, response_code, chatid) or raises ChannelError. Texts over a channel's byte limit are split into
several messages (line breaks preferred); where a channel answers only once (AI-bot response_url) they
are cut instead. The idempotency key becomes kf's `msgid`; app messages use `enable_duplicate_check`;
card updates and AI-bot replies are single use (`single_use`), so WeCom refuses a second one (`refused`).
Webhook and appchat sends have no key (NO_IDEMPOTENCY).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from tortoise.expressions import F

from bot.channels.kf_window import window_open
from bot.channels.types import Card, Outbound
from bot.channels.wecom_api import RATE_LIMITED, TOKEN_ERRORS, WecomApi, split_utf8
from config.errors import ChannelError
from models import KfCustomer

TEXT_LIMIT = 2048  # text.content for message/send, appchat/send, webhook text, kf text (bytes)
WEBHOOK_MARKDOWN_LIMIT = 4096
AIBOT_LIMIT = 20480
CARD_BUTTONS = 6
CARD_FIELDS = 6
CARD_SELECTS = 3  # multiple_interaction: at most 3 drop-down lists …
CARD_OPTIONS = 10  # … of at most 10 options each
DUPLICATE_CHECK_SECONDS = 1800
KF_MSGID = re.compile(r"^[0-9a-zA-Z_-]{1,32}$")
KF_QUOTA_USED, KF_WINDOW_PASSED = 95001, 95002
KF_WINDOW_ERRORS = frozenset({95001, 95002, 95024, 95018})  # WeCom (or we) refuse: wait for the villager to write
# Not a verdict on a single-use code: the token, a limit, the server's IP not yet trusted (§3.2).
NOT_A_REFUSAL = TOKEN_ERRORS | RATE_LIMITED | {60020}
# appchat/create with a chatid that exists: the group is there (our chatids are our own), e.g. made by an
# attempt whose answer never came. The code is from WeCom's global error list; the text is not confirmed.
CHAT_EXISTS = 86215
# Channels where WeCom keeps no idempotency key: a send that timed out and is sent again may show twice.
NO_IDEMPOTENCY = frozenset({"webhook", "appchat"})


class KfWindowClosed(ChannelError):
    """The villager has not written within 48 h, or already got 5 messages since: WeCom would refuse."""


Result = dict[str, Any]
Sender = Callable[[WecomApi, Outbound, str], Awaitable[Result]]


async def deliver(api: WecomApi, outbound: Outbound, *, idempotency_key: str) -> Result:
    """Send one Outbound the way its channel requires; raises ChannelError (KfWindowClosed for kf)."""
    channel = outbound.to.channel
    if outbound.card_update is not None:
        if channel != "app":
            raise ValueError(f"card updates go through the app, not {channel!r}")
        return await _update_card(api, outbound, idempotency_key)
    try:
        sender = SENDERS[channel]
    except KeyError:
        raise ValueError(f"no sender for channel {channel!r}") from None
    return await sender(api, outbound, idempotency_key)


def single_use(outbound: Outbound) -> bool:
    """WeCom takes this send at most once: a card update (its response_code) or an AI-bot response_url."""
    return outbound.card_update is not None or outbound.to.channel == "aibot"


def refused(exc: ChannelError) -> bool:
    """WeCom answered a single-use send with a refusal: the code or URL is unknown, used or expired.

    WeCom documents no errcode for a spent response_code or response_url (the sandbox answers 40078), so
    any errcode of WeCom's own counts, except those that say nothing about the code (NOT_A_REFUSAL).
    """
    return exc.errcode > 0 and exc.errcode not in NOT_A_REFUSAL


# -- the self-built app ------------------------------------------------------------------------------


async def _app(api: WecomApi, outbound: Outbound, key: str) -> Result:
    base = {
        "touser": outbound.to.target,
        "agentid": api.wecom.app.agent_id,
        "enable_duplicate_check": 1,
        "duplicate_check_interval": DUPLICATE_CHECK_SECONDS,
    }
    if outbound.card is not None:
        answer = await api.call(
            "message/send", {**base, "msgtype": "template_card", "template_card": template_card(outbound.card)}
        )
        return {
            "msgids": [answer.get("msgid", "")],
            "response_code": answer.get("response_code", ""),
            "invaliduser": answer.get("invaliduser", ""),
        }
    msgtype = "markdown" if outbound.markdown else "text"
    msgids, invalid = [], ""
    for piece in split_utf8(outbound.text, TEXT_LIMIT):
        answer = await api.call("message/send", {**base, "msgtype": msgtype, msgtype: {"content": piece}})
        msgids.append(answer.get("msgid", ""))
        invalid = answer.get("invaliduser") or invalid  # recipients who are no longer members (bot/membership.py)
    return {"msgids": msgids, **({"invaliduser": invalid} if invalid else {})}


async def _update_card(api: WecomApi, outbound: Outbound, key: str) -> Result:
    update = outbound.card_update or {}
    payload: dict[str, Any] = {
        "userids": [u for u in outbound.to.target.split("|") if u],
        "agentid": api.wecom.app.agent_id,
        "response_code": update["response_code"],
    }
    if "replace_name" in update:
        payload["button"] = {"replace_name": update["replace_name"]}
    elif outbound.card is not None:
        payload["template_card"] = template_card(outbound.card, replace_text=update.get("replace_text", ""))
    else:
        raise ValueError("a card update needs replace_name or a card")
    await api.call("message/update_template_card", payload)
    return {"response_code": update["response_code"]}


def template_card(card: Card, *, replace_text: str = "") -> dict[str, Any]:
    """A Card as WeCom's button_interaction template card (protocol notes §4.2), or with selects as its
    multiple_interaction card."""
    if card.selects:
        return _multiple_card(card, replace_text=replace_text)
    body: dict[str, Any] = {
        "card_type": "button_interaction",
        "main_title": {"title": card.title, **({"desc": card.description} if card.description else {})},
        "task_id": card.task_id,
        "button_list": [{"text": b.text, "style": b.style, "key": b.key} for b in card.buttons[:CARD_BUTTONS]],
    }
    if card.fields:
        body["horizontal_content_list"] = [{"keyname": k, "value": v} for k, v in card.fields[:CARD_FIELDS]]
    if replace_text:
        body["replace_text"] = replace_text
    return body


def _multiple_card(card: Card, *, replace_text: str) -> dict[str, Any]:
    """multiple_interaction (§4.3): drop-down lists and one submit button; it has no field list, so the
    fields are lines of the description."""
    lines = [card.description] if card.description else []
    lines += [f"{k}：{v}" for k, v in card.fields]
    submit = card.buttons[0]
    body: dict[str, Any] = {
        "card_type": "multiple_interaction",
        "main_title": {"title": card.title, **({"desc": "\n".join(lines)} if lines else {})},
        "task_id": card.task_id,
        "select_list": [
            {
                "question_key": select.question_key,
                "title": select.title,
                **({"selected_id": select.selected_id} if select.selected_id else {}),
                "option_list": [{"id": i, "text": t} for i, t in select.options[:CARD_OPTIONS]],
            }
            for select in card.selects[:CARD_SELECTS]
        ],
        "submit_button": {"text": submit.text, "key": submit.key},
    }
    if replace_text:
        body["replace_text"] = replace_text
    return body


def card_as_markdown(card: Card) -> str:
    """Where buttons cannot work (webhook, AI-bot reply), a card is shown as text."""
    lines = [f"**{card.title}**"]
    if card.description:
        lines.append(card.description)
    lines += [f"{k}：{v}" for k, v in card.fields]
    return "\n".join(lines)


def _content(outbound: Outbound) -> tuple[str, bool]:
    """(text, is_markdown) for channels without interactive cards."""
    if outbound.card is not None:
        return card_as_markdown(outbound.card), True
    return outbound.text, outbound.markdown


# -- app group chats ---------------------------------------------------------------------------------


async def _appchat(api: WecomApi, outbound: Outbound, key: str) -> Result:
    chatid = outbound.to.target
    result: Result = {"chatid": chatid}
    group = outbound.create_group
    if group is not None:
        create = {"name": group.name, "owner": group.owner, "userlist": list(group.members), "chatid": chatid}
        try:
            answer = await api.call("appchat/create", create)
        except ChannelError as exc:
            if exc.errcode != CHAT_EXISTS or not chatid:
                raise
            answer = {}  # made by an earlier attempt: send into it
        result["chatid"] = chatid = answer.get("chatid", chatid)
    text, markdown = _content(outbound)
    msgtype = "markdown" if markdown else "text"
    for piece in split_utf8(text, TEXT_LIMIT):
        await api.call("appchat/send", {"chatid": chatid, "msgtype": msgtype, msgtype: {"content": piece}})
    return result


# -- group webhook (消息推送) -------------------------------------------------------------------------


async def _webhook(api: WecomApi, outbound: Outbound, key: str) -> Result:
    text, markdown = _content(outbound)
    msgtype = "markdown" if markdown else "text"
    for piece in split_utf8(text, WEBHOOK_MARKDOWN_LIMIT if markdown else TEXT_LIMIT):
        await api.post_url(
            f"{api.base}/webhook/send",
            {"msgtype": msgtype, msgtype: {"content": piece}},
            params={"key": outbound.to.target},
        )
    return {}


# -- AI bot response_url ------------------------------------------------------------------------------


async def _aibot(api: WecomApi, outbound: Outbound, key: str) -> Result:
    text, _ = _content(outbound)
    content = split_utf8(text, AIBOT_LIMIT)[0]  # single use: what does not fit is cut, not split
    await api.post_url(outbound.to.target, {"msgtype": "markdown", "markdown": {"content": content}})
    return {}


# -- WeChat customer service (kf) ---------------------------------------------------------------------


async def _kf(api: WecomApi, outbound: Outbound, key: str) -> Result:
    if not KF_MSGID.match(key):
        raise ValueError(f"kf msgid {key!r} must be at most 32 of [0-9a-zA-Z_-]")
    external_userid = outbound.to.target
    open_kfid = outbound.to.via or api.wecom.kf.open_kfid
    text, _ = _content(outbound)
    pieces = split_utf8(text, TEXT_LIMIT)
    await _check_kf_window(api, external_userid, len(pieces))
    msgids = []
    for index, piece in enumerate(pieces):
        msgid = key if index == 0 else _suffixed(key, index)
        answer = await api.call(
            "kf/send_msg",
            {
                "touser": external_userid,
                "open_kfid": open_kfid,
                "msgid": msgid,
                "msgtype": "text",
                "text": {"content": piece},
            },
        )
        msgids.append(answer.get("msgid", msgid))
        await _count_kf_send(external_userid)
    return {"msgids": msgids}


async def _check_kf_window(api: WecomApi, external_userid: str, pieces: int) -> None:
    customer = await KfCustomer.get_or_none(external_userid=external_userid)
    last = customer.last_customer_message_at if customer else None
    if not window_open(last, api.clock.now(), 0, 0):
        raise KfWindowClosed(KF_WINDOW_PASSED, "outside the 48 h window", "kf/send_msg")
    assert customer is not None  # a window is open only after the villager wrote
    if not window_open(last, api.clock.now(), customer.sent_since_customer_message, pieces):
        raise KfWindowClosed(KF_QUOTA_USED, "5 messages sent since the villager last wrote", "kf/send_msg")


async def _count_kf_send(external_userid: str) -> None:
    await KfCustomer.filter(external_userid=external_userid).update(
        sent_since_customer_message=F("sent_since_customer_message") + 1
    )


def _suffixed(key: str, index: int) -> str:
    suffix = f"-{index}"
    return key[: 32 - len(suffix)] + suffix


SENDERS: dict[str, Sender] = {
    "app": _app,
    "appchat": _appchat,
    "webhook": _webhook,
    "aibot": _aibot,
    "kf": _kf,
}
