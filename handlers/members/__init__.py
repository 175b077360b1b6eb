"""在职党员: serving Party members in the grids — 双报到, 实事 like every cadre, skills offered matching requests,
answers credited, monthly summaries (双报告) and year-end grades from unit and village (双考评)."""

from handlers.members import tickers
from handlers.members.commands import router

__all__ = ["router", "tickers"]
