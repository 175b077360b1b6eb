"""The small-powers list (小微权力清单): questions answered from it, and its flows run in chat with deadlines
and failure warnings (失责预警). Off when the settings name no `[powers] file`."""

from handlers.powers import tickers
from handlers.powers.commands import router

__all__ = ["router", "tickers"]
