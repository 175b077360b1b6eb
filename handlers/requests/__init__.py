"""Villagers' requests (诉求): recording, the grid's own matters, 代报, customer-service villagers, ratings."""

from handlers.core.router import Router
from handlers.requests import backlog, commands, tickers
from handlers.requests.kf import commands as kf
from handlers.requests.rating import commands as rating
from handlers.requests.relay import commands as relay
from handlers.requests.village import commands as village

router = Router("requests")
for part in (commands.router, rating.router, village.router, relay.router, kf.router):
    router.include_router(part)
router.after_backlog()(backlog.forward_waiting)  # matters answered in a backlog, sent on after it

__all__ = ["router", "tickers"]  # tickers.register(scheduler, services) adds the scheduled jobs
