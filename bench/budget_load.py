"""How long an outbox claim takes to count its recipients' allowances as their hour fills up.

    python bench/budget_load.py [--targets 10] [--sends 0,100,300,900] [--rounds 200] [--db sqlite,postgres]

A claim's batch holds notices for `--targets` cadres; each has had `--sends` app messages sent in the last
hour, spread evenly over it. For each count, the time of `RateBudget.load` (what a claim does:
bot/outbox/budget.py — the last minute's sends one by one, the rest of the hour as one sum per cadre) is
printed beside, in the same run and on the same rows, the way claims counted before migration 0018: every
send of the hour read with its time and WeCom's answer, and the answer parsed for its pieces. Each figure is
the median of --rounds loads. SQLite is a temporary file; PostgreSQL a throwaway cluster (as bench/flood.py).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from fault_campaign.postgres import measured_on  # noqa: E402
from tortoise.connection import connections  # noqa: E402
from tortoise.expressions import Q  # noqa: E402

from bot.outbox.budget import RateBudget, pieces  # noqa: E402
from bot.outbox.queue import PENDING, SENT  # noqa: E402
from models import OutboxMessage  # noqa: E402
from models.db import database  # noqa: E402
from models.inserts import insert_each_unless_there  # noqa: E402
from models.migrate import upgrade  # noqa: E402

NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)


async def fill(targets: int, sends: int) -> list[OutboxMessage]:
    """`sends` sent rows for each target over the last hour, and the claim's batch: one due notice each."""
    await OutboxMessage.all().delete()
    step = timedelta(hours=1) / (sends + 1)
    rows = [
        OutboxMessage(
            kind="app",
            target=f"cadre{t}",
            payload={"text": "通知"},
            status=SENT,
            not_before=NOW,
            created_at=NOW,
            sent_at=NOW - step * (n + 1),
            result={"msgids": [f"m{t}-{n}"]},
        )
        for t in range(targets)
        for n in range(sends)
    ]
    await insert_each_unless_there(rows)
    batch = [
        OutboxMessage(
            kind="app", target=f"cadre{t}", payload={"text": "新通知"}, status=PENDING, not_before=NOW, created_at=NOW
        )
        for t in range(targets)
    ]
    await insert_each_unless_there(batch)
    return batch


async def read_each(rows: list[OutboxMessage]) -> int:
    """The earlier count: every send of the hour, its answer parsed for its pieces."""
    recent = await OutboxMessage.filter(
        Q(status=SENT, sent_at__gt=NOW - timedelta(hours=1)) | Q(status=PENDING, claimed_until__gt=NOW),
        kind="app",
        target__in={row.target for row in rows},
    ).values("target", "status", "sent_at", "result", "dedupe_key")
    return sum(pieces(item["result"]) for item in recent)


async def timed(load, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        await load()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


async def measure(url: str, args: argparse.Namespace) -> list[tuple[int, float, float]]:
    await upgrade(url)
    out = []
    async with database(url):
        conn = connections.get("default")
        for sends in args.sends:
            batch = await fill(args.targets, sends)
            now_load = await timed(lambda b=batch: RateBudget.load(b, NOW, conn), args.rounds)
            before = await timed(lambda b=batch: read_each(b), args.rounds)
            out.append((sends, before, now_load))
            print(f"  {sends} sends each: {before:.2f} → {now_load:.2f} ms", flush=True)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", type=int, default=10)
    parser.add_argument("--sends", default="0,100,300,900", help="sends per cadre in the last hour, comma-separated")
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--db", default="sqlite,postgres")
    args = parser.parse_args()
    args.sends = [int(n) for n in args.sends.split(",")]
    results = {}
    for db in args.db.split(","):
        print(f"{db}:", flush=True)
        if db not in ("sqlite", "postgres"):
            parser.error(f"--db: sqlite or postgres, not {db!r}")
        results[db] = measured_on(db, "budget", lambda url: measure(url, args))
    print(f"\n{args.targets} cadres in a claim's batch; median of {args.rounds} loads, ms (each send read → summed)")
    print("| sends each in the hour | " + " | ".join(results) + " |")
    print("|---|" + "---|" * len(results))
    for i, sends in enumerate(args.sends):
        cells = [f"{r[i][1]:.2f} → {r[i][2]:.2f} ({r[i][1] / r[i][2]:.1f}×)" for r in results.values()]
        print(f"| {sends} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
