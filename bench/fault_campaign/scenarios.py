"""The scenarios: what each does to WeCom, the service or the database while the messages flow."""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from bot.sandbox.fake_wecom import FakeWecom

from .common import ANSWER_PATHS, CLIENT_TIMEOUT, SLOW_ACCEPTANCE, say
from .postgres import ThrowawayPostgres
from .sender import Sender
from .service import Service
from .wecom import Wecom


@dataclass
class Run:
    """What a scenario works with; `boundaries` are indexes into the fake's record where a killed
    service was started again (copies on both sides of one are the crash instant's)."""

    name: str
    args: argparse.Namespace
    pg: ThrowawayPostgres
    wecom: Wecom
    fake: FakeWecom
    http: aiohttp.ClientSession
    database_url: str
    workdir: Path
    services: list[Service] = field(default_factory=list)
    sender: Sender | None = None
    boundaries: list[int] = field(default_factory=list)
    background: list[asyncio.Task] = field(default_factory=list)

    def later(self, work: Awaitable[Any]) -> None:
        self.background.append(asyncio.ensure_future(work))

    async def restart(self, service: Service, why: str) -> None:
        """SIGKILL, then start again at once (the sender keeps re-posting meanwhile)."""
        service.kill()
        self.boundaries.append(len(self.fake.sent))
        say(f"  {self.name}: {why}: {service.name} killed; restarting")
        began = time.monotonic()
        await service.start(self.http)
        say(f"  {self.name}: {service.name} answering again after {time.monotonic() - began:.1f} s")


Hook = Callable[[Run, int], Awaitable[None]]  # called as message i is about to be posted


@dataclass
class Scenario:
    name: str
    what: str
    prepare: Callable[[Run], Awaitable[None]] | None = None  # before the load (after the service is up)
    during: Hook | None = None
    services: int = 1
    copies: int = 1  # each callback delivered this many times at once


async def _fail(run: Run, paths: tuple[str, ...], times: int, **how: Any) -> None:
    for path in paths:
        run.fake.fail_next(path, times, **how)


def _answer_late(seconds: float) -> Callable[[Run], Awaitable[None]]:
    async def prepare(run: Run) -> None:
        for path in ANSWER_PATHS:
            run.wecom.answer_late(path, 3, seconds)

    return prepare


async def _wecom_down(run: Run, i: int) -> None:
    if i == run.args.messages // 4:

        async def outage() -> None:
            await run.wecom.down()
            say(f"  {run.name}: fake WeCom down (connections refused) for {run.args.outage:.0f} s")
            await asyncio.sleep(run.args.outage)
            await run.wecom.up()
            say(f"  {run.name}: fake WeCom up again")

        run.later(outage())


async def _revoke(run: Run, i: int) -> None:
    if i == run.args.messages // 3:
        run.fake.invalidate_tokens()  # every issued token now answers 42001
        say(f"  {run.name}: tokens expired early (42001)")
    if i == 2 * run.args.messages // 3:  # later: a 40014 first would have the client fetch a new token anyway
        for path in ("message/send", "kf/send_msg"):  # a response_url takes no token
            run.fake.fail_next(path, 2, errcode=40014)
        say(f"  {run.name}: the next two app and kf sends answered 40014 (invalid token)")


async def _kill_intake(run: Run, i: int) -> None:
    if i == run.args.messages // 2:
        run.later(run.restart(run.services[0], "during intake"))


async def _arm_kill_at_accept(run: Run) -> None:
    def kill() -> None:
        run.later(run.restart(run.services[0], "WeCom accepted a send, the outbox had not recorded it"))

    run.wecom.kill_after = max(1, run.args.messages // 4)  # app sends: answers and cadres' cards
    run.wecom.kill_on_accept = kill


async def _restart_pg(run: Run, i: int) -> None:
    if i == run.args.messages // 3:

        async def restart() -> None:
            began = time.monotonic()
            await asyncio.to_thread(run.pg.restart)
            say(f"  {run.name}: PostgreSQL restarted ({time.monotonic() - began:.1f} s)")

        run.later(restart())


def scenarios_for(messages: int) -> list[Scenario]:
    quarter = max(1, messages // 4)
    late = CLIENT_TIMEOUT + 2
    return [
        Scenario("baseline", "no fault: the reference"),
        Scenario(
            "wecom-503",
            f"WeCom answers HTTP 503 to the next {quarter} sends of each kind",
            lambda run: _fail(run, ANSWER_PATHS, quarter, mode="http", status=503),
        ),
        Scenario("wecom-down", "WeCom refuses connections for --outage seconds mid-run", during=_wecom_down),
        Scenario(
            "errcode-1",
            f"WeCom answers errcode -1 (system busy) to the next {2 * quarter} sends of each kind",
            lambda run: _fail(run, ANSWER_PATHS, 2 * quarter, errcode=-1),
        ),
        Scenario(
            "rate-limited",
            f"WeCom answers 45009 (api freq out of limit) to the next {quarter} sends of each kind",
            lambda run: _fail(run, ANSWER_PATHS, quarter, errcode=45009),
        ),
        Scenario(
            "slow",
            f"WeCom accepts the next 3 sends of each kind but answers after {SLOW_ACCEPTANCE:.0f} s",
            _answer_late(SLOW_ACCEPTANCE),
        ),
        Scenario(
            "late",
            f"WeCom accepts the next 3 sends of each kind but answers after {late:.0f} s (the client gives up "
            f"at {CLIENT_TIMEOUT:.0f} s)",
            _answer_late(late),
        ),
        Scenario(
            "token-revoked", "every access token expired early mid-run (42001); later 40014 twice", during=_revoke
        ),
        Scenario("kill-intake", "SIGKILL of serve while callbacks arrive, then restart", during=_kill_intake),
        Scenario(
            "kill-processing",
            "SIGKILL of serve the instant WeCom accepted an app send, before the outbox records it; restart",
            _arm_kill_at_accept,
        ),
        Scenario("pg-restart", "PostgreSQL restarted (pg_ctl restart -m fast) under load", during=_restart_pg),
        Scenario(
            "two-serves",
            "two serve processes on one database behind a round robin; every callback delivered to both",
            services=2,
            copies=2,
        ),
    ]
