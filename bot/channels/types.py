"""The internal message types: every channel adapter turns its wire format into these and back.

Nothing above bot/channels/ knows which channel it talks to; it reads an Inbound and writes Outbounds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from bot.channels.text import fold
from bot.channels.text import typed as typed_tail

CHANNELS = ("app", "aibot", "kf")
INBOUND_KINDS = ("text", "voice", "image", "file", "event", "card_click", "enter")
TIMELY_KINDS = ("card_click", "enter")  # on the AI bot, answered within WeCom's 5 s


def plain(value: Any) -> Any:
    """A message as JSON's dicts and lists — what `dataclasses.asdict` gives once stored, without deep-copying
    every string on the way (it was half the cost of queuing a message)."""
    if hasattr(value, "__dataclass_fields__"):
        return {name: plain(getattr(value, name)) for name in value.__dataclass_fields__}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    return value


@dataclass(frozen=True)
class Inbound:
    """One thing a person said or did, whatever the channel.

    sender: the channel's id of the person (WeCom userid, or kf external_userid).
    conversation: where to answer — a group chatid, or "" for a 1:1 conversation.
    kind: text | voice (text is WeCom's recognition) | image | file | event | card_click | enter.
    text: as the person wrote it, cleaned of invisible characters and capped (bot/channels/text.py);
        `folded` is its width-folded form, for matching command words and routing, never for storing.
    reply: what the channel needs to answer this message (aibot response_url, kf open_kfid …).
    extra: the rest of what the channel told us (card event key and task id, media ids, kf scene …).
    """

    channel: str
    message_id: str
    sender: str
    conversation: str
    kind: str
    text: str
    received_at: datetime
    reply: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_group(self) -> bool:
        return bool(self.conversation)

    @property
    def timely(self) -> bool:
        """WeCom takes the answer only for a few seconds: the AI bot's welcome on entering a chat, and the update
        of an AI-bot card just clicked (5 s). Such messages are handled, and their answers sent, before a backlog."""
        return self.channel == "aibot" and self.kind in TIMELY_KINDS

    @cached_property
    def folded(self) -> str:
        """＃１０４２ → #1042: what command words and the router read (not stored, not forwarded)."""
        return fold(self.text)

    def typed(self, folded_tail: str) -> str:
        """The villager's own characters for a tail of `folded` (a command's arguments, a reason to store)."""
        return typed_tail(self.text, folded_tail)

    def to_json(self) -> dict[str, Any]:
        data = plain(self)
        data["received_at"] = self.received_at.isoformat()
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Inbound:
        data = dict(data)
        data["received_at"] = datetime.fromisoformat(data["received_at"])
        return cls(**data)


@dataclass(frozen=True)
class Button:
    key: str
    text: str
    style: int = 1


@dataclass(frozen=True)
class Select:
    """A drop-down list on a card: the choice comes back with the click as `question_key` → option ids."""

    question_key: str
    title: str
    options: tuple[tuple[str, str], ...]  # (id, text)
    selected_id: str = ""


@dataclass(frozen=True)
class Card:
    """A button card (template_card button_interaction) in channel-neutral form; with `selects` it is a
    multiple_interaction card whose first button submits the choices."""

    task_id: str
    title: str
    description: str = ""
    fields: tuple[tuple[str, str], ...] = ()  # (label, value) lines
    buttons: tuple[Button, ...] = ()
    selects: tuple[Select, ...] = ()


@dataclass(frozen=True)
class Address:
    """Where an Outbound goes.

    channel: app (target = userid) | appchat (target = chatid) | webhook (target = key)
             | aibot (target = response_url) | kf (target = external_userid, open_kfid in `via`).
    """

    channel: str
    target: str
    via: str = ""


@dataclass(frozen=True)
class NewGroup:
    """An app group chat to create before the first message to it (it shows up only once a message arrives)."""

    name: str
    owner: str
    members: tuple[str, ...]


@dataclass(frozen=True)
class Outbound:
    """One message to send: text, markdown or a card; `replaces` names a card to update instead."""

    to: Address
    text: str = ""
    markdown: bool = False
    card: Card | None = None
    card_update: dict[str, Any] | None = None  # {"response_code": …, "replace_name": …} or a full card
    create_group: NewGroup | None = None  # for an appchat address: create the group first

    def to_json(self) -> dict[str, Any]:
        return plain(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Outbound:
        card = data.get("card")
        if card is not None:
            card = Card(
                task_id=card["task_id"],
                title=card["title"],
                description=card.get("description", ""),
                fields=tuple(tuple(f) for f in card.get("fields", ())),
                buttons=tuple(Button(**b) for b in card.get("buttons", ())),
                selects=tuple(
                    Select(
                        question_key=s["question_key"],
                        title=s["title"],
                        options=tuple(tuple(o) for o in s["options"]),
                        selected_id=s.get("selected_id", ""),
                    )
                    for s in card.get("selects", ())
                ),
            )
        group = data.get("create_group")
        if group is not None:
            group = NewGroup(name=group["name"], owner=group["owner"], members=tuple(group["members"]))
        return cls(
            to=Address(**data["to"]),
            text=data.get("text", ""),
            markdown=data.get("markdown", False),
            card=card,
            card_update=data.get("card_update"),
            create_group=group,
        )
