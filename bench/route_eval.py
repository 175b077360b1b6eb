"""How well the router routes text its learned signals have not seen, and how fast.

    python bench/route_eval.py                        # the headline: cross-writer figures, then speed
    python bench/route_eval.py --data FILE [--errors] # one labelled set, as the shipped models see it

Without --data: the labelled sets of bench/data are grouped by writer (WRITERS: the rounds in which
different hands wrote them); for each group the three learned models are learned afresh from every
other group and the group is scored with them (the table is the shipped one, which has been tuned on
every set, so only the learned part is held out). One line per group, the pooled figure, and the table
alone. Needs scikit-learn (the `learn` extra); about half a minute per group.

With --data: request accuracy, primary accuracy on requests, per-department precision/recall, a
confusion table, urgent recall and false-alarm rate of the shipped router — on sets the models were
learned from these figures say little about unseen text.

Then classify throughput (messages/s on one core, after start-up) and start-up time, each beside a
baseline measured in the same run (plain jieba.lcut over the same texts, and jieba's own dictionary
load). The whole-process figures of `gridwhistle classify` are bench/classify_speed.py's.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # runnable as a script from a checkout
    sys.path.insert(0, str(ROOT))

from config.errors import ConfigError  # noqa: E402
from config.settings import DEMO_ORG_FILE, ROUTING_TABLE  # noqa: E402
from nlp.evaluation import Scores, evaluate, load_examples, merge_scores  # noqa: E402
from nlp.lexicon import load_table  # noqa: E402
from nlp.names import county_names  # noqa: E402
from nlp.router import NONE, Router  # noqa: E402

DATA = ROOT / "bench" / "data"
DEVSET = DATA / "devset.jsonl"

# Who wrote which sets (README "Routing": the rounds). A group is learned without and scored as one.
WRITERS: dict[str, tuple[int, int] | tuple[str, ...]] = {
    "early (devset, holdout, blind–blind11)": ("devset", "holdout", "blind", *(f"blind{n}" for n in range(2, 12))),
    "rounds A–E (blind12–28)": (12, 28),
    "rounds F–J (blind29–43)": (29, 43),
    "rounds K–O (blind44–58)": (44, 58),
    "rounds P–Q (blind59–64)": (59, 64),
    "round R, other habits (blind65–69)": (65, 69),
    "round S, other habits (blind70–72)": (70, 72),
}


def writer_groups(folder: Path) -> dict[str, list[Path]]:
    """The sets of each writer group; a set no group names is its own group (a new round not yet listed)."""
    groups: dict[str, list[Path]] = {name: [] for name in WRITERS}
    for path in sorted(folder.glob("*.jsonl")):
        number = re.fullmatch(r"blind(\d+)", path.stem)
        for name, members in WRITERS.items():
            if (isinstance(members[0], int) and number and members[0] <= int(number[1]) <= members[1]) or (
                isinstance(members[0], str) and path.stem in members
            ):
                groups[name].append(path)
                break
        else:
            groups[path.stem] = [path]
    return {name: paths for name, paths in groups.items() if paths}


def cross_writer(table_path: Path, names: tuple[str, ...], cache_dir: Path, folder: Path) -> str:
    """Each writer group scored by the table with models learned from the other groups only."""
    from nlp.learning import Example, learn_departments, learn_requests, learn_urgency

    def examples_of(paths: list[Path]) -> list[dict]:
        return [e for path in paths for e in load_examples(path)]

    def as_learning(examples: list[dict]) -> list[Example]:
        return [
            Example(e["text"], e["urgency"] == "urgent", e["primary"] if e["is_request"] else None) for e in examples
        ]

    table = load_table(table_path)
    groups = writer_groups(folder)
    header = f"{'held out (models learned from the rest)':<42}{'msgs':>6}{'request':>9}{'primary':>9}{'urgent':>8}{'false':>7}"
    lines = ["cross-writer: " + "request accuracy / primary on requests / urgent recall / false alarms", "", header]
    pooled: list[tuple[dict, object]] = []
    alone: list[tuple[dict, object]] = []
    table_only = Router(table, names, cache_dir)
    for name, paths in groups.items():
        held = examples_of(paths)
        rest = as_learning([e for other, others in groups.items() if other != name for e in examples_of(others)])
        router = Router(table, names, cache_dir, learn_urgency(rest), learn_departments(rest), learn_requests(rest))
        scores = evaluate(router, held)
        lines.append(_row(name, scores))
        if len(paths) > 1 and name.startswith(("round R", "round S")):
            for path in paths:
                lines.append(_row(f"  {path.stem}", evaluate(router, load_examples(path))))
        pooled += [(e, router) for e in held]
        alone += [(e, table_only) for e in held]
    lines.append(_row("pooled, every group held out in turn", _evaluate_pairs(pooled)))
    lines.append(_row("the table alone, no learned signal", _evaluate_pairs(alone)))
    return "\n".join(lines)


def _evaluate_pairs(pairs: list[tuple[dict, object]]) -> Scores:
    """Scores of examples each routed by its own router: one evaluate per router, merged by counting."""
    by_router: dict[int, tuple[object, list[dict]]] = {}
    for example, router in pairs:
        by_router.setdefault(id(router), (router, []))[1].append(example)
    parts = [evaluate(router, examples) for router, examples in by_router.values()]  # type: ignore[arg-type]
    return merge_scores(parts)


def _row(name: str, scores: Scores) -> str:
    return (
        f"{name:<42}{scores.total:>6}{scores.request_accuracy:>9.1%}{scores.primary_accuracy:>9.1%}"
        f"{scores.urgent_recall:>8.1%}{scores.false_alarm_rate:>7.1%}"
    )


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
            router.decide(text)
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
    parser.add_argument(
        "--data", type=Path, default=None, help="one labelled set (default: cross-writer over bench/data)"
    )
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
        if args.data is None:
            print(cross_writer(args.table, names, cache_dir, DATA))
            examples = load_examples(DEVSET)
        else:
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
