"""The night of the flood (not a test): a township's villagers all write at once; how fast is each answered?

    python bench/flood.py [--villagers 1000] [--grids 40] [--senders 32] [--urgent 0.2] [--answer-delay 0.0]
                          [--runs sqlite,pg1,pg2] [--steady-rate 50] [--steady-seconds 20] [--before DIR]
                          [--before-runs pg1] [--before-python PATH] [--pairs 1] [--pg-socket] [--statements]
                          [--profile DIR] [--keep]

Each villager @-mentions the bot once in their grid's group (the demo county's AI-bot groups, as many
as --grids and the county has), with a request from bench/data/devset.jsonl (a share --urgent of them
urgent). The real service (`gridwhistle serve`, child processes) answers through the project's fake
WeCom (bot/sandbox) over HTTP on loopback, which answers every send after --answer-delay seconds.
Runs: `sqlite` (one process), `pg1` and `pg2` (one and two processes on one PostgreSQL behind a
round robin; PostgreSQL is a throwaway cluster this bench makes, with pg_stat_statements on).
Beside them, a bare aiohttp handler (a child process answering 200 to every post) is measured in the
same run with the same client and bodies: the ratios are what compare across machines.

Printed per run: intake/s (callbacks answered 200), intake p50/p99; villagers answered/s end to end
(first post → last answer), and how long after the first post a tenth, half, nine tenths and all of them had
their answer (beside when the last callback had its 200); p50/p99 from a villager's message to their answer
and to the first cadre's notice naming their request (requests merged into another are answered as merged and
not counted there); messages each cadre received; whether every villager got exactly one answer; statements
per message (PostgreSQL); CPU milliseconds per villager of the services, of PostgreSQL and of this process (the
load driver and the fake WeCom, on the same cores), first post → last answer; peak RSS of each service; the
largest inbox/outbox backlog seen; and after the flood, p99 message → answer at a steady --steady-rate messages
a second.
--statements: also the most frequent statements, with their calls and the database's time in them.
--before DIR: also run `pg1` (or the runs named by --before-runs, e.g. `sqlite,pg1`) with the code checked
out in DIR (e.g. `git archive main | tar -x -C DIR`), first, as `pg1-before` etc.: before and after in one
process, against the same bare handler. --before-python PATH: the interpreter the earlier code runs with (its own
virtual environment, when what changed is a dependency); by default the one running this bench. --pairs N: each
before/after pair N times, in turn the other way round (ABBA), with every pair and the means printed.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import aiohttp  # noqa: E402
import asyncpg  # noqa: E402
from aiohttp import web  # noqa: E402
from fault_campaign.common import free_port, say  # noqa: E402
from fault_campaign.postgres import ThrowawayPostgres  # noqa: E402
from fault_campaign.service import RoundRobin, Service  # noqa: E402
from fault_campaign.wecom import Wecom  # noqa: E402

from bot.channels.crypto import WecomCrypto  # noqa: E402
from bot.sandbox.fake_wecom import FakeWecom  # noqa: E402
from config.settings import DEMO_ORG_FILE, WecomSettings, load_settings  # noqa: E402

DEVSET = ROOT / "bench" / "data" / "devset.jsonl"
BARE = """
import sys
from aiohttp import web
async def ok(request):
    await request.read()
    return web.Response()
