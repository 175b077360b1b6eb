"""Fault campaign (not a test): what a villager's message survives, counted.

    /work/venv/bin/python bench/faults.py [--messages 40] [--scenarios all|NAME,NAME…] [--settle 120]

The real service (`gridwhistle serve`, a child process) runs on a throwaway PostgreSQL cluster that the
campaign makes itself (initdb + pg_ctl in a temporary directory, on an unused port; the shared server
is never touched), with `[wecom] api_base` pointed at the project's fake WeCom (bot/sandbox) served over
HTTP on loopback by this process. Each scenario gets a fresh database and a fresh service, posts
`--messages` signed callbacks from distinct villagers (half 1:1 with the app, half @-mentions in a grid
group through the AI bot), does its harm while they flow, waits until the inbox and the outbox are
empty (or `--settle` seconds) and counts, per message:

  acknowledged   the service answered the callback 200 (the sender retries like WeCom until then)
  processed      its inbox row is done
  answered once  the villager received exactly one answer (what the fake WeCom accepted)
  doubled        more than one answer
  at crash       doubles from the instant between WeCom's acceptance and the outbox recording it
                 (the scenarios that kill the service at that instant); not in `doubled`
  lost           acknowledged but no answer by the end

and, beside them, `other x2`: identical copies among every other send (cadres' cards, notices), and
`queued`: outbox rows still waiting when the campaign stopped waiting (a row a killed process had
claimed waits for its lease; a send WeCom took but answered late may be retried).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
import asyncpg  # noqa: E402
from aiohttp import web  # noqa: E402
from aiohttp.typedefs import Handler  # noqa: E402

from bot.channels.crypto import WecomCrypto  # noqa: E402
from bot.clock import Clock  # noqa: E402
from bot.sandbox.fake_wecom import FAKE_WECOM, FakeWecom, SentCall, create_fake_wecom  # noqa: E402
from config.settings import WecomSettings, load_settings  # noqa: E402

GROUP_CHAT = "wrkSFfCgAAhoudaolao3"  # a grid group of the demo county the AI bot serves
TEXTS = (
    "村口路灯坏了三天了，晚上看不见路",
    "三屯那个桥塌了一半，车过不去",
    "我家自来水停了三天了",
    "屯里垃圾好几天没人拉了",
    "道边的树倒了，挡着路",
)
ANSWER_PATHS = ("message/send", "aibot/response", "kf/send_msg")
CLIENT_TIMEOUT = 10.0  # the service's WeCom client gives up after this (bot/channels/wecom_api.py)
INTAKE_PATIENCE = 40.0  # the sender re-posts an unanswered callback every 2 s for this long
SETTLE_QUIET = 3.0  # after the queues empty, this long for late copies to show


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def say(line: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {line}", flush=True)


# -- a throwaway PostgreSQL cluster ------------------------------------------------------------------


class ThrowawayPostgres:
    """initdb + pg_ctl in a temporary directory on an unused port; removed at the end."""

    def __init__(self) -> None:
        found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
        if not found:
            raise SystemExit("faults: no PostgreSQL binaries under /usr/lib/postgresql/*/bin")
        self.bin = found[-1].parent
        self.dir = Path(tempfile.mkdtemp(prefix="gw-faults-pg-"))
        self.port = _free_port()
        self.as_user: list[str] = []
        if os.geteuid() == 0:  # initdb refuses root: run the cluster as the postgres account
            self.as_user = ["runuser", "-u", "postgres", "--"]
            shutil.chown(self.dir, "postgres")
        self.url = f"postgres://postgres@127.0.0.1:{self.port}"

    def _run(self, *args: str) -> None:
        subprocess.run([*self.as_user, *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def start(self) -> None:
        data = self.dir / "data"
        self._run(str(self.bin / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8")
        self._pg_ctl("start")

    def _pg_ctl(self, action: str, *extra: str) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off"
        self._run(
            str(self.bin / "pg_ctl"), action, "-D", str(self.dir / "data"), "-w", "-l", str(self.dir / "log"),
            "-o", options, *extra,
        )  # fmt: skip

    def restart(self) -> None:
        self._pg_ctl("restart", "-m", "fast")

    def stop(self) -> None:
        try:
            self._pg_ctl("stop", "-m", "immediate")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)

    async def new_database(self, name: str) -> str:
        conn = await asyncpg.connect(self.url + "/postgres")
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        return f"{self.url}/{name}"


# -- the fake WeCom, restartable on its port ----------------------------------------------------------


class Wecom:
    """The sandbox's fake WeCom on a fixed loopback port. `down()` closes it (connections refused),
    `up()` serves the same record again. Two faults the sandbox's own `fail_next` does not play are
    added here, after the call is recorded: `answer_late(path, times, delay)` accepts a send and
    answers only after `delay` s (its "slow" mode waits before accepting, so a client that gives up
    sends nothing), and `kill_on_accept` SIGKILLs a service the moment WeCom has accepted an app send,
    before the answer leaves — the crash between acceptance and record."""

    def __init__(self, settings: WecomSettings) -> None:
        self.settings = settings
        self.port = _free_port()
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


# -- the service ---------------------------------------------------------------------------------------


class Service:
    """`gridwhistle serve` in a child process on its own port."""

    def __init__(self, name: str, database_url: str, api_base: str, workdir: Path) -> None:
        self.name = name
        self.port = _free_port()
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
        self.port = _free_port()
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


# -- WeCom's side of the callbacks --------------------------------------------------------------------


@dataclass
class Message:
    ident: str  # the inbox row's message key (MsgId / msgid)
    channel: str  # app | aibot | kf
    userid: str  # or the kf villager's external_userid
    response_code: str = ""  # the AI bot's response_url code: its answer goes there


class Sender:
    """Posts signed callbacks like WeCom: an answer other than 200 (or none within 5 s) is posted again,
    every 2 s, for up to INTAKE_PATIENCE seconds. `copies=2` posts two copies at once (a retry racing
    the first try); `acknowledged` holds the ids the service answered 200."""

    def __init__(self, http: aiohttp.ClientSession, service_url: str, wecom: WecomSettings, fake: FakeWecom) -> None:
        self.http = http
        self.service_url = service_url
        self.wecom = wecom
        self.fake = fake
        self.app_crypto = WecomCrypto(wecom.app.token, wecom.app.encoding_aes_key, wecom.corp_id)
        self.aibot_crypto = WecomCrypto(wecom.aibot.token, wecom.aibot.encoding_aes_key, "")
        self.acknowledged: set[str] = set()
        self.copies = 1
        self._ids = itertools.count(int(time.time()) * 1000)

    async def send(self, scenario: str, i: int) -> Message:
        """Villager i of the scenario says one of TEXTS: 1:1 to the app, in a grid group to the AI bot, or
        to customer service (queued in the fake, announced by the kf event), in turn."""
        text = TEXTS[i % len(TEXTS)]
        userid = f"fv{scenario[:8]}{i:04d}"
        now = int(time.time())
        if i % 3 == 2:
            token = self.fake.queue_kf_message(self.wecom.kf.open_kfid, userid, text)
            message = Message(self.fake.kf_messages[-1].item["msgid"], "kf", userid)
            plain = (
                f"<xml><ToUserName><![CDATA[{self.wecom.corp_id}]]></ToUserName><CreateTime>{now}</CreateTime>"
                f"<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[kf_msg_or_event]]></Event>"
                f"<Token><![CDATA[{token}]]></Token><OpenKfId><![CDATA[{self.wecom.kf.open_kfid}]]></OpenKfId></xml>"
            )
            sealed = self.app_crypto.seal(plain, timestamp=now)
            body = (
                f"<xml><ToUserName><![CDATA[{self.wecom.corp_id}]]></ToUserName>"
                f"<Encrypt><![CDATA[{sealed.encrypt}]]></Encrypt></xml>"
            )
            path = "/wecom/app"
        elif i % 3 == 0:
            message = Message(str(next(self._ids)), "app", userid)
            plain = (
                f"<xml><ToUserName><![CDATA[{self.wecom.corp_id}]]></ToUserName>"
                f"<FromUserName><![CDATA[{userid}]]></FromUserName><CreateTime>{now}</CreateTime>"
                f"<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{text}]]></Content>"
                f"<MsgId>{message.ident}</MsgId><AgentID>{self.wecom.app.agent_id}</AgentID></xml>"
            )
            sealed = self.app_crypto.seal(plain, timestamp=now)
            body = (
                f"<xml><ToUserName><![CDATA[{self.wecom.corp_id}]]></ToUserName>"
                f"<Encrypt><![CDATA[{sealed.encrypt}]]></Encrypt></xml>"
            )
            path = "/wecom/app"
        else:
            url = self.fake.response_url()
            message = Message(f"aibot{next(self._ids)}", "aibot", userid, url.rsplit("=", 1)[1])
            plain = json.dumps(
                {
                    "msgid": message.ident,
                    "aibotid": "aibsandbox",
                    "chattype": "group",
                    "chatid": GROUP_CHAT,
                    "from": {"userid": userid},
                    "response_url": url,
                    "msgtype": "text",
                    "text": {"content": f"@{self.wecom.aibot.name} {text}"},
                },
                ensure_ascii=False,
            )
            sealed = self.aibot_crypto.seal(plain, timestamp=now)
            body = json.dumps({"encrypt": sealed.encrypt})
            path = "/wecom/aibot"
        query = {"msg_signature": sealed.signature, "timestamp": sealed.timestamp, "nonce": sealed.nonce}
        await asyncio.gather(*(self._post(message.ident, path, query, body) for _ in range(self.copies)))
        return message

    async def _post(self, ident: str, path: str, query: dict[str, str], body: str) -> None:
        deadline = time.monotonic() + INTAKE_PATIENCE
        while True:
            try:
                async with self.http.post(
                    self.service_url + path,
                    params=query,
                    data=body.encode("utf-8"),
                    timeout=aiohttp.ClientTimeout(total=5),
                ) as response:
                    await response.read()
                    if response.status == 200:
                        self.acknowledged.add(ident)
                        return
            except (aiohttp.ClientError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                return
            await asyncio.sleep(2)


# -- one scenario's run ----------------------------------------------------------------------------


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


async def _answer_late(run: Run) -> None:
    for path in ANSWER_PATHS:
        run.wecom.answer_late(path, 3, CLIENT_TIMEOUT + 2)


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
        run.fake.fail_next("message/send", 2, errcode=40014)  # and the next two calls say "invalid"
        say(f"  {run.name}: tokens revoked")


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


def _scenarios(messages: int) -> list[Scenario]:
    quarter = max(1, messages // 4)
    slow = CLIENT_TIMEOUT + 2
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
            f"WeCom accepts the next 3 sends of each kind but answers after {slow:.0f} s (the client gives up "
            f"at {CLIENT_TIMEOUT:.0f} s)",
            _answer_late,
        ),
        Scenario("token-revoked", "every access token revoked mid-run (42001, then 40014 twice)", during=_revoke),
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


# -- load, settle, count ---------------------------------------------------------------------------


async def _load(run: Run, scenario: Scenario) -> list[Message]:
    """Post the messages at --rate a second; the scenario's hook sees each index first."""
    assert run.sender is not None
    messages: list[Message] = []
    posts = []
    for i in range(run.args.messages):
        if scenario.during is not None:
            await scenario.during(run, i)

        async def post(i: int = i) -> None:
            messages.append(await run.sender.send(run.name, i))  # type: ignore[union-attr]

        posts.append(asyncio.ensure_future(post()))
        if (i + 1) % 10 == 0:
            say(f"  {run.name}: {i + 1} posted, {len(run.sender.acknowledged)} acknowledged")
        await asyncio.sleep(1 / run.args.rate)
    await asyncio.gather(*posts)
    return messages


