"""Score a Router against labelled messages (the routing guide's labels); used by bench/ and tests/."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from nlp.router import NONE, Decision, Router


@dataclass(frozen=True)
class Scores:
    total: int
    request_accuracy: float
    primary_accuracy: float  # on messages labelled as requests
    also_exact: float  # on requests whose primary is right
    urgent_recall: float
    false_alarm_rate: float  # share of non-urgent messages marked urgent
    per_department: dict  # code -> (precision, recall, support)
    confusion: Counter  # (gold, predicted) -> count
    errors: list[tuple[dict, Decision]]
    counts: Counter = field(default_factory=Counter)  # the raw counts behind the rates, for merge_scores


def load_examples(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def evaluate(router: Router, examples: list[dict]) -> Scores:
    return _scores(_counts(router, examples))


def merge_scores(parts: list[Scores]) -> Scores:
    """One Scores over the messages of several (each routed by its own router), from their counts."""
    totals: Counter = Counter()
    confusion: Counter = Counter()
    errors: list[tuple[dict, Decision]] = []
    for part in parts:
        totals.update(part.counts)
        confusion.update(part.confusion)
        errors += part.errors
    return _scores((totals, confusion, errors))


def _counts(router: Router, examples: list[dict]) -> tuple[Counter, Counter, list[tuple[dict, Decision]]]:
    request_right = primary_right = requests = also_right = 0
    urgent_gold = urgent_found = calm_gold = false_alarms = 0
    confusion: Counter = Counter()
    errors = []
    for example in examples:
        decision = router.classify(example["text"])
        gold = example["primary"] if example["is_request"] else NONE
        predicted = decision.primary
        confusion[(gold, predicted)] += 1
        request_right += decision.is_request == example["is_request"]
        if example["is_request"]:
            requests += 1
            primary_right += predicted == gold
            if predicted == gold:
                also_right += set(decision.also) == set(example["also"])
        if example["urgency"] == "urgent":
            urgent_gold += 1
            urgent_found += decision.urgency == "urgent"
        else:
            calm_gold += 1
            false_alarms += decision.urgency == "urgent"
        if predicted != gold or decision.urgency != example["urgency"] or set(decision.also) != set(example["also"]):
            errors.append((example, decision))
    counts: Counter = Counter(
        total=len(examples),
        request_right=request_right,
        primary_right=primary_right,
        requests=requests,
        also_right=also_right,
        urgent_gold=urgent_gold,
        urgent_found=urgent_found,
        calm_gold=calm_gold,
        false_alarms=false_alarms,
    )
    return counts, confusion, errors


def _scores(counted: tuple[Counter, Counter, list[tuple[dict, Decision]]]) -> Scores:
    counts, confusion, errors = counted
    codes = sorted({g for g, _ in confusion} | {p for _, p in confusion})
    per_department = {}
    for code in codes:
        tp = confusion[(code, code)]
        predicted_n = sum(n for (g, p), n in confusion.items() if p == code)
        gold_n = sum(n for (g, p), n in confusion.items() if g == code)
        per_department[code] = (tp / predicted_n if predicted_n else 0.0, tp / gold_n if gold_n else 0.0, gold_n)
    c = counts
    return Scores(
        total=c["total"],
        request_accuracy=c["request_right"] / c["total"] if c["total"] else 0.0,
        primary_accuracy=c["primary_right"] / c["requests"] if c["requests"] else 0.0,
        also_exact=c["also_right"] / c["primary_right"] if c["primary_right"] else 0.0,
        urgent_recall=c["urgent_found"] / c["urgent_gold"] if c["urgent_gold"] else 1.0,
        false_alarm_rate=c["false_alarms"] / c["calm_gold"] if c["calm_gold"] else 0.0,
        per_department=per_department,
        confusion=confusion,
        errors=errors,
        counts=counts,
    )
