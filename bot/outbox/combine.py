"""No one buried in notices: past a few a minute, one person's waiting notices go out as one combined message.

WeCom takes 30 app messages a minute per member, but a cadre reading cards one by one cannot keep up
with far fewer. So each recipient of app messages has a softer budget (config/outbox.toml): while it
allows, notices go one by one (urgent first, with a larger allowance of their own); the rest that are
due for the same person are combined into one message — a card 「新通知 12 件待确认」 listing them, with
全部确认 (every item's first button) and a button for each of the first few items. A person whose budget
is spent waits until it frees (within the minute) and then gets everything due as one message.

Nothing is lost or doubled: the combined row is inserted and its items are marked `combined` (their
result names it) in the claim's transaction; the items keep their payloads, so the click on the
combined card is handed to each item's own handler (bot/dispatch.py), and a combined message that
cannot be sent is retried and buried like any other row.
Only notices are combined (rows queued with `notice=True`: what bot/reach.py queues for a member, from
any feature): not answers to what someone just said, card updates, group creations, or admins' alerts.
"""

from __future__ import annotations

import secrets
import tomllib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from bot.channels.types import Address, Button, Card, Outbound
from bot.outbox.queue import ANSWER_KEYS, URGENT
from config.errors import ConfigError
from config.texts import Texts
from models import OutboxMessage

CONFIG_FILE = Path(__file__).resolve().parents[2] / "config" / "outbox.toml"
KEY_PREFIX = "combined:"  # dedupe key of a combined row, and the scheme of its buttons' keys
NOT_COMBINED = (*ANSWER_KEYS, "dead-alert:", "fallback:", KEY_PREFIX)
ITEM_BUTTONS = 5  # WeCom shows six buttons: 全部确认 and one for each of the first five items
WINDOW = timedelta(minutes=1)


@dataclass(frozen=True)
class Allowance:
    """How many messages a minute one person gets one by one (config/outbox.toml [combine])."""

    per_minute: int = 4
    urgent_per_minute: int = 10
    largest: int = 200  # items in one combined message; more go in the next
    listed: int = 20  # items a combined card lists line by line (全部确认 covers them all)


@cache
def allowance(path: Path = CONFIG_FILE) -> Allowance:
    """config/outbox.toml [combine]; a ConfigError names the file and key (read once, at start)."""
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle).get("combine", {})
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from None
    for key, value in data.items():
        if key not in Allowance.__dataclass_fields__:
            raise ConfigError(f"{path}: [combine] {key}: unknown key")
        if type(value) is not int:
            raise ConfigError(f"{path}: [combine] {key}: a whole number, not {value!r}")
    found = Allowance(**data)
    if not 1 <= found.per_minute <= found.urgent_per_minute <= 30 or found.largest < 2 or found.listed < 1:
        raise ConfigError(
            f"{path}: [combine] needs 1 <= per_minute <= urgent_per_minute <= 30, largest >= 2 and listed >= 1"
        )
    return found


def combinable(row: OutboxMessage) -> bool:
    payload = row.payload or {}
    return (
        row.kind == "app"
        and payload.get("notice") is True
        and row.attempts == 0
        and row.claimed_until is None  # a lease that ran out: WeCom may have it already, so it goes as it is
        and not payload.get("card_update")
        and not payload.get("create_group")
        and not (row.dedupe_key or "").startswith(NOT_COMBINED)
        and bool(payload.get("text") or payload.get("card"))
    )


@dataclass
class Plan:
    """What one claim does with one person's due rows."""

    alone: list[OutboxMessage] = field(default_factory=list)  # sent one by one
    combined: list[OutboxMessage] = field(default_factory=list)  # sent as one message
    wait_until: datetime | None = None  # the rest wait for the person's budget until then
    waiting: list[OutboxMessage] = field(default_factory=list)