async def _queues(database_url: str) -> tuple[int, int] | None:
    """(inbox rows pending, outbox rows pending), or None while the database does not answer."""
    try:
        conn = await asyncpg.connect(database_url, timeout=5)
    except (OSError, asyncpg.PostgresError):
        return None
    try:
        inbox = await conn.fetchval("SELECT count(*) FROM inbox_message WHERE status = 'pending'")
        outbox = await conn.fetchval(  # not what waits for the morning (quiet hours), only what is due soon
            "SELECT count(*) FROM outbox_message WHERE status = 'pending' AND not_before < now() + interval '10 minutes'"
        )
        return int(inbox), int(outbox)
    except (OSError, asyncpg.PostgresError):
        return None
    finally:
        await conn.close()


async def _settle(run: Run) -> str:
    """Wait until the inbox and the outbox are empty (and stay so for SETTLE_QUIET s), or --settle s."""
    deadline = time.monotonic() + run.args.settle
    quiet_since: float | None = None
    last_report = 0.0
    while time.monotonic() < deadline:
        await asyncio.sleep(1)
        if any(not task.done() for task in run.background):
            continue  # a restart or an outage still under way
        queues = await _queues(run.database_url)
        if queues == (0, 0):
            quiet_since = quiet_since or time.monotonic()
            if time.monotonic() - quiet_since >= SETTLE_QUIET:
                return "settled"
        else:
            quiet_since = None
        if time.monotonic() - last_report > 15:
            last_report = time.monotonic()
            say(f"  {run.name}: waiting: inbox/outbox pending {queues}")
    return f"not settled in {run.args.settle:.0f} s"


