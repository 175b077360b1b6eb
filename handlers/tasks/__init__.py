"""实事: each cadre's 2–3 practical tasks a year, and their reminders."""

from handlers.tasks import tickers
from handlers.tasks.commands import router

__all__ = ["router", "tickers"]  # tickers.register(scheduler, services) adds the scheduled jobs
