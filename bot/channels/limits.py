"""What any request from outside must meet before its content is looked at: a size, a time to arrive, and
(for a signed callback) a timestamp near our clock. Also the log of refusals, which an attacker must not
be able to flood.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import NamedTuple

from aiohttp import web
from aiohttp.typedefs import Middleware

from bot.clock import Clock

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024  # WeCom's callbacks are a few kB; anything over 1 MB is refused with 413
REFUSAL_LOG_EVERY = 60.0  # seconds: at most one log line per kind of refusal in this time

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def body_deadline(seconds: float, refusals: RefusalLog) -> Middleware:
    """A middleware: a body announced too big is refused before it is read, and one that does not arrive
    within `seconds` closes the connection (a slow client would otherwise hold a socket indefinitely)."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.content_length is not None and request.content_length > MAX_BODY:
            refusals.refused(request.path, "body over 1 MB announced")
            raise web.HTTPRequestEntityTooLarge(max_size=MAX_BODY, actual_size=request.content_length)
        if request.body_exists:
            try:
                async with asyncio.timeout(seconds):
                    await request.read()  # kept by aiohttp: the view's read() returns it at once
            except TimeoutError:
                refusals.refused(request.path, f"body not received within {seconds:g} s; connection closed")
                response = web.Response(status=408, text="body too slow")
                response.force_close()
                return response
        return await handler(request)

    return middleware


class Skew(NamedTuple):
    seconds: float  # how far the callback's timestamp is from our clock (negative: in the past)


def clock_skew(timestamp: str, now: datetime) -> Skew:
    """How far a callback's timestamp (seconds since 1970, as WeCom signs it) is from now.

    Raises ValueError for a timestamp that is not a plain number of seconds."""
    if not timestamp.isdigit() or len(timestamp) > 12:
        raise ValueError("timestamp is not a number of seconds")
    return Skew(int(timestamp) - now.timestamp())


class RefusalLog:
    """One warning line per (channel, reason) per `every` seconds; the next line says how many it left out.

    A refused request is logged in one short line with no content; a flood of them costs a line a minute.
    """

    def __init__(self, clock: Clock, every: float = REFUSAL_LOG_EVERY, logger: logging.Logger = log) -> None:
        self.clock = clock
        self.every = every
        self.logger = logger
        self._last: dict[tuple[str, str], datetime] = {}
        self._left_out: dict[tuple[str, str], int] = {}

    def refused(self, channel: str, reason: str, detail: str = "") -> None:
        """reason: a fixed phrase (the rate limit is per phrase); detail: a figure for this one case."""
        key, now = (channel, reason), self.clock.now()
        last = self._last.get(key)
        if last is not None and (now - last).total_seconds() < self.every:
            self._left_out[key] = self._left_out.get(key, 0) + 1
            return
        if len(self._last) > 1000:  # reasons are a short fixed list; this only bounds memory
            self._last.clear()
        self._last[key] = now
        left_out = self._left_out.pop(key, 0)
        more = f" (and {left_out} more like it since the last line)" if left_out else ""
        self.logger.warning("%s callback refused: %s%s%s", channel, reason, f" ({detail})" if detail else "", more)