@dataclass
class Figures:
    name: str
    posted: int = 0
    acknowledged: int = 0
    processed: int = 0
    answered_once: int = 0
    doubled: int = 0
    at_crash: int = 0
    lost: int = 0
    other_doubles: int = 0
    queued: int = 0  # outbox rows still waiting at the end (a crash's lease, retries of a send WeCom took)
    note: str = ""


def _delivered(fake: FakeWecom) -> list[tuple[int, SentCall]]:
    """The calls WeCom accepted and would deliver, with their indexes in the record. A kf send with a
    msgid already accepted is answered "ok" again but kept once (the sandbox records every call)."""
    seen: set[tuple[str, str]] = set()
    out = []
    for index, call in enumerate(fake.sent):
        if not call.ok or call.dropped:
            continue
        if call.path == "kf/send_msg" and isinstance(call.body, dict):
            key = (str(call.body.get("open_kfid")), str(call.body.get("msgid")))
            if key in seen:
                continue
            seen.add(key)
        out.append((index, call))
    return out


def _answers(fake: FakeWecom, messages: list[Message]) -> dict[str, list[int]]:
    """Each message's delivered answers, as indexes into the fake's record."""
    by_user = {m.userid: m.ident for m in messages if m.channel == "app"}
    by_code = {m.response_code: m.ident for m in messages if m.channel == "aibot"}
    by_customer = {m.userid: m.ident for m in messages if m.channel == "kf"}
    found: dict[str, list[int]] = {m.ident: [] for m in messages}
    for index, call in _delivered(fake):
        if call.path == "message/send" and isinstance(call.body, dict) and call.body.get("msgtype") == "text":
            for user in str(call.body.get("touser", "")).split("|"):
                if user in by_user:
                    found[by_user[user]].append(index)
        elif call.path == "aibot/response" and call.params.get("response_code") in by_code:
            found[by_code[call.params["response_code"]]].append(index)
        elif call.path == "kf/send_msg" and isinstance(call.body, dict) and call.body.get("touser") in by_customer:
            found[by_customer[call.body["touser"]]].append(index)
    return found


