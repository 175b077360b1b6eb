"""Does the Aho–Corasick pass pay for itself? Compare it with plain jieba tokens + a phrase dict.

    python bench/matcher_compare.py

The alternative looks each jieba token, and each run of up to four adjacent tokens, up in a dict
of the table's words — the usual "tokenize, then look up" design. Same scoring, same rules; only
how words are found differs. Prints accuracy and throughput of both on the labelled sets.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from config.settings import DEMO_ORG_FILE, ROUTING_TABLE  # noqa: E402
from nlp.evaluation import evaluate, load_examples  # noqa: E402
from nlp.matcher import Found, Hit  # noqa: E402
from nlp.names import county_names  # noqa: E402
from nlp.router import Router, _entries  # noqa: E402

MAX_TOKENS = 4


class TokenMatcher:
    """Words are whole jieba tokens or runs of adjacent tokens; nothing inside a token."""

    def __init__(self, entries, tokenizer) -> None:
        self._entries = entries
        self._tokenizer = tokenizer

    def find(self, text: str) -> Found:
        tokens = self._tokenizer.lcut(text, HMM=False)
        starts = []
        position = 0
        for token in tokens:
            starts.append(position)
            position += len(token)
        found = []
        for i in range(len(tokens)):
            for j in range(i + 1, min(i + MAX_TOKENS, len(tokens)) + 1):
                surface = "".join(tokens[i:j])
                entry = self._entries.get(surface)
                if entry is not None:
                    found.append((starts[i], starts[i] + len(surface), surface, entry))
        present = frozenset(w for _, _, s, e in found for w in (s, e.word))
        found.sort(key=lambda h: (h[0] - h[1], h[0]))
        hits = []
        for start, end, surface, entry in found:
            covered = set()
            for h in hits:
                if h.start <= start and end <= h.end:
                    covered |= h.kinds
            if entry.kinds - covered:
                hits.append(Hit(start, end, entry.word, surface, frozenset(entry.kinds - covered)))
        return Found(present, tuple(sorted(hits, key=lambda h: h.start)))


def throughput(router: Router, texts: list[str], rounds: int = 10) -> float:
    """Messages per second of CPU time (one core)."""
    start = time.process_time()
    for _ in range(rounds):
        for text in texts:
            router.decide(text)
    return len(texts) * rounds / (time.process_time() - start)


def main() -> int:
    names = county_names(DEMO_ORG_FILE)
    sets = {name: load_examples(ROOT / "bench" / "data" / name) for name in ("devset.jsonl", "holdout.jsonl")}
    with tempfile.TemporaryDirectory() as tmp:
        ours = Router.from_file(ROUTING_TABLE, names, Path(tmp))
        tokens_only = Router.from_file(ROUTING_TABLE, names, Path(tmp))
        # Bench-only: swap the word finder, keep everything else identical.
        tokens_only._matcher = TokenMatcher(_entries(tokens_only.table, tokens_only._targets), tokens_only.tokenizer)
        for label, router in (("aho-corasick + jieba", ours), ("jieba tokens + dict", tokens_only)):
            texts = [e["text"] for examples in sets.values() for e in examples]
            print(f"{label}: {throughput(router, texts):,.0f} msgs/s")
            for name, examples in sets.items():
                s = evaluate(router, examples)
                print(
                    f"  {name:<14} request {s.request_accuracy:.1%}  primary {s.primary_accuracy:.1%}  "
                    f"urgent recall {s.urgent_recall:.1%}  false alarms {s.false_alarm_rate:.1%}"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
