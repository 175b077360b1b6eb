"""How long a villager's message waits for "is this the next piece of my request?" as the request table grows.

    python bench/sender_lookup.py [--requests 1000,10000,50000] [--rounds 300] [--db sqlite,postgres]

Every message asks for its sender's latest request still being said (models/request_queries.py
`latest_of_sender`, the service's own function). The table holds `--requests` requests from senders who
wrote three each — a third of them still open, half by a known person, half known only by their AI-bot id —
and the question is asked for random senders, by person and by id. Printed beside it, in the same run on
the same rows: a request read by its primary key (the baseline), and the same question with the sender
indexes of migration 0019 dropped (the table as it was before). Each figure is the median of --rounds, in
ms. SQLite is a temporary file without statistics (as the service leaves it); PostgreSQL a throwaway
cluster (as bench/flood.py), analysed as autovacuum would.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from fault_campaign.postgres import measured_on  # noqa: E402
from tortoise.connection import connections  # noqa: E402

from models import Person, Request  # noqa: E402
from models.db import database  # noqa: E402
from models.inserts import insert_each_unless_there  # noqa: E402
from models.migrate import upgrade  # noqa: E402
from models.request_queries import latest_of_sender  # noqa: E402
from models.request_states import STILL_BEING_SAID  # noqa: E402

NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
STATES = ("closed", "whistled", "kept_in_grid")  # two of three no longer being said
INDEXES = {
    "request_sender": "CREATE INDEX request_sender ON request (sender_id)",
    "request_sender_ref": "CREATE INDEX request_sender_ref ON request (channel, sender_ref)",
}


async def fill(requests: int) -> list[tuple[str, Person | None]]:
    """`requests` rows from requests ÷ 3 senders (every other one a known person); the senders."""
    await Request.all().delete()
    await Person.all().delete()
    senders = requests // 3
    people = [Person(name=f"村民{n}", userid=f"v{n}") for n in range(0, senders, 2)]
    await bulk(people)
    by_userid = {p.userid: p for p in await Person.all()}
    rows = [
        Request(
            number=n + 1,
            text="村口路灯坏了",
            channel="aibot",
            sender_ref=f"v{n % senders}",
            sender=by_userid.get(f"v{n % senders}"),
            primary="village",
            status=STATES[n // senders % 3],
            created_at=NOW - timedelta(minutes=requests - n),
            updated_at=NOW - timedelta(minutes=requests - n),
        )
        for n in range(requests)
    ]
    await bulk(rows)
    return [(f"v{n}", by_userid.get(f"v{n}")) for n in range(senders)]


async def bulk(rows: list[Any]) -> None:
    # the service's own multi-row insert (tortoise's bulk_create writes statements PostgreSQL refuses here)
    for start in range(0, len(rows), 1000):
        await insert_each_unless_there(rows[start : start + 1000])


async def median_ms(ask: Callable[[], Awaitable[Any]], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        await ask()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


async def one_size(count: int, rounds: int) -> tuple[int, float, float, float]:
    """(rows, ms by id, ms by sender without the indexes, ms with them) for a table of `count` requests."""
    conn = connections.get("default")
    postgres = conn.capabilities.dialect == "postgres"
    senders = await fill(count)
    rng = random.Random(count)
    ids = [r.id for r in await Request.all().only("id")]

    def latest() -> Awaitable[Request | None]:
        ref, person = rng.choice(senders)
        return latest_of_sender("aibot", ref, person, STILL_BEING_SAID, since=NOW - timedelta(days=30))

    if postgres:
        await conn.execute_script("ANALYZE request")
    base = await median_ms(lambda: Request.get(id=rng.choice(ids)), rounds)
    indexed = await median_ms(latest, rounds)
    for name in INDEXES:
        await conn.execute_script(f"DROP INDEX {name}")
    if postgres:
        await conn.execute_script("ANALYZE request")
    scanned = await median_ms(latest, rounds)
    for sql in INDEXES.values():
        await conn.execute_script(sql)
    return count, base, scanned, indexed


async def measure(url: str, args: argparse.Namespace) -> list[tuple[int, float, float, float]]:
    await upgrade(url)
    out = []
    async with database(url):
        for count in args.requests:
            out.append(row := await one_size(count, args.rounds))
            print(f"  {count} requests: by id {row[1]:.3f}, sender {row[2]:.3f} → {row[3]:.3f} ms", flush=True)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", default="1000,10000,50000", help="rows in the request table, comma-separated")
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--db", default="sqlite,postgres")
    args = parser.parse_args()
    args.requests = [int(n) for n in args.requests.split(",")]
    results = {}
    for db in args.db.split(","):
        print(f"{db}:", flush=True)
        if db not in ("sqlite", "postgres"):
            parser.error(f"--db: sqlite or postgres, not {db!r}")
        results[db] = measured_on(db, "senders", lambda url: measure(url, args))
    print(f"\nA sender's latest request still being said; median of {args.rounds}, ms (÷ a read by id, same run)")
    print(
        "| requests in the table | " + " | ".join(f"{db}: without → with the sender indexes" for db in results) + " |"
    )
    print("|---|" + "---|" * len(results))
    for i, count in enumerate(args.requests):
        cells = [
            f"{r[i][2]:.3f} ({r[i][2] / r[i][1]:.1f}×) → {r[i][3]:.3f} ({r[i][3] / r[i][1]:.1f}×)"
            for r in results.values()
        ]
        print(f"| {count:,} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
