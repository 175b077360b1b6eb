"""The village tier's thin tickers (on the scheduler's leader): the same-day check every minute, the villages'
daily digest from its hour, and word to the village when the township whistled a matter it had. Each asks the database what is due; the outbox keys make every message once."""

from __future__ import annotations

from datetime import datetime
from functools import partial

from bot.scheduler import Scheduler
from handlers.core.context import Services
from handlers.village.digest import send_village_digests
from handlers.village.same_day import check_same_day, tell_taken_over

TICK_SECONDS = 60


def register(scheduler: Scheduler, services: Services) -> None:
    scheduler.every("village", TICK_SECONDS, partial(tick, services))


async def tick(services: Services, now: datetime | None = None) -> dict[str, int]:
    now = now or services.clock.now()
    done = await check_same_day(services, now)
    done["taken_over"] = await tell_taken_over(services, now)
    done["digest"] = await send_village_digests(services, now)
    return done
