"""The sandbox's fake WeCom served on a fixed loopback port, with the faults its `fail_next` does not play."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from aiohttp import web
from aiohttp.typedefs import Handler

from bot.clock import Clock
from bot.sandbox.fake_wecom import FAKE_WECOM, FakeWecom, create_fake_wecom
from config.settings import WecomSettings

from .common import ANSWER_PATHS, free_port


class Wecom:
    """The sandbox's fake WeCom on a fixed loopback port. `down()` closes it (connections refused),
    `up()` serves the same record again. Two faults the sandbox's own `fail_next` does not play are
    added here, after the call is recorded: `answer_late(path, times, delay)` accepts a send and
    answers only after `delay` s (its "slow" mode waits before accepting, so a client that gives up
    sends nothing), and `kill_on_accept` SIGKILLs a service the moment WeCom has accepted an app send,
    before the answer leaves — the crash between acceptance and record."""

    def __init__(self, settings: WecomSettings) -> None:
        self.settings = settings
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.state: FakeWecom | None = None
        self.runner: web.AppRunner | None = None
        self.kill_on_accept: Callable[[], None] | None = None
        self.kill_after = 0  # accepted app sends still to let through before the kill
        self.late: dict[str, int] = {}  # path → calls still to answer late
        self.late_delay = 0.0

    @property
    def api_base(self) -> str:
        return f"{self.base_url}/cgi-bin"

    def answer_late(self, path: str, times: int, delay: float) -> None:
        self.late[path] = self.late.get(path, 0) + times
        self.late_delay = delay

    def fresh(self) -> FakeWecom:
        """A new, empty record for the next scenario; served from the next `up()`."""
        self.state = self._app(None)[FAKE_WECOM]
        self.state.base_url = self.base_url
        return self.state

    def _app(self, state: FakeWecom | None) -> web.Application:
        """The sandbox's app; with `state`, serving that record (a restart keeps what WeCom received)."""
        app = create_fake_wecom(
            self.settings.corp_id, {str(self.settings.app.agent_id): self.settings.app.secret}, clock=Clock()
        )
        if state is not None:
            app[FAKE_WECOM] = state
        app.middlewares.append(self._after_accepting)
        return app

    @web.middleware
    async def _after_accepting(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        response = await handler(request)  # the fake has recorded the call (and its failure, if told to fail)
        path = request.path.removeprefix("/cgi-bin/")
        if path not in ANSWER_PATHS:
            return response
        assert self.state is not None
        last = self.state.sent[-1] if self.state.sent else None
        accepted = last is not None and last.ok
        if accepted and self.late.get(path, 0) > 0:
            self.late[path] -= 1
            await asyncio.sleep(self.late_delay)  # the client has given up by now; WeCom keeps the send
        if accepted and self.kill_on_accept is not None and path == "message/send":
            self.kill_after -= 1
            if self.kill_after < 0:
                kill, self.kill_on_accept = self.kill_on_accept, None
                kill()  # synchronously: the service dies before it reads WeCom's answer
        return response

    async def up(self) -> None:
        self.runner = web.AppRunner(self._app(self.state), handle_signals=False, access_log=None)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()

    async def down(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None

    async def restart_fresh(self) -> FakeWecom:
        await self.down()
        state = self.fresh()
        await self.up()
        return state