app = web.Application()
app.router.add_route("*", "/{tail:.*}", ok)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
"""


# -- the load ----------------------------------------------------------------------------------------


@dataclass
class Post:
    userid: str
    code: str  # the response_url's code: the villager's answer goes there
    chat: str
    urgent: bool
    body: str
    query: dict[str, str]
    sent_at: float = 0.0
    acked_at: float = 0.0


def texts() -> tuple[list[str], list[str]]:
    rows = [json.loads(line) for line in DEVSET.read_text(encoding="utf-8").splitlines() if line.strip()]
    normal = [r["text"] for r in rows if r["is_request"] and r["urgency"] == "normal"]
    urgent = [r["text"] for r in rows if r["is_request"] and r["urgency"] == "urgent"]
    return normal, urgent


def grid_chats(limit: int) -> list[str]:
    org = tomllib.loads(Path(DEMO_ORG_FILE).read_text(encoding="utf-8"))
    chats = [c["chatid"] for c in org.get("chats", []) if c.get("channel") == "aibot"]
    return chats[:limit]


class Load:
    """Signed AI-bot callbacks, one per villager, made before the clock starts."""

    def __init__(self, wecom: WecomSettings, fake: FakeWecom, args: argparse.Namespace, tag: str) -> None:
        self.crypto = WecomCrypto(wecom.aibot.token, wecom.aibot.encoding_aes_key, "")
        self.bot_name = wecom.aibot.name
        normal, urgent = texts()
        chats = grid_chats(args.grids)
        rng = random.Random(7)
        ids = itertools.count(int(time.time() * 1000))
        self.posts: list[Post] = []
        for i in range(args.villagers):
            is_urgent = rng.random() < args.urgent
            # Each villager's words differ, as they would: the same devset sentence, with their own phone number
            # (which the router reads blanked), so nothing remembered for one message serves another's.
            text = f"{rng.choice(urgent if is_urgent else normal)} 电话13{i:09d}"
            url = fake.response_url()
            code = url.rsplit("=", 1)[1]
            userid = f"fl{tag}{i:05d}"
            plain = json.dumps(
                {
                    "msgid": f"flood{next(ids)}",
                    "aibotid": "aibsandbox",
                    "chattype": "group",
                    "chatid": chats[i % len(chats)],
                    "from": {"userid": userid},
                    "response_url": url,
                    "msgtype": "text",
                    "text": {"content": f"@{self.bot_name} {text}"},
                },
                ensure_ascii=False,
            )
            sealed = self.crypto.seal(plain, timestamp=int(time.time()))
            query = {"msg_signature": sealed.signature, "timestamp": sealed.timestamp, "nonce": sealed.nonce}
            body = json.dumps({"encrypt": sealed.encrypt})
            self.posts.append(Post(userid, code, chats[i % len(chats)], is_urgent, body, query))
        self.grids = len(chats)


async def post_all(http: aiohttp.ClientSession, url: str, posts: list[Post], senders: int, rate: float = 0.0) -> float:
    """Post every callback with `senders` at once (or at `rate` a second); re-post until 200. Seconds taken."""
    queue = list(reversed(posts))
    started = time.perf_counter()

    async def one(post: Post) -> None:
        post.sent_at = time.time()
        while True:
            try:
                async with http.post(
                    url + "/wecom/aibot", params=post.query, data=post.body, timeout=aiohttp.ClientTimeout(total=10)
                ) as answer:
                    await answer.read()
                    if answer.status == 200:
                        post.acked_at = time.time()
                        return
            except (aiohttp.ClientError, TimeoutError):
                pass
            await asyncio.sleep(0.5)

    async def sender() -> None:
        while queue:
            await one(queue.pop())

    if rate:
        tasks = []
        for post in posts:
            tasks.append(asyncio.ensure_future(one(post)))
            await asyncio.sleep(1 / rate)
        await asyncio.gather(*tasks)
    else:
        await asyncio.gather(*(sender() for _ in range(senders)))
    return time.perf_counter() - started


# -- the parts ---------------------------------------------------------------------------------------


class SlowWecom(Wecom):
    """The sandbox's fake WeCom, answering each send after `delay` seconds."""

    delay = 0.0

    def _app(self, state: FakeWecom | None) -> web.Application:
        app = super()._app(state)

        @web.middleware
        async def slow(request: web.Request, handler):  # type: ignore[no-untyped-def]
            if self.delay and request.method == "POST":
                await asyncio.sleep(self.delay)
            return await handler(request)

        app.middlewares.insert(0, slow)
        return app


class StatementsPostgres(ThrowawayPostgres):
    """The throwaway cluster, counting statements (pg_stat_statements)."""

    def _pg_ctl(self, action: str, *extra: str) -> None:
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off"
            " -c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all"
        )
        self._run(
            str(self.bin / "pg_ctl"), action, "-D", str(self.dir / "data"), "-w", "-l", str(self.dir / "log"),
            "-o", options, *extra,
        )  # fmt: skip


