"""Whole-process speed of `gridwhistle classify`: JSON Lines in, decisions out, start-up included.

    python bench/classify_speed.py [--messages 20000] [--rounds 3] [--compare CHECKOUT]

Feeds N ordinary messages (the ordinary-traffic rounds F–O of bench/data, repeated) to a fresh
`gridwhistle classify` process through a pipe, and measures wall time and the child's CPU time (user +
system). Beside it, in the same run: the start-up of a bare `python -c pass`, the start-up of `classify`
with nothing to read, and a plain Python process doing the same JSON round-trip (read a line, parse it,
write an answer line and flush) — the floor any classify process stands on. Each figure is the best
of --rounds runs, as other load on the machine only ever slows a run down. --compare runs another
checkout's `classify` (e.g. the main branch) on the same input in the same run, for a before/after ratio
on a machine whose load changes from minute to minute.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
ORDINARY = range(29, 59)  # rounds F–O: ordinary traffic

JSON_ROUND_TRIP = """
import json, sys
out = sys.stdout.buffer
for raw in iter(sys.stdin.buffer.readline, b""):
    record = json.loads(raw)
    out.write(json.dumps({"id": record["id"], "is_request": True, "primary": "village", "also": [],
                          "urgency": "normal", "keywords": [record["text"][:2]]}, ensure_ascii=False).encode() + b"\\n")
    out.flush()
"""


def messages(count: int) -> bytes:
    texts = [
        json.loads(line)["text"]
        for number in ORDINARY
        if (DATA / f"blind{number}.jsonl").exists()
        for line in (DATA / f"blind{number}.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    lines = [json.dumps({"id": i, "text": texts[i % len(texts)]}, ensure_ascii=False) for i in range(count)]
    return ("\n".join(lines) + "\n").encode("utf-8")


def run(command: list[str], stdin: Path, cwd: Path = ROOT) -> tuple[float, float, int]:
    """(wall s, child CPU s, output lines) of one run."""
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    with open(stdin, "rb") as source:
        done = subprocess.run(command, stdin=source, capture_output=True, check=True, cwd=cwd, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.stdout.count(b"\n")


def best(command: list[str], stdin: Path, rounds: int, cwd: Path = ROOT) -> tuple[float, float, int]:
    results = [run(command, stdin, cwd) for _ in range(rounds)]
    return min(r[0] for r in results), min(r[1] for r in results), results[0][2]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--compare", type=Path, help="another checkout whose classify runs on the same input")
    args = parser.parse_args(argv)
    classify = [sys.executable, "-m", "bot.cli", "classify"]
    with tempfile.TemporaryDirectory() as tmp:
        feed = Path(tmp) / "messages.jsonl"
        feed.write_bytes(messages(args.messages))
        empty = Path(tmp) / "empty.jsonl"
        empty.write_bytes(b"")
        run(classify, empty)  # the dictionary cache is built once, as on a first install
        bare_wall, bare_cpu, _ = best([sys.executable, "-c", "pass"], empty, args.rounds)
        up_wall, up_cpu, _ = best(classify, empty, args.rounds)
        json_wall, json_cpu, json_lines = best([sys.executable, "-c", JSON_ROUND_TRIP], feed, args.rounds)
        ours_wall, ours_cpu, ours_lines = best(classify, feed, args.rounds)
        if args.compare:
            run(classify, empty, args.compare)
            other_up = best(classify, empty, args.rounds, args.compare)
            other = best(classify, feed, args.rounds, args.compare)
    assert ours_lines == json_lines == args.messages, (ours_lines, json_lines)
    n = args.messages
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} (other load only slows a run)")
    print(
        f"start-up       classify {up_wall:.2f} s wall, {up_cpu:.2f} s CPU   (python -c pass: {bare_wall:.2f} s, {bare_cpu:.2f} s CPU)"
    )
    print(
        f"{n:,} messages classify {n / ours_wall:,.0f} msgs/s wall, {n / ours_cpu:,.0f} msgs/s CPU, start-up included"
        f"   (JSON round-trip alone: {n / json_wall:,.0f} msgs/s wall, {n / json_cpu:,.0f} msgs/s CPU)"
    )
    if args.compare:
        print(
            f"{args.compare}: start-up {other_up[0]:.2f} s wall, {other_up[1]:.2f} s CPU; "
            f"{n / other[0]:,.0f} msgs/s wall, {n / other[1]:,.0f} msgs/s CPU "
            f"(this checkout: {other[1] / ours_cpu:.2f}× its CPU throughput)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
