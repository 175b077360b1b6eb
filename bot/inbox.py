"""The inbox: where every inbound message is stored before WeCom gets its 200, and the worker that drains it.

`record()` is the channels' one write: a single INSERT keyed by (channel, message key); a retried
callback hits the unique key and changes nothing. `InboxWorker` hands pending rows to the dispatcher
one by one after the answer has gone out; at start it finds the rows a crash left pending.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from bot.channels.types import Inbound
from bot.clock import Clock
from bot.wakeup import stop_task, wait_for_event
from models import InboxMessage

log = logging.getLogger(__name__)

Process = Callable[[int], Awaitable[None]]

MAX_ATTEMPTS = 5  # a row the dispatcher fails on this often is parked as failed, not retried for ever
BATCH = 100
POLL_SECONDS = 5.0  # also pick up rows stored by another process on the same database


async def record(inbound: Inbound, key: str, *, status: str = "pending", error: str = "") -> int | None:
    """Store one inbound message; its row id, or None when this (channel, key) is already stored.

    Its own (nested) transaction: inside a caller's transaction a duplicate rolls back to a savepoint
    instead of poisoning the caller's PostgreSQL transaction.
    """
    try:
        async with in_transaction():
            row = await InboxMessage.create(
                channel=inbound.channel,
                message_key=key[:160],
                payload=inbound.to_json(),
                status=status,
                error=error,
                received_at=inbound.received_at,
            )
    except IntegrityError:
        return None
    return row.id


def mark_done(clock: Clock) -> Process:
    """A stand-in for the dispatcher that accepts each row and does nothing with it (intake tests, benchmarks)."""

    async def process(row_id: int) -> None:
        await InboxMessage.filter(id=row_id, status="pending").update(status="done", processed_at=clock.now())

    return process


class InboxWorker:
    """One asyncio task: process pending inbox rows in arrival order through `process(row_id)`.

    `notify()` wakes it (the channels call it after storing a row); `until_idle()` lets tests and the
    demo wait until everything stored so far has been handled, without sleeping.
    """

    def __init__(self, process: Process, clock: Clock, *, poll_seconds: float = POLL_SECONDS) -> None:
        self.process = process
        self.clock = clock
        self.poll_seconds = poll_seconds
        self.processed = 0
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._failures: dict[int, int] = {}

    def notify(self) -> None:
        self._idle.clear()
        self._wake.set()

    async def until_idle(self) -> None:
        await self._idle.wait()

    def start(self) -> None:
        self.notify()  # the first pass picks up what a crash left pending
        self._task = asyncio.get_running_loop().create_task(self._run(), name="inbox-worker")

    async def stop(self) -> None:
        task, self._task = self._task, None
        await stop_task(task)

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                await self.drain()
            except asyncio.CancelledError:
                raise
            except Exception:  # the database went away for a moment: try again on the next wake-up
                log.exception("inbox worker: reading pending rows failed")
            if not self._wake.is_set():
                self._idle.set()
            await wait_for_event(self._wake, self.poll_seconds)

    async def drain(self) -> int:
        """Process every row pending now, each at most once per pass; returns how many succeeded."""
        handled = 0
        failed: set[int] = set()
        while True:
            rows = await (
                InboxMessage.filter(status="pending")
                .exclude(id__in=failed or [0])
                .order_by("id")
                .limit(BATCH)
                .values_list("id")
            )
            if not rows:
                return handled
            for (row_id,) in rows:
                if await self._one(row_id):
                    handled += 1
                else:
                    failed.add(row_id)  # retried on a later pass, not in a tight loop

    async def _one(self, row_id: int) -> bool:
        try:
            await self.process(row_id)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            failures = self._failures[row_id] = self._failures.get(row_id, 0) + 1
            log.exception("inbox row %s: processing failed (%s of %s)", row_id, failures, MAX_ATTEMPTS)
            if failures >= MAX_ATTEMPTS:
                await InboxMessage.filter(id=row_id, status="pending").update(
                    status="failed",
                    attempts=failures,
                    error=f"{type(exc).__name__}: {exc}"[:2000],
                    processed_at=self.clock.now(),
                )
                self._failures.pop(row_id, None)
            return False
        self._failures.pop(row_id, None)
        self.processed += 1
        return True
