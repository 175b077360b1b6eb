"""The transactional outbox: handlers queue messages with their data change; a worker sends them to WeCom.

Writing: `enqueue()` inside the handler's transaction, so the message exists exactly when the change does
(`enqueue_each()`: the same news to several members in one statement).

Sending: `OutboxWorker.run_once()` claims due rows (PostgreSQL: `FOR UPDATE SKIP LOCKED` under a short
advisory lock that also makes the rate counts exact across processes; SQLite: a conditional lease update),
sends them, and marks each one sent in the statement that records WeCom's answer. The claim is a short
lease (LEASE) that a heartbeat renews while the sends are in flight: a slow send is never taken over by
another worker, and the rows of a worker that died are sent by another within LEASE.

A row goes out twice only if WeCom took a send whose answer never reached us: the process died between
WeCom's acceptance and our record, or the answer came after SEND_TIMEOUT. Such an attempt is counted
on the row (`result["unanswered"]`, see `unanswered_sends`) and sent again; WeCom's own idempotency
then keeps it once — kf msgid, app enable_duplicate_check, and single-use card-update codes and AI-bot
response URLs, whose refusal after an unanswered attempt means the first one got through. Webhook and
appchat sends have no such key: there the count is what may have shown twice.

A card update WeCom refuses (its response_code unknown or used) is final: the row is `refused` (no
alarm) and the fresh card queued with it (`enqueue(..., fallback=…)`) goes out instead.

Failures are retried with exponential back-off; after `max_attempts` a row is dead and the admins are
told. Limits are respected by waiting: a row that would exceed a member's 30/min or 1000/h, or a
webhook's 20/min, gets its `not_before` pushed to when the window frees up; it is never dropped.
A kf message outside the 48 h / 5-message window is parked until the villager writes again.
All time comes from the injectable clock.
"""

from bot.outbox.budget import LIMITS, Limit
from bot.outbox.queue import (
    COMBINED,
    DEAD,
    NORMAL,
    PARKED,
    PENDING,
    PROMPT,
    REFUSED,
    SENT,
    URGENT,
    enqueue,
    enqueue_each,
    held_back,
    requeue_dead,
    unanswered,
    unanswered_sends,
    unpark_kf,
    withdraw_waiting,
)
from bot.outbox.worker import LEASE, MAX_ATTEMPTS, OutboxWorker, idempotency_key

__all__ = [
    "COMBINED",
    "DEAD",
    "LEASE",
    "LIMITS",
    "MAX_ATTEMPTS",
    "NORMAL",
    "PROMPT",
    "PARKED",
    "PENDING",
    "REFUSED",
    "SENT",
    "URGENT",
    "Limit",
    "OutboxWorker",
    "enqueue",
    "enqueue_each",
    "held_back",
    "idempotency_key",
    "requeue_dead",
    "unanswered",
    "unanswered_sends",
    "unpark_kf",
    "withdraw_waiting",
]
