"""包保 and 走访: pairing vulnerable households with cadres, the cadres' visits (民情日记), and their reminders."""

from handlers.core.router import Router
from handlers.visits import commands, tickers, to_request
from handlers.visits import list as visit_list

router = Router("visits")
for part in (commands.router, visit_list.router, to_request.router):
    router.include_router(part)

__all__ = ["router", "tickers"]  # tickers.register(scheduler, services) adds the scheduled jobs
