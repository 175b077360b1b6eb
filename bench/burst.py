"""What does the N-th message of a burst cost to route? The whole text again (before) or its own words (now).

    python bench/burst.py [--repeat 5]

A villager's burst of short messages (real pieces from the routing examples, cycled) grows to N pieces.
For N in 1, 10, 50, 100, 200 it prints the best of `--repeat` timings of routing piece N:
- `whole`: classify the whole burst text so far (what a burst did before);
- `piece`: classify piece N alone and add its scores to those kept for the earlier pieces (now);
and the baseline, classifying one short message, measured in the same run. Ratios to the baseline show
that `piece` stays flat while `whole` grows with N. (The policy also stops a request at
[requests] burst_max_messages / burst_max_chars; the bench ignores those caps to show the growth.)
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from config.settings import DEMO_ORG_FILE, ROUTING_TABLE  # noqa: E402
from handlers.requests.burst import route_of, votes  # noqa: E402
from nlp.names import county_names  # noqa: E402
from nlp.router import Router  # noqa: E402

PIECES = [
    "我家房顶漏雨了",
    "西屋的墙也裂了",
    "下雨天屋里全是水",
    "炕都湿了没法住",
    "老人孩子都挤在东屋",
    "找过村里说等等",
    "等了半个月了",
    "房梁也有点歪了",
    "晚上睡觉都害怕",
    "能不能来人看看",
]
SIZES = (1, 10, 50, 100, 200)


def best(function: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    router = Router.from_file(ROUTING_TABLE, county_names(DEMO_ORG_FILE))
    pieces = [PIECES[i % len(PIECES)] for i in range(max(SIZES))]
    parts = [votes(router.decide(p)) for p in pieces]  # what the earlier pieces' events keep
    baseline = best(lambda: router.decide(PIECES[0]), args.repeat)
    print(f"baseline (one short message): {baseline * 1000:.3f} ms")
    print(
        f"{'N':>4} {'chars':>6} {'whole ms':>9} {'piece ms':>9} {'whole÷base':>11} {'piece÷base':>11} {'whole÷piece':>12}"
    )
    for n in SIZES:
        text = " ".join(pieces[:n])
        whole = best(lambda text=text: router.decide(text), args.repeat)

        def piece(n: int = n) -> None:
            decision = router.decide(pieces[n - 1])
            route_of("housing", [*parts[: n - 1], votes(decision)])

        alone = best(piece, args.repeat)
        print(
            f"{n:>4} {len(text):>6} {whole * 1000:>9.3f} {alone * 1000:>9.3f}"
            f" {whole / baseline:>11.1f} {alone / baseline:>11.1f} {whole / alone:>12.1f}"
        )


if __name__ == "__main__":
    main()
