"""What the demo page shows one person in one place, built from what the fake WeCom API received.

Pure: the fake's records (`SentCall`), the page's own log of what people typed and clicked, and the
chats in; a list of JSON-ready feed items out, in the order WeCom would show them. A card stays where
it was first sent and shows its latest state, as WeCom updates a card in place.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from bot.sandbox.fake_wecom import SentCall

WHERE = ("app", "group", "kf")  # 1:1 with the app, a group via the AI bot, customer service


@dataclass(frozen=True)
class Said:
    """A message someone typed on the page. `after` is the fake's last record then: it orders the two."""

    after: int
    userid: str
    name: str
    where: str
    chatid: str
    text: str


@dataclass(frozen=True)
class Click:
    """A card button someone pressed; `ack` is what WeCom turned the clicker's buttons into at once."""

    after: int
    userid: str
    task_id: str
    ack: str


@dataclass(frozen=True)
class View:
    """Whose screen, and which conversation on it."""

    where: str
    userid: str
    chatid: str = ""  # the group (where == "group")
    external_userid: str = ""  # the villager's customer-service id (where == "kf")


@dataclass
class PageLog:
    """The demo page's memory of this run: what was said and clicked, and whose codes are whose."""

    said: list[Said] = field(default_factory=list)
    clicks: list[Click] = field(default_factory=list)
    response_chats: dict[str, str] = field(default_factory=dict)  # AI-bot response_code → chatid
    click_codes: dict[str, str] = field(default_factory=dict)  # a click's ResponseCode → card task_id


def build_feed(
    view: View,
    sent: Iterable[SentCall],
    log: PageLog,
    *,
    webhook_chats: dict[str, str],
    appchat_members: dict[str, list[str]],
    appchat_names: dict[str, str],
) -> list[dict[str, Any]]:
    """The items of `view`, oldest first.

    webhook_chats: a group's webhook key → its chatid; appchat_members/names: the app group chats the
    service created (chatid → members / name).
    """
    calls = [c for c in sent if c.delivered]  # refused, dropped or a duplicate: WeCom delivered nothing (again)
    codes = dict(log.click_codes)
    for call in calls:  # a card's send returns the code a text command later updates it with
        if call.path == "message/send" and call.answer.get("response_code"):
            codes[call.answer["response_code"]] = (call.body.get("template_card") or {}).get("task_id", "")

    events: list[tuple[tuple[int, int], Any]] = [((c.seq, 0), c) for c in calls]
    events += [((s.after, 1), s) for s in log.said if _said_here(view, s)]
    events += [((k.after, 1), k) for k in log.clicks if view.where == "app" and k.userid == view.userid]
    events.sort(key=lambda pair: pair[0])

    items: list[dict[str, Any]] = []
    cards: dict[str, dict[str, Any]] = {}
    for _, event in events:
        if isinstance(event, Said):
            items.append(
                {
                    "kind": "said",
                    "userid": event.userid,
                    "name": event.name,
                    "text": event.text,
                    "mine": event.userid == view.userid,
                }
            )
        elif isinstance(event, Click):
            if event.task_id in cards:
                cards[event.task_id].update(buttons=[], done=event.ack)
        else:
            _place(view, event, items, cards, codes, log, webhook_chats, appchat_members, appchat_names)
    return items


def _said_here(view: View, said: Said) -> bool:
    if said.where != view.where:
        return False
    return said.chatid == view.chatid if view.where == "group" else said.userid == view.userid


def _place(
    view: View,
    call: SentCall,
    items: list[dict[str, Any]],
    cards: dict[str, dict[str, Any]],
    codes: dict[str, str],
    log: PageLog,
    webhook_chats: dict[str, str],
    appchat_members: dict[str, list[str]],
    appchat_names: dict[str, str],
) -> None:
    """Put one WeCom record into the view if WeCom would have shown it there."""
    body = call.body if isinstance(call.body, dict) else {}
    if view.where == "app":
        if call.path == "message/send" and _addressed(view.userid, body.get("touser", "")):
            if body.get("msgtype") == "template_card":
                card = _card(body.get("template_card") or {})
                cards[card["task_id"]] = card
                items.append(card)
            else:
                items.append(_message(body, "app"))
        elif call.path == "message/update_template_card" and view.userid in body.get("userids", []):
            clicked = cards.get(codes.get(str(body.get("response_code", "")), ""))
            if clicked is not None:
                _update(clicked, body)
        elif call.path == "appchat/send" and view.userid in appchat_members.get(str(body.get("chatid")), []):
            chatid = str(body.get("chatid"))
            items.append(_message(body, "appchat", chat=appchat_names.get(chatid, chatid)))
    elif view.where == "group":
        if call.path == "webhook/send" and webhook_chats.get(call.params.get("key", "")) == view.chatid:
            items.append(_message(body, "webhook"))
        elif (
            call.path == "aibot/response"
            and log.response_chats.get(call.params.get("response_code", "")) == view.chatid
        ):
            items.append(_message(body, "aibot"))
        elif call.path == "aibot_ws" and call.params.get("chatid") == view.chatid:  # over the long connection
            items.append(_message(body, "aibot"))
    elif call.path == "kf/send_msg" and body.get("touser") == view.external_userid:
        items.append(_message(body, "kf"))


def _addressed(userid: str, touser: str) -> bool:
    return touser == "@all" or userid in touser.split("|")


def _message(body: dict[str, Any], via: str, *, chat: str = "") -> dict[str, Any]:
    msgtype = str(body.get("msgtype", "text"))
    content = body.get(msgtype) if isinstance(body.get(msgtype), dict) else {}
    return {
        "kind": "message",
        "via": via,
        "chat": chat,
        "markdown": msgtype == "markdown",
        "text": str(content.get("content", "")) if content else f"[{msgtype}]",
    }


def _card(template: dict[str, Any]) -> dict[str, Any]:
    card = {"kind": "card", "via": "app", "task_id": str(template.get("task_id", "")), "done": ""}
    _fill(card, template)
    return card


def _fill(card: dict[str, Any], template: dict[str, Any]) -> None:
    title = template.get("main_title") or {}
    card.update(
        title=str(title.get("title", "")),
        desc=str(title.get("desc", "")),
        fields=[
            [str(f.get("keyname", "")), str(f.get("value", ""))] for f in template.get("horizontal_content_list", [])
        ],
        buttons=[
            {"text": str(b.get("text", "")), "key": str(b.get("key", "")), "style": b.get("style", 1)}
            for b in template.get("button_list", [])
            or ([template["submit_button"]] if isinstance(template.get("submit_button"), dict) else [])
        ],
        selects=[  # a multiple_interaction card's drop-down lists
            {
                "key": str(select.get("question_key", "")),
                "title": str(select.get("title", "")),
                "options": [[str(o.get("id", "")), str(o.get("text", ""))] for o in select.get("option_list", [])],
            }
            for select in template.get("select_list", [])
        ],
        done=str(template.get("replace_text", ""))
        if not (template.get("button_list") or template.get("submit_button"))
        else "",
    )


def _update(card: dict[str, Any], body: dict[str, Any]) -> None:
    """message/update_template_card: either the buttons become one grey label, or a whole new card."""
    if "button" in body:
        card.update(buttons=[], selects=[], done=str((body.get("button") or {}).get("replace_name", "")))
    elif isinstance(body.get("template_card"), dict):
        _fill(card, body["template_card"])
