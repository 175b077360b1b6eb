"""The urgent feature's ticker: every minute, call the 带班 leaders of urgent matters nobody acknowledged."""

from __future__ import annotations

from datetime import datetime
from functools import partial

from bot.scheduler import Scheduler
from handlers.core.context import Services
from handlers.urgent.escalation import escalate

TICK_SECONDS = 60


def register(scheduler: Scheduler, services: Services) -> None:
    scheduler.every("urgent.escalation", TICK_SECONDS, partial(tick, services))


async def tick(services: Services, now: datetime | None = None) -> int:
    return await escalate(services, now or services.clock.now())
