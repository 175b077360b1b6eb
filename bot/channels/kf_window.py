"""WeChat customer service's one rule for sending: a villager may be sent at most 5 messages within 48 hours
of their own last message (docs/wecom-kf.md). The sender checks it before each send, counting what WeCom
received; bot/reach.py checks it before choosing kf as the way to reach someone, counting what is queued."""

from __future__ import annotations

from datetime import datetime, timedelta

WINDOW = timedelta(hours=48)
MESSAGES_PER_WINDOW = 5


def window_open(last_customer_message_at: datetime | None, now: datetime, messages_since: int, adding: int = 1) -> bool:
    """Whether `adding` more messages fit: within the window of the villager's last message, and no more than
    MESSAGES_PER_WINDOW since it."""
    if last_customer_message_at is None or now - last_customer_message_at > WINDOW:
        return False
    return messages_since + adding <= MESSAGES_PER_WINDOW