def _other_doubles(fake: FakeWecom, answer_indexes: set[int]) -> int:
    """Identical accepted sends (same API, parameters and body) among everything that is not an answer."""
    copies = Counter(
        (call.path, json.dumps(call.params, sort_keys=True), json.dumps(call.body, sort_keys=True, ensure_ascii=False))
        for index, call in _delivered(fake)
        if index not in answer_indexes and call.path != "kf/sync_msg"
    )
    return sum(n - 1 for n in copies.values() if n > 1)


def _received(fake: FakeWecom) -> str:
    """Accepted / refused calls by API, to see that the harm was done."""
    accepted = Counter(c.path for c in fake.sent if c.ok)
    refused = Counter(f"{c.path} {c.answer.get('errcode')}" for c in fake.sent if not c.ok)
    parts = [f"{path} {n} accepted" for path, n in sorted(accepted.items())]
    parts += [f"{what} ×{n}" for what, n in sorted(refused.items())]
    return ", ".join(parts) or "nothing"


async def _count(run: Run, messages: list[Message]) -> Figures:
    assert run.sender is not None
    conn = await asyncpg.connect(run.database_url)
    try:
        done = {r["message_key"] for r in await conn.fetch("SELECT message_key FROM inbox_message WHERE status='done'")}
    finally:
        await conn.close()
    answers = _answers(run.fake, messages)
    figures = Figures(run.name, posted=len(messages))
    for message in messages:
        acknowledged = message.ident in run.sender.acknowledged
        figures.acknowledged += acknowledged
        figures.processed += acknowledged and message.ident in done
        copies = answers[message.ident]
        if len(copies) == 1:
            figures.answered_once += 1
        elif len(copies) > 1:
            crossed = any(copies[0] < b <= copies[-1] for b in run.boundaries)
            if crossed and len(copies) == 2:
                figures.at_crash += 1
            else:
                figures.doubled += 1
        elif acknowledged:
            figures.lost += 1
    figures.other_doubles = _other_doubles(run.fake, {i for copies in answers.values() for i in copies})
    return figures


