"""The overdue ticker: every few minutes, each step past its deadline raises its flow's 失责预警 once.

PowerWarning is unique per (flow, step, kind) and the messages carry outbox keys, so a run twice, a restart
or a second process never warns twice.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial

from tortoise.transactions import in_transaction

from bot.scheduler import Scheduler
from handlers.core.context import Services
from handlers.powers.flows import overdue_steps, raise_warning
from models import PowerFlow

TICK_SECONDS = 300


def register(scheduler: Scheduler, services: Services) -> None:
    scheduler.every("powers.overdue", TICK_SECONDS, partial(tick, services))


async def tick(services: Services, now: datetime | None = None) -> int:
    """Warn about every overdue step not warned yet; how many warnings were raised."""
    powers = services.powers
    if powers is None:
        return 0
    now = now or services.clock.now()
    raised = 0
    for step in await overdue_steps(now):
        async with in_transaction():  # the warning row and its messages commit together
            flow = await PowerFlow.get(id=step.flow_id)
            raised += await raise_warning(services, powers, flow, step, "overdue", now)
    return raised
