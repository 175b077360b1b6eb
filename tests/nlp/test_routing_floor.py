"""A floor under the routing figures, so an edit of config/routing.toml cannot silently break routing.

The floors sit a little below what the shipped table reaches on the two labelled sets in
bench/data/ (see bench/route_eval.py); raise them when the table gets better.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from nlp.evaluation import evaluate, load_examples
from nlp.router import Router

DATA = Path(__file__).resolve().parents[2] / "bench" / "data"


@pytest.mark.parametrize("name", ["devset.jsonl", "holdout.jsonl", "blind.jsonl", "blind2.jsonl", "blind3.jsonl", "blind4.jsonl", "blind5.jsonl", "blind6.jsonl",
                                  "blind7.jsonl", "blind8.jsonl", "blind9.jsonl", "blind10.jsonl", "blind11.jsonl",
                                  "blind12.jsonl", "blind13.jsonl", "blind14.jsonl", "blind15.jsonl",
                                  "blind16.jsonl", "blind17.jsonl", "blind18.jsonl", "blind19.jsonl",
                                  "blind20.jsonl", "blind21.jsonl", "blind22.jsonl", "blind23.jsonl",
                                  "blind24.jsonl", "blind25.jsonl", "blind26.jsonl", "blind27.jsonl",
                                  "blind28.jsonl", "blind29.jsonl", "blind30.jsonl", "blind31.jsonl"])
def test_routing_stays_above_its_floor(router: Router, name: str) -> None:
    examples = load_examples(DATA / name)
    scores = evaluate(router, examples)
    assert scores.total >= 50
    assert scores.request_accuracy >= 0.97
    assert scores.primary_accuracy >= 0.92
    assert scores.urgent_recall >= 0.95
    assert scores.false_alarm_rate <= 0.02


def test_every_department_is_exercised_by_the_development_set(router: Router) -> None:
    examples = load_examples(DATA / "devset.jsonl")
    labelled = {e["primary"] for e in examples if e["is_request"]}
    assert labelled == {d.code for d in router.table.departments}
    assert sum(not e["is_request"] for e in examples) >= 100          # hard negatives
    assert sum(e["urgency"] == "urgent" for e in examples) >= 25