class CodeService(Service):
    """`gridwhistle serve` run from the code in `code` (the checkout measured)."""

    def __init__(self, *args: object, code: Path, python: str, profile: str = "", **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.code = code
        self.python = python
        self.profile = Path(profile).resolve() if profile else None  # the service runs in `code`

    def profiler(self) -> list[str]:
        """cProfile's arguments when --profile names a folder: the service's profile is written when it stops."""
        if self.profile is None:
            return []
        self.profile.mkdir(parents=True, exist_ok=True)
        return ["-m", "cProfile", "-o", str(self.profile / f"{self.name}.prof")]

    def spawn(self) -> None:
        log = open(self.workdir / f"{self.name}.log", "ab")  # noqa: SIM115 - the child holds it
        env = dict(self.env, PYTHONPATH=str(self.code))
        self.proc = subprocess.Popen(
            [self.python, *self.profiler(), "-m", "bot.cli", "serve"],
            cwd=self.code,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()

    def peak_rss_mb(self) -> float:
        try:
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():  # type: ignore[union-attr]
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            pass
        return 0.0


class Queues:
    """The inbox/outbox backlog, read from the database."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.largest = (0, 0)
        self._conn: asyncpg.Connection | None = None

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()

    async def read(self) -> tuple[int, int]:
        # Rows held for later (quiet hours: a night-time flood's village cards wait for the morning) are not
        # backlog: only what is due within five minutes counts — a cadre's combined notices wait a minute or
        # two for his allowance, quiet hours up to ten hours (within the hour, a run in the last hour before
        # 07:30 in the county waited out its whole settle time for the morning's cards).
        inbox_sql = "SELECT count(*) FROM inbox_message WHERE status = 'pending'"
        outbox_sql = "SELECT count(*) FROM outbox_message WHERE status = 'pending' AND " + (
            "datetime(not_before) < datetime('now', '+5 minutes')"
            if self.url.startswith("sqlite")
            else "not_before < now() + interval '5 minutes'"
        )
        if self.url.startswith("sqlite"):
            import sqlite3

            with sqlite3.connect(self.url.removeprefix("sqlite://"), timeout=5) as conn:
                found = (conn.execute(inbox_sql).fetchone()[0], conn.execute(outbox_sql).fetchone()[0])
        else:
            if self._conn is None or self._conn.is_closed():  # one connection kept: a new one is a new server process
                self._conn = await asyncpg.connect(self.url)
            found = (await self._conn.fetchval(inbox_sql), await self._conn.fetchval(outbox_sql))
        self.largest = (max(self.largest[0], found[0]), max(self.largest[1], found[1]))
        return found

    async def watch(self) -> None:
        while True:
            try:
                await self.read()
            except Exception:  # a locked SQLite file for a moment: the next look sees it
                pass
            await asyncio.sleep(0.5)


TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int, *, children: bool = False) -> float:
    """User + system CPU seconds of one process (with `children`, also of its children that have exited)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = int(fields[11]) + int(fields[12]) + ((int(fields[13]) + int(fields[14])) if children else 0)
    return ticks / TICKS


def cluster_cpu_seconds(pg: ThrowawayPostgres | None) -> float:
    """CPU seconds the throwaway PostgreSQL has used: its postmaster, its live backends and those gone."""
    if pg is None:
        return 0.0
    try:
        postmaster = int((pg.dir / "data" / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0.0
    total = cpu_seconds(postmaster, children=True)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == postmaster:
                total += cpu_seconds(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return total


class CpuClock:
    """CPU used by the services (and PostgreSQL) from the first post until every villager has an answer: where
    the time goes, beside the rate (on a shared machine both move by about a tenth from run to run)."""

    def __init__(self, services: Sequence[Service], pg: ThrowawayPostgres | None) -> None:
        self.pids = [s.proc.pid for s in services if s.proc is not None]
        self.pg = pg
        self.start = self.read()
        self.at_last_answer: tuple[float, float, float] | None = None

    def read(self) -> tuple[float, float, float]:
        # and this process's own: the load driver and the fake WeCom, which share the machine with the service
        return sum(cpu_seconds(pid) for pid in self.pids), cluster_cpu_seconds(self.pg), time.process_time()

    def all_answered(self) -> None:
        if self.at_last_answer is None:
            self.at_last_answer = self.read()

    def per_villager_ms(self, villagers: int) -> tuple[float, float, float]:
        end = self.at_last_answer or self.read()
        return tuple((end[n] - self.start[n]) * 1000 / villagers for n in range(3))  # type: ignore[return-value]


async def requests_of(url: str) -> list[tuple[str, int, bool]]:
    """(sender_ref, number, merged) of every request, for the notices naming them."""
    sql = "SELECT sender_ref, number, merged_into_id IS NOT NULL FROM request"
    if url.startswith("sqlite"):
        import sqlite3

        with sqlite3.connect(url.removeprefix("sqlite://")) as db:
            return [(r[0], int(r[1]), bool(r[2])) for r in db.execute(sql)]
    conn = await asyncpg.connect(url)
    try:
        return [(r[0], int(r[1]), bool(r[2])) for r in await conn.fetch(sql)]
    finally:
        await conn.close()


# -- one run -----------------------------------------------------------------------------------------


@dataclass
class Figures:
    name: str
    villagers: int = 0
    intake_per_s: float = 0.0
    intake_p50_ms: float = 0.0
    intake_p99_ms: float = 0.0
    answered_per_s: float = 0.0
    answer_p50_s: float = 0.0
    answer_p99_s: float = 0.0
    urgent_answer_p50_s: float = 0.0
    notice_p50_s: float = 0.0
    notice_p99_s: float = 0.0
    answered_once: int = 0
    answered_twice: int = 0
    unanswered: int = 0
    per_cadre: list[tuple[str, int]] = field(default_factory=list)
    statements_per_message: float = 0.0
    peak_rss_mb: list[float] = field(default_factory=list)
    largest_backlog: tuple[int, int] = (0, 0)
    steady_p99_s: float = 0.0
    steady_rate: float = 0.0
    cpu_ms: tuple[float, float, float] = (0.0, 0.0, 0.0)  # per answered villager: services, PostgreSQL, bench
    answered_by: tuple[float, ...] = ()  # seconds after the first post until 10 %, 50 %, 90 % and all were answered
    last_acked_s: float = 0.0  # seconds after the first post until the last callback had its 200


ANSWERED_BY = (0.1, 0.5, 0.9, 1.0)  # the shares of villagers whose answer time the table shows


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def settle(
    fake: FakeWecom, posts: list[Post], queues: Queues, timeout: float, cpu: CpuClock | None = None
) -> None:
    """Until every villager has an answer and both queues are empty (or `timeout` s)."""
    codes = {p.code for p in posts}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answered = {c.params.get("response_code") for c in fake.sent if c.path == "aibot/response" and c.ok}
        if codes <= answered:
            if cpu is not None:
                cpu.all_answered()
            try:
                inbox, outbox = await queues.read()
            except Exception:
                inbox, outbox = 1, 1
            if inbox == 0 and outbox == 0:
                return
        await asyncio.sleep(0.3)
    say(f"  not settled in {timeout:.0f} s")


async def statements(url: str, reset: bool = False) -> int:
    if not url.startswith("postgres"):
        return 0
    conn = await asyncpg.connect(url)
    try:
        if reset:
            await conn.execute("SELECT pg_stat_statements_reset()")
            return 0
        dbname = urlsplit(url).path.lstrip("/")  # also when the URL names a socket: …/DB?host=/dir
        return int(
            await conn.fetchval(
                "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid"
                " WHERE d.datname = $1 AND query NOT ILIKE '%pg_stat_statements%'"
                " AND query NOT ILIKE 'SELECT count(*) FROM %_message WHERE status%'",
                dbname,
            )
        )
    finally:
        await conn.close()


async def top_statements(url: str, n: int = 30) -> None:
    conn = await asyncpg.connect(url)
    try:
        for row in await conn.fetch(
            "SELECT calls, total_exec_time ms, left(regexp_replace(query, '\\s+', ' ', 'g'), 140) q"
            " FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = $1"
            " ORDER BY calls DESC LIMIT $2",
            urlsplit(url).path.lstrip("/"),
            n,
        ):
            say(f"    {row['calls']:>7} {row['ms']:>8.1f} ms {row['q']}")
    finally:
        await conn.close()


async def run(
    name: str,
    args: argparse.Namespace,
    database_url: str,
    processes: int,
    code: Path,
    python: str,
    wecom: SlowWecom,
    http: aiohttp.ClientSession,
    workdir: Path,
    pg: ThrowawayPostgres | None = None,
) -> Figures:
    say(f"{name}: {processes} process(es), {database_url.split('@')[-1]}, code {code}")
    fake = await wecom.restart_fresh()
    services = [
        CodeService(
            f"{name}-serve{n + 1}",
            database_url,
            wecom.api_base,
            workdir,
            code=code,
            python=python,
            profile=args.profile,
        )
        for n in range(processes)
    ]
    proxy: RoundRobin | None = None
    figures = Figures(name, villagers=args.villagers)
    watcher: asyncio.Task[None] | None = None
    queues: Queues | None = None
    try:
        for service in services:
            await service.start(http)
        target = services[0].url
        if processes > 1:
            proxy = RoundRobin([s.url for s in services], http)
            await proxy.start()
            target = proxy.url
        queues = Queues(database_url)
        warm = Load(wecom.settings, fake, argparse.Namespace(**{**vars(args), "villagers": 3}), f"w{name[:3]}")
        await post_all(http, target, warm.posts, 3)
        await settle(fake, warm.posts, queues, 60)
        load = Load(wecom.settings, fake, args, name[:4])
        posts = load.posts
        await statements(database_url, reset=True)
        watcher = asyncio.create_task(queues.watch())
        cpu = CpuClock(services, pg if database_url.startswith("postgres") else None)
        first = time.time()
        took = await post_all(http, target, posts, args.senders)
        say(f"  {name}: {len(posts)} posted in {took:.1f} s; waiting for every answer")
        await settle(fake, posts, queues, args.settle, cpu)
        figures.cpu_ms = cpu.per_villager_ms(len(posts))
        watcher.cancel()
        figures.largest_backlog = queues.largest
        figures.statements_per_message = (await statements(database_url)) / len(posts)
        if args.statements and database_url.startswith("postgres"):
            await top_statements(database_url)
        figures.intake_per_s = len(posts) / took
        intake = [(p.acked_at - p.sent_at) * 1000 for p in posts]
        figures.intake_p50_ms, figures.intake_p99_ms = pct(intake, 0.5), pct(intake, 0.99)
        by_code = {p.code: p for p in posts}
        answers: dict[str, list[float]] = {p.code: [] for p in posts}
        for call in fake.sent:
            code = call.params.get("response_code")
            if call.path == "aibot/response" and call.ok and code in answers:
                answers[code].append(call.at.timestamp())
        delays = [min(at) - by_code[c].sent_at for c, at in answers.items() if at]
        urgent_delays = [min(at) - by_code[c].sent_at for c, at in answers.items() if at and by_code[c].urgent]
        figures.answered_once = sum(1 for at in answers.values() if len(at) == 1)
        figures.answered_twice = sum(1 for at in answers.values() if len(at) > 1)
        figures.unanswered = sum(1 for at in answers.values() if not at)
        last = max((max(at) for at in answers.values() if at), default=first)
        figures.answered_per_s = (len(posts) - figures.unanswered) / max(last - first, 1e-9)
        firsts = sorted(min(at) - first for at in answers.values() if at)
        if firsts:
            figures.answered_by = tuple(firsts[max(0, math.ceil(q * len(firsts)) - 1)] for q in ANSWERED_BY)
        figures.last_acked_s = max(p.acked_at for p in posts) - first
        figures.answer_p50_s, figures.answer_p99_s = pct(delays, 0.5), pct(delays, 0.99)
        figures.urgent_answer_p50_s = pct(urgent_delays, 0.5)
        figures.notice_p50_s, figures.notice_p99_s = await notice_delays(database_url, fake, posts)
        villagers = {p.userid for p in posts}
        cadres: Counter[str] = Counter()
        for call in fake.sent:
            if call.path == "message/send" and call.ok and isinstance(call.body, dict):
                for user in str(call.body.get("touser", "")).split("|"):
                    if user and user not in villagers:
                        cadres[user] += 1
        figures.per_cadre = cadres.most_common(5)
        if args.steady_seconds > 0:
            steady = Load(
                wecom.settings,
                fake,
                argparse.Namespace(**{**vars(args), "villagers": int(args.steady_rate * args.steady_seconds)}),
                f"s{name[:3]}",
            )
            say(f"  {name}: steady, {args.steady_rate:.0f} a second for {args.steady_seconds:.0f} s")
            await post_all(http, target, steady.posts, args.senders, rate=args.steady_rate)
            await settle(fake, steady.posts, queues, args.settle)
            answered = {
                c.params.get("response_code"): c.at.timestamp()
                for c in fake.sent
                if c.path == "aibot/response" and c.ok
            }
            waits = [answered[p.code] - p.sent_at for p in steady.posts if p.code in answered]
            figures.steady_p99_s, figures.steady_rate = pct(waits, 0.99), args.steady_rate
        figures.peak_rss_mb = [s.peak_rss_mb() for s in services]
        return figures
    finally:
        if watcher is not None:
            watcher.cancel()
        if queues is not None:
            await queues.close()
        if proxy is not None:
            await proxy.stop()
        for service in services:
            service.stop()


async def notice_delays(url: str, fake: FakeWecom, posts: list[Post]) -> tuple[float, float]:
    """From a villager's message to the first app message to a cadre naming their request's number."""
    rows = await requests_of(url)
    sent_at = {p.userid: p.sent_at for p in posts}
    wanted = {number: sent_at[ref] for ref, number, merged in rows if ref in sent_at and not merged}
    first: dict[int, float] = {}
    villagers = set(sent_at)
    for call in fake.sent:
        if call.path != "message/send" or not call.ok or not isinstance(call.body, dict):
            continue
        if set(str(call.body.get("touser", "")).split("|")) <= villagers:
            continue
        text = json.dumps(call.body, ensure_ascii=False)
        for number in _numbers(text):
            if number in wanted and number not in first:
                first[number] = call.at.timestamp()
    delays = [first[n] - wanted[n] for n in first]
    return pct(delays, 0.5), pct(delays, 0.99)


def _numbers(text: str) -> set[int]:
    found, i = set(), text.find("#")
    while i >= 0:
        j = i + 1
        while j < len(text) and text[j].isdigit():
            j += 1
        if j > i + 1:
            found.add(int(text[i + 1 : j]))
        i = text.find("#", j)
    return found


async def bare(http: aiohttp.ClientSession, posts: list[Post], senders: int) -> Figures:
    """The same posts to an aiohttp handler that only answers 200, in a child process like the service."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", BARE, str(port)])
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                async with http.get(url + "/") as answer:
                    if answer.status == 200:
                        break
            except aiohttp.ClientError:
                await asyncio.sleep(0.1)
        took = await post_all(http, url, posts, senders)
        intake = [(p.acked_at - p.sent_at) * 1000 for p in posts]
        return Figures("bare aiohttp", len(posts), len(posts) / took, pct(intake, 0.5), pct(intake, 0.99))
    finally:
        proc.terminate()
        proc.wait()


def routing_cost(args: argparse.Namespace) -> float:
    """Microseconds the service's router takes per flood message: the same texts, the shipped table and the
    demo county's names, classified in this process (best of three passes)."""
    from config.paths import ROUTING_TABLE
    from nlp.names import county_names
    from nlp.router import Router

    router = Router.from_file(ROUTING_TABLE, county_names(DEMO_ORG_FILE))
    normal, urgent = texts()
    rng = random.Random(7)
    messages = [rng.choice(urgent if rng.random() < args.urgent else normal) for _ in range(args.villagers)]
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        for text in messages:
            router.decide(text)
        best = min(best, time.perf_counter() - started)
    return best / len(messages) * 1e6


def report(rows: list[Figures], base: Figures, args: argparse.Namespace, grids: int) -> str:
    lines = [
        f"{args.villagers} villagers in {grids} grid groups, {args.senders} senders, {args.urgent:.0%} urgent, "
        f"WeCom answers after {args.answer_delay:.2f} s; {os.cpu_count()} CPUs, Python {sys.version.split()[0]}",
        f"bare aiohttp handler: {base.intake_per_s:,.0f} posts/s, p50 {base.intake_p50_ms:.1f} ms, p99 {base.intake_p99_ms:.1f} ms",
        "",
        "| | " + " | ".join(r.name for r in rows) + " |",
        "|---|" + "---|" * len(rows),
    ]

    def line(label: str, values: list[str]) -> None:
        lines.append(f"| {label} | " + " | ".join(values) + " |")

    line("intake/s (÷ bare)", [f"{r.intake_per_s:,.0f} ({r.intake_per_s / base.intake_per_s:.3f})" for r in rows])
    line("intake p50 / p99 ms", [f"{r.intake_p50_ms:.0f} / {r.intake_p99_ms:.0f}" for r in rows])
    line(
        "**villagers answered/s end to end (÷ bare)**",
        [f"**{r.answered_per_s:,.1f} ({r.answered_per_s / base.intake_per_s:.4f})**" for r in rows],
    )
    line("message → answer p50 / p99 s", [f"{r.answer_p50_s:.1f} / {r.answer_p99_s:.1f}" for r in rows])
    line(
        "answered by, s after the first post: "
        + " / ".join(f"{q:.0%}" for q in ANSWERED_BY)
        + " (last callback's 200)",
        [" / ".join(f"{t:.1f}" for t in r.answered_by) + f" ({r.last_acked_s:.1f})" for r in rows],
    )
    line("urgent message → answer p50 s", [f"{r.urgent_answer_p50_s:.1f}" for r in rows])
    line("message → first cadre notice p50 / p99 s", [f"{r.notice_p50_s:.1f} / {r.notice_p99_s:.1f}" for r in rows])
    line("answered once / twice / none", [f"{r.answered_once} / {r.answered_twice} / {r.unanswered}" for r in rows])
    line(
        "CPU ms per villager, first post → last answer: service / PostgreSQL / load driver and fake WeCom",
        [
            f"{r.cpu_ms[0]:.1f} / {r.cpu_ms[1]:.1f} / {r.cpu_ms[2]:.1f}"
            if r.cpu_ms[1]
            else f"{r.cpu_ms[0]:.1f} / – / {r.cpu_ms[2]:.1f}"
            for r in rows
        ],
    )
    line("messages to the busiest cadres", [", ".join(f"{u} {n}" for u, n in r.per_cadre[:3]) for r in rows])
    line(
        "statements per message", [f"{r.statements_per_message:.1f}" if r.statements_per_message else "–" for r in rows]
    )
    line("peak RSS MB per process", [" + ".join(f"{m:.0f}" for m in r.peak_rss_mb) for r in rows])
    line("largest backlog inbox / outbox", [f"{r.largest_backlog[0]} / {r.largest_backlog[1]}" for r in rows])
    line(
        "steady: message → answer p99 s",
        [f"{r.steady_p99_s:.2f} at {r.steady_rate:.0f}/s" if r.steady_rate else "–" for r in rows],
    )
    routing_us = routing_cost(args)
    line(
        "routing per message µs (share of the service's time per answer)",
        [f"{routing_us:.0f} ({routing_us / 1e6 * r.answered_per_s:.2%})" if r.answered_per_s else "–" for r in rows],
    )
    return "\n".join(lines)


Entry = tuple[str, str, int, Path, str]  # a run's name, database, processes, code and interpreter


def balanced(before: list[Entry], after: list[Entry], pairs: int) -> list[Entry]:
    """The runs in order: each earlier-code run first, then this code's, as ever; with `pairs` > 1 the pairs are
    measured again, in turn the other way round (ABBA), so that neither code always has the later place in
    the run: a paired run's second place was about 2 % faster whatever code held it (bench/RESULTS.md)."""
    plan = [*before, *after]
    counterpart = {b[0]: next(a for a in after if a[0] == b[0].removesuffix("-before")) for b in before}
    for again in range(1, pairs):
        for first in before:
            pair = [first, counterpart[first[0]]]
            plan += pair[::-1] if again % 2 else pair
    return plan


def paired(rows: list[Figures]) -> set[str]:
    """The runs measured with the earlier code too (their names without -before)."""
    return {r.name.removesuffix("-before") for r in rows if r.name.endswith("-before")}


def pairs_report(rows: list[Figures]) -> str:
    """Each pair's answers a second and service CPU, earlier code → this code, and the means."""
    lines = [
        "| run | pair | order | answered/s before → after | CPU ms a villager before → after |",
        "|---|---|---|---|---|",
    ]
    for name in sorted(paired(rows)):
        befores = [r for r in rows if r.name == f"{name}-before"]
        afters = [r for r in rows if r.name == name]
        for n, (b, a) in enumerate(zip(befores, afters, strict=True), start=1):
            order = "after first" if rows.index(a) < rows.index(b) else "before first"
            lines.append(
                f"| {name} | {n} | {order} | {b.answered_per_s:.1f} → {a.answered_per_s:.1f} | "
                f"{b.cpu_ms[0]:.2f} → {a.cpu_ms[0]:.2f} |"
            )
        mean_b, mean_a = (statistics.mean(r.answered_per_s for r in rs) for rs in (befores, afters))
        cpu_b, cpu_a = (statistics.mean(r.cpu_ms[0] for r in rs) for rs in (befores, afters))
        lines.append(
            f"| {name} | mean of {len(afters)} | | {mean_b:.1f} → {mean_a:.1f} ({mean_a / mean_b - 1:+.1%}) | "
            f"{cpu_b:.2f} → {cpu_a:.2f} ({cpu_a / cpu_b - 1:+.1%}) |"
        )
    return "\n".join(lines)


async def main_async(args: argparse.Namespace) -> int:
    settings = load_settings()
    wecom = SlowWecom(settings.wecom)
    wecom.delay = args.answer_delay
    wecom.fresh()
    await wecom.up()
    runs = [r.strip() for r in args.runs.split(",") if r.strip()]
    pg: StatementsPostgres | None = None
    if any(r.startswith("pg") for r in runs) or args.before:
        pg = StatementsPostgres()
        pg.start()
        say(f"throwaway PostgreSQL in {pg.dir} on port {pg.port}")
    workdir = Path(tempfile.mkdtemp(prefix="gw-flood-"))
    rows: list[Figures] = []
    try:
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(connector=connector) as http:
            probe = Load(settings.wecom, wecom.state, args, "bare")  # type: ignore[arg-type]
            base = await bare(http, probe.posts, args.senders)
            say(f"bare aiohttp: {base.intake_per_s:,.0f}/s")
            plan: list[Entry] = []
            for name in runs:
                if name == "sqlite":
                    plan.append((name, f"sqlite://{workdir}/flood.db", 1, ROOT, sys.executable))
                elif name in ("pg1", "pg2"):
                    plan.append((name, "pg", int(name[2]), ROOT, sys.executable))
                else:
                    raise SystemExit(f"unknown run {name!r}: sqlite, pg1, pg2")
            first_round = len(plan)  # the first table's runs, each once: --pairs repeats some after them
            if args.before:
                earlier = Path(args.before).resolve()
                python = args.before_python or sys.executable
                before = [
                    (f"{name}-before", url.replace(".db", "-before.db"), n, earlier, python)
                    for name, url, n, *_ in plan
                ]
                wanted = {r.strip() for r in args.before_runs.split(",") if r.strip()}
                before = [p for p in before if p[0].removesuffix("-before") in wanted]
                first_round += len(before)
                plan = balanced(before, plan, args.pairs)
            for index, (name, url, processes, code, python) in enumerate(plan):
                if url == "pg":
                    assert pg is not None
                    url = await pg.new_database(f"flood_{index}_{os.getpid()}")
                    conn = await asyncpg.connect(url)
                    await conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
                    await conn.close()
                    if args.pg_socket:
                        url = pg.through_socket(url)
                else:  # a file of its own for each run: a pair measured again starts on an empty database too
                    url = url.replace(".db", f"-{index}.db")
                figures = await run(name, args, url, processes, code, python, wecom, http, workdir, pg)
                rows.append(figures)
                say(f"  {name}: {figures.answered_per_s:.1f} answered/s, {figures.answered_once} answered once")
            # the bare handler again, at the end, so both ends of the run are seen
            base2 = await bare(http, Load(settings.wecom, wecom.state, args, "bar2").posts, args.senders)  # type: ignore[arg-type]
            say(f"bare aiohttp again: {base2.intake_per_s:,.0f}/s")
            base.intake_per_s = statistics.mean([base.intake_per_s, base2.intake_per_s])
    finally:
        await wecom.down()
        if pg is not None:
            pg.stop()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            say(f"logs kept in {workdir}")
    print()
    print(report(rows[:first_round], base, args, len(grid_chats(args.grids))))
    if args.pairs > 1:
        print()
        print(pairs_report(rows))
    return 0 if all(r.unanswered == 0 and r.answered_twice == 0 for r in rows) else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--villagers", type=int, default=1000)
    parser.add_argument("--grids", type=int, default=40, help="grid groups used (the demo county has 16)")
    parser.add_argument("--senders", type=int, default=32, help="callbacks posted at once")
    parser.add_argument("--urgent", type=float, default=0.2, help="share of urgent messages (0–1)")
    parser.add_argument("--answer-delay", type=float, default=0.0, help="seconds WeCom takes to answer a send")
    parser.add_argument("--runs", default="sqlite,pg1,pg2")
    parser.add_argument("--steady-rate", type=float, default=50.0)
    parser.add_argument("--steady-seconds", type=float, default=20.0, help="0: no steady phase")
    parser.add_argument("--settle", type=float, default=600.0, help="seconds to wait for every answer")
    parser.add_argument("--before", default="", help="a checkout of the earlier code, measured as pg1-before")
    parser.add_argument(
        "--before-python", default="", help="the interpreter (virtual environment) --before's code runs with"
    )
    parser.add_argument("--before-runs", default="pg1", help="which of --runs to measure with --before's code too")
    parser.add_argument(
        "--pairs",
        type=int,
        default=1,
        help="with --before: measure each pair this many times, in turn the other way round (ABBA); the table shows "
        "the first pair, a second table every pair and the means",
    )
    parser.add_argument("--keep", action="store_true", help="keep the services' logs")
    parser.add_argument("--statements", action="store_true", help="print the most frequent statements (PostgreSQL)")
    parser.add_argument(
        "--pg-socket",
        action="store_true",
        help="the services reach PostgreSQL through its Unix socket (as deploy/ sets it up), not TCP on loopback",
    )
    parser.add_argument(
        "--profile",
        default="",
        help="a folder for each service's cProfile (RUN-serveN.prof; the CPU figures then include the profiler's)",
    )
    args = parser.parse_args()
    if args.pairs < 1 or (args.pairs > 1 and not args.before):
        parser.error("--pairs takes a number from 1 up, and more than 1 only with --before")
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
