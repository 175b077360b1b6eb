"""Danger reaches the nearest at once: an urgent matter goes to the grid members, the village secretary and the
first secretary of where it was reported and the village's and township's cadres on duty, whatever the hour,
on a card they acknowledge with one tap (收到); unacknowledged, it calls the 带班 leaders in turn."""

from handlers.urgent import tickers
from handlers.urgent.commands import router

__all__ = ["router", "tickers"]
