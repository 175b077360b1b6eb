"""How well the routing table routes a labelled set, and how fast.

    python bench/route_eval.py [--data bench/data/devset.jsonl] [--table config/routing]
                               [--errors] [--json]

Prints request accuracy, primary accuracy on requests, per-department precision/recall, a
confusion table, urgent recall and false-alarm rate, then classify throughput (messages/s on one
core, after start-up) and start-up time, each beside a baseline measured in the same run (plain
jieba.lcut over the same texts, and jieba's own dictionary load).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # runnable as a script from a checkout
    sys.path.insert(0, str(ROOT))

from config.errors import ConfigError  # noqa: E402
from config.settings import DEMO_ORG_FILE, ROUTING_TABLE  # noqa: E402
from nlp.evaluation import Scores, evaluate, load_examples  # noqa: E402
from nlp.names import county_names  # noqa: E402
from nlp.router import NONE, Router  # noqa: E402

DEVSET = ROOT / "bench" / "data" / "devset.jsonl"


def measure_speed(router: Router, texts: list[str], rounds: int = 20) -> tuple[float, float]:
    """(router msgs/s, baseline jieba.lcut msgs/s) over the same texts, per second of this process's CPU time
    (one core; other load on the machine does not count against it)."""
    from nlp.tokenizer import jieba

    baseline = jieba.Tokenizer()
    baseline.tmp_dir = router.tokenizer.tmp_dir
    baseline.cache_file = router.tokenizer.cache_file
    baseline.initialize()
    n = len(texts) * rounds
    start = time.process_time()
    for _ in range(rounds):
        for text in texts:
            router.classify(text)
    ours = n / (time.process_time() - start)
    start = time.process_time()
    for _ in range(rounds):
        for text in texts:
            baseline.lcut(text)
    theirs = n / (time.process_time() - start)
    return ours, theirs


def measure_startup(table: Path, names: tuple[str, ...], cache_dir: Path) -> tuple[float, float]:
    """(Router build s, bare jieba dictionary load s), both from a warm cache, in CPU seconds."""
    from nlp.tokenizer import jieba

    Router.from_file(table, names, cache_dir)  # make sure the cache exists
    start = time.process_time()
    Router.from_file(table, names, cache_dir)
    ours = time.process_time() - start
    bare = jieba.Tokenizer()
    bare.tmp_dir = str(cache_dir)
    start = time.process_time()
    bare.initialize()
    return ours, time.process_time() - start


def report(scores: Scores, show_errors: bool) -> str:
    lines = [
        f"messages                 {scores.total}",
        f"request accuracy         {scores.request_accuracy:.1%}",
        f"primary accuracy         {scores.primary_accuracy:.1%}  (on requests)",
        f"also exactly right       {scores.also_exact:.1%}  (where primary is right)",
        f"urgent recall            {scores.urgent_recall:.1%}",
        f"urgent false alarms      {scores.false_alarm_rate:.1%}  (of non-urgent messages)",
        "",
        f"{'department':<20}{'precision':>10}{'recall':>8}{'n':>5}",
    ]
    for code, (precision, recall, support) in scores.per_department.items():
        lines.append(f"{code:<20}{precision:>10.0%}{recall:>8.0%}{support:>5}")
    lines += ["", "confusion (gold → predicted, off-diagonal):"]
    for (gold, predicted), n in sorted(scores.confusion.items(), key=lambda kv: -kv[1]):
        if gold != predicted:
            lines.append(f"  {gold:<18} → {predicted:<18} {n}")
    if show_errors:
        lines += ["", "errors:"]
        for example, decision in scores.errors:
            gold = example["primary"] if example["is_request"] else NONE
            lines.append(
                f"  {example['id']} gold={gold}+{','.join(example['also'])}/{example['urgency']} "
                f"got={decision.primary}+{','.join(decision.also)}/{decision.urgency}  {example['text']}  "
                f"[{decision.explanation}] {dict(decision.scores)}"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEVSET)
    parser.add_argument("--table", type=Path, default=ROUTING_TABLE)
    parser.add_argument("--org", type=Path, default=DEMO_ORG_FILE)
    parser.add_argument("--errors", action="store_true", help="list every wrong decision")
    parser.add_argument("--no-speed", action="store_true", help="skip the throughput and start-up figures")
    args = parser.parse_args(argv)
    names = county_names(args.org)
    with tempfile.TemporaryDirectory() as tmp:
        cache_dir = Path(tmp)
        try:
            router = Router.from_file(args.table, names, cache_dir)
        except ConfigError as exc:
            print(exc, file=sys.stderr)
            return 1
        examples = load_examples(args.data)
        print(report(evaluate(router, examples), args.errors))
        if not args.no_speed:
            texts = [e["text"] for e in examples]
            ours, theirs = measure_speed(router, texts)
            startup, bare = measure_startup(args.table, names, cache_dir)
            print()
            print(
                f"classify throughput      {ours:,.0f} msgs/s   (one core, CPU time; baseline jieba.lcut: {theirs:,.0f} msgs/s)"
            )
            print(f"start-up (warm cache)    {startup:.2f} s CPU    (baseline jieba dictionary load: {bare:.2f} s CPU)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
