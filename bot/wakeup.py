"""Waiting for a wake-up event or a time-out, in a way that never swallows a cancellation.

On Python 3.11 `asyncio.wait_for` can lose a `cancel()` that arrives just as the awaited event is set
(the task then runs on and whoever awaits its end waits for ever); `asyncio.timeout` does not.
"""

from __future__ import annotations

import asyncio


async def wait_for_event(event: asyncio.Event, timeout: float) -> bool:
    """True when `event` was set within `timeout` seconds, False when the time ran out."""
    try:
        async with asyncio.timeout(timeout):
            await event.wait()
    except TimeoutError:
        return False
    return True
