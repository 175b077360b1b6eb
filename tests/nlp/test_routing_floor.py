"""A floor under the routing figures, so an edit of the table in config/routing/ cannot silently break routing.

The floors sit a little below what the shipped table reaches on every labelled set in
bench/data/ (see bench/route_eval.py); raise them when the table gets better.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from nlp.evaluation import evaluate, load_examples
from nlp.router import Router

DATA = Path(__file__).resolve().parents[2] / "bench" / "data"


# Every labelled set in bench/data, so a new one is covered the day it is committed.
SETS = sorted(path.name for path in DATA.glob("*.jsonl"))
# blind34 and blind51 are full of urgent rescues (people trapped in a cellar, a grain pile, a wreck) whose labels
# split between emergency (the rescue) and health (the care); other sets label the same cases the other way.
PRIMARY_FLOOR = {"blind34.jsonl": 0.88, "blind51.jsonl": 0.88}


@pytest.mark.parametrize("name", SETS)
def test_routing_stays_above_its_floor(router: Router, name: str) -> None:
    examples = load_examples(DATA / name)
    scores = evaluate(router, examples)
    assert scores.total >= 35  # the smallest sets hold one writer habit each (blind65–69)
    assert scores.request_accuracy >= 0.97
    assert scores.primary_accuracy >= PRIMARY_FLOOR.get(name, 0.92)
    assert scores.urgent_recall >= 0.95
    assert scores.false_alarm_rate <= 0.02


def test_every_department_is_exercised_by_the_development_set(router: Router) -> None:
    examples = load_examples(DATA / "devset.jsonl")
    labelled = {e["primary"] for e in examples if e["is_request"]}
    assert labelled == {d.code for d in router.table.departments}
    assert sum(not e["is_request"] for e in examples) >= 100  # hard negatives
    assert sum(e["urgency"] == "urgent" for e in examples) >= 25
