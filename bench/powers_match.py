"""How well a villager's question is matched to an item of the small-powers list, on a labelled set.

    python bench/powers_match.py [--data bench/data/powers_questions.csv] [--list config/demo/powers.toml] [--errors]

The set is CSV with columns id, text, item: the item code the question is about, or empty when the list
must not answer it (not a question, a complaint about a cadre, a matter the list does not cover). Each text
goes through the shipped router and then the list's matching (handlers/powers/matching.py), as in chat.

Printed: item precision (answered with the right item / answered), item recall (answered with the right
item / questions labelled with an item), and how many unlabelled messages were answered (false answers),
beside the same figures for the item words alone without the routing decision and the question words
(the baseline), so the worth of each gate shows. --errors lists every miss and wrong answer.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from config.paths import DEMO_ORG_FILE, DEMO_POWERS_FILE, ROUTING_TABLE  # noqa: E402
from config.powers_file import PowersList, read_powers  # noqa: E402
from handlers.powers.matching import item_of, match_question  # noqa: E402
from nlp.names import county_names  # noqa: E402
from nlp.router import Router  # noqa: E402

Matcher = Callable[[str], str | None]


def score(rows: list[dict], match: Matcher) -> tuple[dict[str, float], list[str]]:
    answered = right = labelled = false = negatives = 0
    errors = []
    for row in rows:
        got, want = match(row["text"]), row["item"]
        labelled += want is not None
        negatives += want is None
        answered += got is not None
        right += got is not None and got == want
        false += want is None and got is not None
        if got != want:
            errors.append(f"  {row['id']}  want {want or '-':<22} got {got or '-':<22} {row['text']}")
    figures = {
        "precision": right / answered if answered else 0.0,
        "recall": right / labelled if labelled else 0.0,
        "false_answers": false,
        "negatives": negatives,
        "answered": answered,
    }
    return figures, errors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / "bench" / "data" / "powers_questions.csv")
    parser.add_argument("--list", type=Path, default=DEMO_POWERS_FILE)
    parser.add_argument("--errors", action="store_true")
    args = parser.parse_args()
    # CSV, not JSON Lines: every *.jsonl under bench/data is a routing set (tests/nlp, lexicon learn)
    with args.data.open(encoding="utf-8", newline="") as fh:
        rows = [{**row, "item": row["item"] or None} for row in csv.DictReader(fh)]
    powers: PowersList = read_powers(args.list)
    router = Router.from_file(ROUTING_TABLE, county_names(DEMO_ORG_FILE))

    def full(text: str) -> str | None:
        found = match_question(powers, text, router.decide(text))
        return found.item.code if found else None

    def words_alone(text: str) -> str | None:
        found = item_of(powers, text)
        return found.item.code if found else None

    labelled = sum(1 for r in rows if r["item"])
    print(f"{args.data.name}: {len(rows)} messages, {labelled} questions about an item, {len(rows) - labelled} not")
    for name, matcher in (
        ("list matching (routing + question words + item words)", full),
        ("baseline: item words alone", words_alone),
    ):
        figures, errors = score(rows, matcher)
        print(
            f"{name}: precision {figures['precision']:.1%}  recall {figures['recall']:.1%}  "
            f"false answers {figures['false_answers']}/{figures['negatives']}"
        )
        if args.errors and matcher is full:
            print("\n".join(errors))
    return 0


if __name__ == "__main__":
    sys.exit(main())
