"""Danger reaches the nearest at once: an urgent matter goes to the grid members, the village secretary and the
first secretary of where it was reported, whatever the hour, on a card they acknowledge with one tap (收到)."""

from handlers.urgent.commands import router

tickers = None

__all__ = ["router", "tickers"]
