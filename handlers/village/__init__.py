"""The village tier (村级吹哨): with the county's switch on, a county department's matter that is not urgent goes to
the village first (handlers/village/service.py); its same-day check and the villages' daily digest (tickers).
村办结 / 上报乡镇 themselves are the village card's (handlers/requests/village/)."""

from handlers.core.router import Router
from handlers.village import tickers

router = Router("village")  # no words of its own: the village card's buttons and words act on these matters

__all__ = ["router", "tickers"]
