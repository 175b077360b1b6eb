"""The one list of features: the dispatcher tries their handlers in this order, the scheduler runs their tickers.

Each feature package exports `router` (a handlers.core.router.Router) and `tickers`: its module of thin
scheduled jobs, whose `register(scheduler, services)` adds them (None for a feature with none).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from bot.scheduler import Scheduler
from handlers import duty, help, index, members, powers, requests, shifts, tasks, urgent, village, visits, whistle
from handlers.core.context import Services
from handlers.core.router import Router

Registration = Callable[[Scheduler, Services], None]


class Tickers(Protocol):
    """A feature's tickers module."""

    def register(self, scheduler: Scheduler, services: Services) -> None: ...


class Feature(Protocol):
    """A feature package, as its `__init__` exports it."""

    @property
    def router(self) -> Router: ...

    @property
    def tickers(self) -> Tickers | None: ...


# requests before duty: a grid member's `办结 #N` for a matter the grid keeps is the village's.
# powers before requests: a question the small-powers list answers is not sent on; 满意 / 没解决 after it too.
FEATURES: tuple[Feature, ...] = (
    help,
    powers,
    requests,
    tasks,
    visits,
    whistle,
    duty,
    urgent,
    shifts,
    village,
    index,
    members,
)


def routers() -> list[Router]:
    return [feature.router for feature in FEATURES]


def ticker_registrations() -> list[Registration]:
    return [feature.tickers.register for feature in FEATURES if feature.tickers is not None]
