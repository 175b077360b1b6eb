"""吹哨: the township committee sends a request to its departments, re-assigns, urges, lists and counts."""

from handlers.core.router import Router
from handlers.whistle import commands, new, tickers

router = Router("whistle")
for part in (commands.router, new.router):
    router.include_router(part)

__all__ = ["router", "tickers"]  # tickers.register(scheduler, services) adds the scheduled jobs
