"""How long does each console page take on a county's data? (bench/county_data.py makes the data set.)

    python bench/county_data.py --db URL            # once per database
    python bench/console_speed.py --db URL [--repeat 5] [--explain 2]

Starts the real service on loopback (no org load, no workers), signs people in by session rows, and times
each page over HTTP as the county admin (everything), a township committee member and a liaison: the
median of `--repeat` runs after one warm-up, in ms, and as a ratio to `/healthz` measured in the same run.
With `--explain N` on PostgreSQL it prints EXPLAIN ANALYZE of the three costliest queries of the N
slowest county pages (the queries are caught from tortoise's debug log while the page is served once more,
its rates counted live: the rates query is explained under the settings it runs with).
`--reuse SECONDS` overrides `[server] console_rates_reuse_seconds` (0: every figure set counted live).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from aiohttp import web  # noqa: E402

from bench.county_data import NOW  # noqa: E402
from bot import inbox  # noqa: E402
from bot.app import create_app  # noqa: E402
from bot.clock import ManualClock  # noqa: E402
from config.settings import Settings  # noqa: E402
from models import Person, Request, Ticket  # noqa: E402
from models.console_access import start_session  # noqa: E402
from models.rate_counts import PG_SETTINGS  # noqa: E402
from models.rate_snapshots import RateSnapshot  # noqa: E402

VIEWERS = {"county": "bench_county", "township": "bench_t01", "liaison": "bench_l_transport"}
AREA_PAGES = ("/console/areas", "/console/areas?level=township", "/console/tasks", "/console/visits")


def pages(ticket: int) -> list[str]:
    return [
        "/console/",
        "/console/?days=365",
        "/console/tickets",
        "/console/tickets?q=路灯",
        "/console/tickets?overdue=1",
        "/console/tickets?status=open&urgency=urgent&days=30",
        f"/console/tickets/{ticket}",
        "/console/departments",
        "/console/departments?days=365",
        *AREA_PAGES,
        "/console/departments?export=xlsx",
        "/api/v1/metrics",
        "/api/v1/tickets",
    ]


class Caught(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.queries: list[tuple[str, list]] = []

    def emit(self, record: logging.LogRecord) -> None:
        if len(record.args or ()) == 2 and isinstance(record.args, tuple):
            query, values = record.args
            if str(query).lstrip().upper().startswith(("SELECT", "WITH")):  # WITH: the rates query
                self.queries.append((str(query), list(values or [])))


async def timed(http: aiohttp.ClientSession, url: str, repeat: int, secret: str = "") -> float:
    headers = {"Cookie": f"gw_console={secret}"} if secret else {}
    async with http.get(url, headers=headers, allow_redirects=False) as response:  # warm-up
        await response.read()
        assert response.status == 200, (url, response.status)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        async with http.get(url, headers=headers, allow_redirects=False) as response:
            await response.read()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


async def explain(app_url: str, http: aiohttp.ClientSession, path: str, secret: str) -> None:
    from tortoise.transactions import in_transaction

    await RateSnapshot.all().delete()  # counted live once more, so the rates query is among those caught
    caught = Caught()
    db_log = logging.getLogger("tortoise.db_client")
    db_log.addHandler(caught)
    db_log.setLevel(logging.DEBUG)
    try:
        async with http.get(app_url + path, headers={"Cookie": f"gw_console={secret}"}) as response:
            await response.read()
    finally:
        db_log.removeHandler(caught)
        db_log.setLevel(logging.WARNING)
    plans = []
    for query, values in caught.queries:
        async with in_transaction() as transaction:
            if query.lstrip().upper().startswith("WITH"):
                await transaction.execute_script(PG_SETTINGS)  # as models/rate_counts.py runs it
            rows = await transaction.execute_query_dict("EXPLAIN (ANALYZE, BUFFERS) " + query, values)
        plan = [row["QUERY PLAN"] for row in rows]
        took = float(plan[-1].split(":")[1].split()[0]) if plan and "Execution Time" in plan[-1] else 0.0
        plans.append((took, query, plan))
    print(f"\n#### {path}: {len(plans)} queries, the three costliest\n")
    for took, query, plan in sorted(plans, key=lambda p: -p[0])[:3]:
        print(f"```\n-- {took:.1f} ms: {query[:300]}{'…' if len(query) > 300 else ''}")
        print("\n".join(plan[:45]))  # the rates query's aggregates come after its joins
        print("```")


async def main(url: str, repeat: int, explain_pages: int, reuse: float | None) -> None:
    clock = ManualClock(NOW)
    server = Settings().server
    if reuse is not None:
        server = server.model_copy(update={"console_rates_reuse_seconds": reuse})
    settings = Settings().model_copy(
        update={"database": Settings().database.model_copy(update={"url": url}), "server": server}
    )
    app = create_app(
        settings, clock=clock, process=inbox.mark_done(clock), migrate=False, load_org=False, background=False
    )
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        print(
            f"database: {url.split('://')[0]}; requests {await Request.all().count()}, tickets {await Ticket.all().count()};"
            f" figure sets reused for {settings.server.console_rates_reuse_seconds:g} s"
        )
        # an open ticket every viewer may open: in the first township, for the transport liaison
        shared = Ticket.filter(township__code="t01", assignments__department__code="transport")
        ticket = (await shared.order_by("-id").first()).number  # type: ignore[union-attr]
        sessions = {}
        for kind, userid in VIEWERS.items():
            person = await Person.get(userid=userid)
            sessions[kind] = await start_session(person.id, NOW, timedelta(hours=8))
        results: dict[str, dict[str, float]] = {}
        async with aiohttp.ClientSession() as http:
            baseline = await timed(http, base + "/healthz", repeat)
            for kind, secret in sessions.items():
                for path in pages(ticket):
                    if kind == "liaison" and path in AREA_PAGES:
                        continue
                    results.setdefault(path, {})[kind] = await timed(http, base + path, repeat, secret)
            print(f"\nbaseline /healthz: {baseline:.1f} ms (median of {repeat})\n")
            print("| page | county ms | township ms | liaison ms | county ÷ /healthz |")
            print("|---|---:|---:|---:|---:|")
            for path, by in results.items():
                cells = [f"{by[k]:.0f}" if k in by else "—" for k in VIEWERS]
                print(f"| `{path}` | {' | '.join(cells)} | {by['county'] / baseline:.0f}× |")
            if explain_pages and url.startswith("postgres"):
                slowest = sorted(results, key=lambda p: -results[p]["county"])
                for path in [p for p in slowest if "export" not in p][:explain_pages]:
                    await explain(base, http, path, sessions["county"])
    finally:
        await runner.cleanup()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--explain", type=int, default=0, metavar="N")
    parser.add_argument("--reuse", type=float, default=None, metavar="SECONDS")
    args = parser.parse_args()
    asyncio.run(main(args.db, args.repeat, args.explain, args.reuse))
