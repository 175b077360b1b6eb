"""Background tasks: waiting for a wake-up or a time-out without swallowing a cancellation, and stopping.

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


async def stop_task(task: asyncio.Task[None] | None) -> None:
    """Cancel a background task and wait until it has really ended."""
    if task is None:
        return
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass
