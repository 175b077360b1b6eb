"""`gridwhistle serve` as a child process, and a round robin in front of several."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
from aiohttp import web

from .common import free_port

ROOT = Path(__file__).resolve().parent.parent.parent


class Service:
    """`gridwhistle serve` in a child process on its own port."""

    def __init__(self, name: str, database_url: str, api_base: str, workdir: Path) -> None:
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workdir = workdir
        self.env = dict(
            os.environ,
            GRIDWHISTLE_DATABASE__URL=database_url,
            GRIDWHISTLE_SERVER__PORT=str(self.port),
            GRIDWHISTLE_WECOM__API_BASE=api_base,
            GRIDWHISTLE_MEDIA__DIR=str(workdir / "media"),
        )
        self.proc: subprocess.Popen | None = None

    def spawn(self) -> None:
        log = open(self.workdir / f"{self.name}.log", "ab")  # noqa: SIM115 - the child holds it
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "serve"], cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        log.close()

    async def start(self, http: aiohttp.ClientSession, timeout: float = 120.0) -> None:
        self.spawn()
        await self.ready(http, timeout)

    async def ready(self, http: aiohttp.ClientSession, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}: {self.tail()}")
            try:
                async with http.get(self.url + "/healthz", timeout=aiohttp.ClientTimeout(total=2)) as answer:
                    if answer.status == 200:
                        return
            except (aiohttp.ClientError, TimeoutError):
                pass
            await asyncio.sleep(0.2)
        raise RuntimeError(f"{self.name} did not come up in {timeout:.0f} s: {self.tail()}")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()

    def tail(self) -> str:
        path = self.workdir / f"{self.name}.log"
        return path.read_text(errors="replace")[-1500:] if path.exists() else ""


class RoundRobin:
    """A tiny reverse proxy: each request to the next service in turn."""

    def __init__(self, backends: list[str], http: aiohttp.ClientSession) -> None:
        self.backends = backends
        self.http = http
        self.turn = 0
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application(client_max_size=2 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._forward)
        self.runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()

    async def _forward(self, request: web.Request) -> web.Response:
        backend = self.backends[self.turn % len(self.backends)]
        self.turn += 1
        body = await request.read()
        try:
            async with self.http.request(
                request.method, backend + request.rel_url.path_qs, data=body, headers={"Content-Type": "text/plain"}
            ) as answer:
                return web.Response(status=answer.status, body=await answer.read())
        except aiohttp.ClientError:
            return web.Response(status=502)

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