async def _prime_kf(run: Run) -> None:
    """The service's first kf pull only records what it finds (the last days, unanswered): make it
    before the load, as a running service has long made it."""
    assert run.sender is not None
    await run.sender.send("prime", 2)  # a kf message from a villager outside the count
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        conn = await asyncpg.connect(run.database_url)
        try:
            if await conn.fetchval("SELECT count(*) FROM inbox_message WHERE channel = 'kf'"):
                return
        finally:
            await conn.close()
        await asyncio.sleep(0.3)
    raise RuntimeError("the service did not pull customer-service messages")


async def run_scenario(
    scenario: Scenario, args: argparse.Namespace, pg: ThrowawayPostgres, wecom: Wecom, http: aiohttp.ClientSession
) -> Figures:
    say(f"{scenario.name}: {scenario.what}")
    fake = await wecom.restart_fresh()
    name = scenario.name.replace("-", "_")
    database_url = await pg.new_database(f"faults_{name}_{os.getpid()}")
    workdir = Path(tempfile.mkdtemp(prefix=f"gw-faults-{scenario.name}-"))
    run = Run(scenario.name, args, pg, wecom, fake, http, database_url, workdir)
    run.services = [Service(f"serve{n + 1}", database_url, wecom.api_base, workdir) for n in range(scenario.services)]
    proxy: RoundRobin | None = None
    try:
        for service in run.services:  # one after the other: the first applies the migrations
            await service.start(http)
        target = run.services[0].url
        if scenario.services > 1:
            proxy = RoundRobin([s.url for s in run.services], http)
            await proxy.start()
            target = proxy.url
        run.sender = Sender(http, target, wecom.settings, fake)
        await _prime_kf(run)
        run.sender.copies = scenario.copies
        if scenario.prepare is not None:
            await scenario.prepare(run)
        messages = await _load(run, scenario)
        say(f"  {run.name}: all {len(messages)} posted, {len(run.sender.acknowledged)} acknowledged; settling")
        note = await _settle(run)
        await asyncio.gather(*run.background)
        figures = await _count(run, messages)
        queues = await _queues(database_url)
        figures.queued = queues[1] if queues else -1
        figures.note = "" if note == "settled" else note
        say(f"  {run.name}: what WeCom received: {_received(fake)}")
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        return figures
    finally:
        wecom.kill_on_accept = None
        if proxy is not None:
            await proxy.stop()
        for service in run.services:
            service.stop()
        if args.keep:
            say(f"  {run.name}: service logs kept in {workdir}")


