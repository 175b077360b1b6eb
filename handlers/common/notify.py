"""Queueing notices to cadres and liaisons: app messages that respect quiet hours unless urgent."""

from __future__ import annotations

from bot.calendar import QuietHours
from bot.channels.types import Address, Card, Outbound
from bot.outbox import enqueue
from handlers.core.context import Services


async def notify_user(
    services: Services,
    userid: str,
    *,
    text: str = "",
    card: Card | None = None,
    urgent: bool = False,
    dedupe_key: str | None = None,
) -> bool:
    """Queue an app message (text or card) to one WeCom member; False when dedupe_key was already used."""
    now = services.clock.now()
    not_before = QuietHours.from_policy(services.policy.quiet_hours).next_allowed(now, urgent=urgent)
    row = await enqueue(
        Outbound(to=Address("app", userid), text=text, card=card),
        now=now, not_before=not_before, dedupe_key=dedupe_key,
    )
    return row is not None


async def notify_users(services: Services, userids: list[str], **kwargs) -> int:
    """The same notice to several members; dedupe keys get the userid appended. Returns how many were queued."""
    key = kwargs.pop("dedupe_key", None)
    queued = 0
    for userid in dict.fromkeys(userids):
        queued += await notify_user(services, userid, dedupe_key=f"{key}:{userid}" if key else None, **kwargs)
    return queued
