"""The requests feature's ticker: each grid member's daily list of messages judged not to be requests."""

from __future__ import annotations

from datetime import datetime
from functools import partial

from bot.scheduler import Scheduler
from handlers.core.context import Services
from handlers.requests.digest import send_non_request_digests

TICK_SECONDS = 300  # the list goes out within five minutes of [requests] non_request_digest_at


def register(scheduler: Scheduler, services: Services) -> None:
    """Add the ticker to bot/scheduler.py's Scheduler (it calls `ticker(now)`)."""
    scheduler.every("requests.non-request-digest", TICK_SECONDS, partial(tick, services))


async def tick(services: Services, now: datetime | None = None) -> int:
    return await send_non_request_digests(services, now or services.clock.now())
