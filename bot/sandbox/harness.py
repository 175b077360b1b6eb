"""The real service driven by hand, for tests: WeCom played by the sandbox, the outbox sent only when told.

Nobody sleeps: `settle()` waits until every callback is handled and every due message has gone to the fake WeCom.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from bot.clock import ManualClock
from bot.keys import INBOX, KF
from bot.outbox import OutboxWorker
from bot.sandbox.callbacks import CallbackClient
from bot.sandbox.fake_wecom import FakeWecom


@dataclass
class DrivenService:
    app: web.Application
    wecom: CallbackClient  # plays WeCom's callbacks
    fake: FakeWecom  # what WeCom's API received
    worker: OutboxWorker  # the outbox, run by hand
    clock: ManualClock

    async def settle(self) -> None:
        """Every callback handled and every due message sent."""
        await self.app[KF].until_idle()
        await self.app[INBOX].until_idle()
        while await self.worker.run_once():
            pass

    async def later(self, **delta: float) -> None:
        """Settle, move the clock, settle again."""
        await self.settle()
        self.clock.advance(**delta)
        await self.settle()

    def texts_to(self, userid: str) -> list[str]:
        """The app's text messages to one member, in order."""
        return [
            b["text"]["content"]
            for b in self.fake.bodies("message/send")
            if userid in b["touser"].split("|") and b["msgtype"] == "text"
        ]
