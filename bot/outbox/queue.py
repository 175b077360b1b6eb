"""Writing to the outbox: queue a message with the data change, take back one still waiting, and the
few questions asked of the queued rows (what waits, what went out unanswered)."""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from tortoise.expressions import Q

from bot.channels.senders import NO_IDEMPOTENCY
from bot.channels.types import Address, Outbound
from models import OutboxMessage
from models.inserts import insert_each_unless_there, insert_unless_there

PENDING, SENT, DEAD, PARKED, REFUSED = "pending", "sent", "dead", "parked", "refused"
COMBINED = "combined"  # sent as one item of a combined message (result["combined_into"] names its row)
ANSWER_KEYS = ("reply:", "reply-card:")  # dedupe keys of answers to what someone just said (bot/dispatch.py)
NORMAL, URGENT = 0, 1  # priority: urgent rows are claimed first, also within one recipient's budget
PROMPT = 2  # a card update or an AI-bot welcome, which WeCom takes only for seconds: a lane of its own
UNANSWERED = "unanswered"  # result key: attempts that may have reached WeCom without our hearing its answer


async def enqueue(
    message: Outbound,
    *,
    now: datetime,
    not_before: datetime | None = None,
    dedupe_key: str | None = None,
    fallback: Outbound | None = None,
    fallback_key: str | None = None,
    priority: int = NORMAL,
    notice: bool = False,
) -> OutboxMessage | None:
    """Queue one message; with a dedupe_key already queued it does nothing and returns None.

    Call it inside `in_transaction()` together with the data change, so both commit or neither does.
    A duplicate key is skipped by the insert itself (`ON CONFLICT DO NOTHING`), so the caller's transaction
    stays usable (PostgreSQL aborts a whole transaction on an error otherwise).
    fallback: for a card update, the message (a fresh card) queued instead if WeCom refuses the update,
    with `fallback_key` as its dedupe key (default `fallback:<row id>`).
    priority: URGENT for an urgent matter's answer and notices (sent before the rest); PROMPT for what WeCom
        takes only for seconds (sent by the worker's prompt lane, ahead of any backlog).
    notice: a notice to a member that may be combined with others due for them (bot/outbox/combine.py).
    A used dedupe key is caught by the unique index (no read before the insert: one statement fewer per send).
    """
    if fallback is not None and message.card_update is None:
        raise ValueError("only a card update can have a fallback")
    row = _row(message, now, not_before, dedupe_key, priority, notice, fallback, fallback_key)
    if not await insert_unless_there(row):
        return None  # a used key: no error, nothing written
    if priority >= PROMPT:
        _last_prompt[0] = time.monotonic()
    return row


async def enqueue_each(
    messages: Sequence[tuple[Outbound, str | None]],
    *,
    now: datetime,
    not_before: datetime | None = None,
    priority: int = NORMAL,
    notice: bool = False,
) -> int:
    """Queue several messages (each with its dedupe key) in one statement, as `enqueue` would one by one;
    how many were queued (a used key is skipped). For the same news to several members, and the answers to a
    batch of messages."""
    rows = [_row(message, now, not_before, key, priority, notice, None, None) for message, key in messages]
    written = await insert_each_unless_there(rows)
    if written and priority >= PROMPT:
        _last_prompt[0] = time.monotonic()
    return written


def _row(
    message: Outbound,
    now: datetime,
    not_before: datetime | None,
    dedupe_key: str | None,
    priority: int,
    notice: bool,
    fallback: Outbound | None,
    fallback_key: str | None,
) -> OutboxMessage:
    payload = message.to_json()
    if notice:
        payload["notice"] = True
    if fallback is not None:
        payload["fallback"] = fallback.to_json()
        if fallback_key is not None:
            payload["fallback_key"] = fallback_key
    return OutboxMessage(
        kind=message.to.channel,
        target=message.to.target,
        payload=payload,
        dedupe_key=dedupe_key,
        not_before=not_before or now,
        created_at=now,
        priority=priority,
    )


_last_prompt = [-math.inf]  # when this process last queued a PROMPT row (monotonic seconds)


def prompt_queued_within(seconds: float) -> bool:
    """Whether this process queued a PROMPT row in the last `seconds`: the outbox worker's prompt lane claims on
    a wake only then (its commit may come a moment later), and otherwise on its idle tick (other processes')."""
    return time.monotonic() - _last_prompt[0] < seconds


async def withdraw_waiting(to: Address, *, key_prefix: str, now: datetime) -> OutboxMessage | None:
    """Take back the message to `to` (dedupe key starting `key_prefix`) that is still waiting to be due, so its
    sender can queue it again with more in it; None when there is none, or a worker claimed it first.

    A queued row is never changed — what is queued is what is sent — so combining news is a withdrawal and
    a new row, both in the caller's transaction; the delete only takes a row no worker holds.
    """
    unclaimed = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    waiting = (
        await OutboxMessage.filter(
            unclaimed,
            dedupe_key__startswith=key_prefix,
            status=PENDING,
            not_before__gt=now,
            kind=to.channel,
            target=to.target,
        )
        .order_by("-id")
        .first()
    )
    if waiting is None:
        return None
    taken = await OutboxMessage.filter(unclaimed, id=waiting.id, status=PENDING).delete()
    return waiting if taken else None


async def held_back(now: datetime) -> list[OutboxMessage]:
    """Rows waiting for their time (quiet hours, combined news, a limit, a retry), soonest first.

    Only rows that will be sent: settled rows (sent, dead, refused) and parked kf rows are not waiting.
    """
    return await OutboxMessage.filter(status=PENDING, not_before__gt=now).order_by("not_before", "id")


async def unanswered_sends() -> dict[str, dict[str, int]]:
    """Per channel: rows with an attempt whose answer we never heard (a timeout, a crash mid-send), and
    how many of those are sent on a channel without an idempotency key (so may have shown twice)."""
    counts: dict[str, dict[str, int]] = defaultdict(lambda: {"unanswered": 0, "maybe_doubled": 0})
    rows = await OutboxMessage.filter(result__isnull=False, last_error__not="").values("kind", "status", "result")
    for row in rows:
        if unanswered(row["result"]):
            counts[row["kind"]]["unanswered"] += 1
            if row["status"] == SENT and row["kind"] in NO_IDEMPOTENCY:
                counts[row["kind"]]["maybe_doubled"] += 1
    return dict(counts)


def unanswered(result: Any) -> int:
    """How many attempts of a row went out without an answer (its `result`)."""
    return int(result.get(UNANSWERED, 0)) if isinstance(result, dict) else 0


async def unpark_kf(external_userid: str, *, now: datetime) -> int:
    """The villager wrote again: kf messages parked for them may go now. Returns how many were released."""
    return await OutboxMessage.filter(kind="kf", target=external_userid, status=PARKED).update(
        status=PENDING, not_before=now, claimed_until=None
    )


async def requeue_dead(row_id: int, *, now: datetime) -> bool:
    """An admin fixed the cause: send a dead row again from scratch."""
    return bool(
        await OutboxMessage.filter(id=row_id, status=DEAD).update(
            status=PENDING, attempts=0, not_before=now, claimed_until=None
        )
    )
