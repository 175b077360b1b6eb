"""绩效指数 and 星级: the township scores villages on the year's index, anyone concerned reads a village's
standing, a cadre their stars; a monthly standing to village secretaries and the year-end confirmation."""

from handlers.index import tickers
from handlers.index.commands import router

__all__ = ["router", "tickers"]  # tickers.register(scheduler, services) adds the scheduled jobs
