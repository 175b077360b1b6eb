"""Writes that arrive in the same turn of the event loop, done by one call (one statement, one commit).

Each caller hands its item and waits; the first starts a writer task, which lets the loop turn once so the
others of that moment join, then writes them all and gives each caller its own result. Items arriving while
a call is under way go in the next one. A caller resumes only once the call carrying its item is done, so what
it does next (answer WeCom 200, send the next message) still follows its own write; a failed call fails each
of its callers, as a failed write of their own would.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


class Gathered(Generic[Item, Result]):
    def __init__(self, write: Callable[[list[Item]], Awaitable[Sequence[Result]]], name: str) -> None:
        self.write = write  # all the items of a moment → each one's result, in order
        self.name = name
        self.calls = 0  # writes made (items ÷ calls: how much the gathering saved)
        self._waiting: list[tuple[Item, asyncio.Future[Result]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def __call__(self, item: Item) -> Result:
        done: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.get_running_loop().create_task(self._write(), name=self.name)
        return await done

    async def _write(self) -> None:
        await asyncio.sleep(0)  # the callers reaching this point in this turn of the loop join the call
        while self._waiting:
            batch, self._waiting = self._waiting, []
            try:
                results = await self.write([item for item, _ in batch])
            except Exception as exc:
                for _, done in batch:
                    if not done.done():
                        done.set_exception(exc)
            else:
                self.calls += 1
                for (_, done), result in zip(batch, results, strict=True):
                    if not done.done():
                        done.set_result(result)