def plan(rows: list[OutboxMessage], recent: list[datetime], now: datetime, rule: Allowance) -> Plan:
    """Split one person's due rows (urgent first, in claim order) by their allowance.

    recent: when this person's notices of the last minute went (or were claimed to go); answers to what
    they said themselves are not counted.
    """
    used = sum(1 for at in recent if at > now - WINDOW)
    result = Plan()
    queue = [r for r in rows if combinable(r)]
    result.alone = [r for r in rows if not combinable(r)]  # answers and updates are never held back here
    used += len(result.alone)

    def cap(row: OutboxMessage) -> int:
        return rule.urgent_per_minute if row.priority >= URGENT else rule.per_minute

    while queue:
        row = queue[0]
        last = len(queue) == 1
        # keep the last free slot for the combined message while more than one would follow
        if used + (1 if last else 2) <= cap(row):
            result.alone.append(queue.pop(0))
            used += 1
            continue
        break
    if len(queue) >= 2 and used + 1 <= cap(queue[0]):
        result.combined = queue[: rule.largest]
        queue = queue[rule.largest :]
    if queue:
        oldest = sorted(at for at in recent if at > now - WINDOW)
        result.wait_until = (oldest[0] + WINDOW) if oldest else now + WINDOW
        result.waiting = queue
    return result


def combined_message(rows: list[OutboxMessage], texts: Texts, token: str) -> Outbound:
    """One message for these rows: a card listing them, with 全部确认 and a button per first few items."""
    target = rows[0].target
    urgent = sum(1 for r in rows if r.priority >= URGENT)
    lines = []
    buttons = [Button(key=f"{KEY_PREFIX}{token}:all", text=texts.render("outbox.combined_all"), style=1)]
    for index, row in enumerate(rows, start=1):
        title, first = _summary(row.payload)
        mark = texts.render("outbox.combined_urgent_mark") if row.priority >= URGENT else ""
        lines.append(texts.render("outbox.combined_line", n=index, mark=mark, title=title))
        if first is not None and len(buttons) <= ITEM_BUTTONS:
            buttons.append(Button(key=f"{KEY_PREFIX}{token}:{index}", text=f"{index}. {first['text']}"[:12], style=2))
    title_key = "outbox.combined_title_urgent" if urgent else "outbox.combined_title"
    title = texts.render(title_key, count=len(rows), urgent=urgent)
    if len(buttons) == 1:  # plain notices only: nothing to confirm, one text with every line in full
        return Outbound(to=Address("app", target), text="\n".join([title, *lines]))
    listed = allowance().listed
    if len(lines) > listed:  # a card shows a screenful; the title counts them all
        lines = [*lines[:listed], texts.render("outbox.combined_more", more=len(lines) - listed)]
    card = Card(task_id=f"combined-{token}", title=title, description="\n".join(lines), buttons=tuple(buttons))
    return Outbound(to=Address("app", target), card=card)


def new_token() -> str:
    return secrets.token_hex(6)


def items_of(row: OutboxMessage) -> list[dict[str, Any]]:
    """The items of a combined row: each one's row id and its card's first button (key, text), if any."""
    return list((row.payload or {}).get("combined", []))


def item_entry(row: OutboxMessage) -> dict[str, Any]:
    _, first = _summary(row.payload)
    card = (row.payload or {}).get("card") or {}
    return {"id": row.id, "key": first["key"] if first else "", "task_id": card.get("task_id", "")}


def _summary(payload: dict[str, Any]) -> tuple[str, dict[str, Any] | None]:
    """A one-line title of a queued message, and its card's first button (what 全部确认 presses)."""
    card = payload.get("card")
    if card:
        buttons = card.get("buttons") or []
        title = card.get("title", "")
        if card.get("description"):
            title = f"{title}：{card['description']}"
        return _one_line(title), (buttons[0] if buttons else None)
    return _one_line(payload.get("text", ""), 400), None  # a plain notice is its whole text


def _one_line(text: str, width: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"
