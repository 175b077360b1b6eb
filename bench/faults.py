"""Fault campaign (not a test): what a villager's message survives, counted.

    python bench/faults.py [--messages 40] [--scenarios all|NAME,NAME…] [--settle 120] [--keep]

The real service (`gridwhistle serve`, a child process) runs on a throwaway PostgreSQL cluster that the
campaign makes itself (initdb + pg_ctl in a temporary directory, on an unused port; the shared server
is never touched), with `[wecom] api_base` pointed at the project's fake WeCom (bot/sandbox) served over
HTTP on loopback by this process. Each scenario gets a fresh database and a fresh service, posts
`--messages` signed callbacks from distinct villagers (a third each: 1:1 with the app, @-mentions in a
grid group through the AI bot, customer service), does its harm while they flow, waits until the
inbox and the outbox are empty (or `--settle` seconds) and counts, per message:

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
import json
import logging
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the project, for `bot`, `config`

import aiohttp  # noqa: E402
import asyncpg  # noqa: E402
from fault_campaign.common import say  # noqa: E402
from fault_campaign.counting import Figures, count, received, table  # noqa: E402
from fault_campaign.postgres import ThrowawayPostgres  # noqa: E402
from fault_campaign.scenarios import Run, Scenario, scenarios_for  # noqa: E402
from fault_campaign.sender import Message, Sender  # noqa: E402
from fault_campaign.service import RoundRobin, Service  # noqa: E402
from fault_campaign.wecom import Wecom  # noqa: E402

from config.settings import load_settings  # noqa: E402

SETTLE_QUIET = 3.0  # after the queues empty, this long for late copies to show


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
                run.sender.acknowledged.clear()
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
        figures = await count(run, messages)
        queues = await _queues(database_url)
        figures.queued = queues[1] if queues else -1
        figures.note = "" if note == "settled" else note
        say(f"  {run.name}: what WeCom received: {received(fake)}")
        if figures.crash_gaps:
            gaps = ", ".join(f"{gap:.0f} s" for gap in figures.crash_gaps)
            say(f"  {run.name}: the crash instant's second copies went {gaps} after the first")
        if args.keep:  # what WeCom received, one call a line, beside the logs
            lines = (json.dumps(call.to_json(), ensure_ascii=False) for call in fake.sent)
            (workdir / "wecom-received.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
        else:
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


def main() -> int:
    names = [s.name for s in scenarios_for(40)]
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
    parser.add_argument("--keep", action="store_true", help="keep each scenario's service logs and what WeCom received")
    args = parser.parse_args()
    wanted = names if args.scenarios == "all" else [n.strip() for n in args.scenarios.split(",") if n.strip()]
    unknown = [n for n in wanted if n not in names]
    if unknown:
        parser.error(f"unknown scenario {', '.join(unknown)}; choose from {', '.join(names)}")
    scenarios = [s for s in scenarios_for(args.messages) if s.name in wanted]
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
                say(table([figures]).splitlines()[1])
    finally:
        await wecom.down()
        pg.stop()
    print()
    print(f"{args.messages} messages a scenario, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    print(table(rows))
    return 0 if all(r.lost == 0 and r.doubled == 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
