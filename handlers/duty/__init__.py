"""报到: a department's liaisons sign for, report on, finish or hand back their part of a ticket."""

from handlers.duty.commands import router

tickers = None  # the whistle feature's tickers watch the deadlines of every part

__all__ = ["router", "tickers"]