COLUMNS = ("posted", "acknowledged", "processed", "answered once", "doubled", "at crash", "lost", "other x2", "queued")


def _table(rows: list[Figures]) -> str:
    width = max(len(r.name) for r in rows) + 2
    lines = [f"{'':{width}}" + "".join(f"{c:>14}" for c in COLUMNS)]
    for r in rows:
        values = (r.posted, r.acknowledged, r.processed, r.answered_once, r.doubled, r.at_crash, r.lost)
        lines.append(
            f"{r.name:{width}}"
            + "".join(f"{v:>14}" for v in (*values, r.other_doubles, r.queued))
            + (f"  ({r.note})" if r.note else "")
        )
    return "\n".join(lines)


def main() -> int:
    names = [s.name for s in _scenarios(40)]
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], epilog="scenarios: " + ", ".join(names),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    parser.add_argument("--messages", type=int, default=40, help="callbacks per scenario (default 40)")
    parser.add_argument("--rate", type=float, default=8.0, help="callbacks posted a second (default 8)")
    parser.add_argument(
        "--scenarios", default="all", help="comma-separated names from the list below, or all (default)"
    )
    parser.add_argument(
        "--settle", type=float, default=120.0,
        help="seconds to wait after the load for the inbox and outbox to empty (default 120; a claimed row "
        "a crash left behind waits for its lease, so give the kill scenarios more than the lease)",
    )  # fmt: skip
    parser.add_argument("--outage", type=float, default=15.0, help="seconds WeCom is down in wecom-down (15)")
    parser.add_argument("--keep", action="store_true", help="keep each scenario's service logs")
    args = parser.parse_args()
    wanted = names if args.scenarios == "all" else [n.strip() for n in args.scenarios.split(",") if n.strip()]
    unknown = [n for n in wanted if n not in names]
    if unknown:
        parser.error(f"unknown scenario {', '.join(unknown)}; choose from {', '.join(names)}")
    scenarios = [s for s in _scenarios(args.messages) if s.name in wanted]
    return asyncio.run(_campaign(scenarios, args))


async def _campaign(scenarios: list[Scenario], args: argparse.Namespace) -> int:
    # the fake WeCom's late answers go to clients that gave up: aiohttp's traceback for each is noise here
    logging.getLogger("aiohttp.server").setLevel(logging.CRITICAL)
    settings = load_settings()
    pg = ThrowawayPostgres()
    say(f"throwaway PostgreSQL cluster in {pg.dir} on port {pg.port} ({pg.bin.parent.name})")
    pg.start()
    wecom = Wecom(settings.wecom)
    wecom.fresh()
    await wecom.up()
    rows: list[Figures] = []
    try:
        async with aiohttp.ClientSession() as http:
            for scenario in scenarios:
                figures = await run_scenario(scenario, args, pg, wecom, http)
                rows.append(figures)
                say(_table([figures]).splitlines()[1])
    finally:
        await wecom.down()
        pg.stop()
    print()
    print(f"{args.messages} messages a scenario, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    print(_table(rows))
    return 0 if all(r.lost == 0 and r.doubled == 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
