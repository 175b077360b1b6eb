"""The one list of features: the dispatcher tries their handlers in this order, the scheduler runs their tickers.

Each feature package exports `router` (a handlers.core.router.Router) and `tickers`: its module of thin
scheduled jobs, whose `register(scheduler, services)` adds them (None for a feature with none).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from handlers import duty, help, requests, tasks, visits, whistle
from handlers.core.context import Services
from handlers.core.router import Router

# requests before duty: a grid member's `办结 #N` for a matter the grid keeps is the village's.
FEATURES = (help, requests, tasks, visits, whistle, duty)


def routers() -> list[Router]:
    return [feature.router for feature in FEATURES]


def ticker_registrations() -> list[Callable[[Any, Services], None]]:
    return [feature.tickers.register for feature in FEATURES if feature.tickers is not None]
