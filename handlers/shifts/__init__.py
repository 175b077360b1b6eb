"""值班表: who leads (带班) and keeps (值班) each shift of a township or village, by roster sheet or by chat,
and tomorrow's open posts reported to the township the day before. (`handlers/duty/` is the departments' 报到.)"""

from handlers.shifts import tickers
from handlers.shifts.commands import router

__all__ = ["router", "tickers"]
