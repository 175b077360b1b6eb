"""Learn the models of nlp/learned.py from labelled messages: logistic regressions over which one-to-three
character pieces a message contains — a request or not, urgent or not, and (for requests) which department.

scikit-learn does the fitting (the `learn` extra); the result is plain weights, so the service needs
nothing beyond the standard library to apply them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from nlp.learned import REQUEST_KIND, URGENCY_KIND, BinaryModel, DepartmentModel, ngrams
from nlp.lexicon import normalise_word

NGRAM_SIZES = (1, 3)
MIN_MESSAGES = 2  # a piece seen in one message only says nothing general
URGENCY_C = 0.3  # scikit-learn's C: smaller keeps weights smaller and the model plainer
DEPARTMENT_C = 1.0
REQUEST_C = 1.0
KEEP_FROM = 0.01  # urgency weights smaller than this are left out of the file (they change no decision)
KEEP_DEPARTMENT_FROM = 0.05  # twenty weights a piece: only the ones that matter are kept


@dataclass(frozen=True)
class Example:
    text: str
    urgent: bool
    department: str | None  # the primary department of a request; None for no request


def _fit(texts: list[str], labels: list, c: float, balanced: bool, progress: Callable[[str], None]):
    try:
        from sklearn.feature_extraction.text import CountVectorizer
        from sklearn.linear_model import LogisticRegression
    except ImportError:
        raise RuntimeError("learning needs scikit-learn: pip install 'gridwhistle[learn]'") from None
    vectoriser = CountVectorizer(
        analyzer=lambda text: sorted(ngrams(normalise_word(text), NGRAM_SIZES)), min_df=MIN_MESSAGES, binary=True
    )
    matrix = vectoriser.fit_transform(texts)
    progress(f"{matrix.shape[1]} pieces seen in {MIN_MESSAGES}+ messages; fitting")
    model = LogisticRegression(C=c, class_weight="balanced" if balanced else None, max_iter=5000)
    model.fit(matrix, labels)
    return vectoriser.get_feature_names_out(), model


def learn_urgency(examples: Iterable[Example], progress: Callable[[str], None] = lambda _: None) -> BinaryModel:
    examples = list(examples)
    return _learn_binary(
        examples, [e.urgent for e in examples], URGENCY_KIND, ("urgency", "urgent", "calm"), URGENCY_C, True, progress
    )


def learn_requests(examples: Iterable[Example], progress: Callable[[str], None] = lambda _: None) -> BinaryModel:
    examples = list(examples)
    return _learn_binary(
        examples,
        [e.department is not None for e in examples],
        REQUEST_KIND,
        ("requests", "requests", "other"),
        REQUEST_C,
        False,
        progress,
    )


def _learn_binary(
    examples: list[Example],
    labels: list[bool],
    kind: str,
    names: tuple[str, str, str],
    c: float,
    balanced: bool,
    progress: Callable[[str], None],
) -> BinaryModel:
    """One yes/no model; `names` are (what is learned, the yes, the no) for messages and `about`."""
    topic, yes, no = names
    found = sum(labels)
    if found == 0 or found == len(examples):
        raise ValueError(f"the examples need both {yes} and {no} messages ({found} of {len(examples)} {yes})")
    progress(f"{topic}: {len(examples)} messages, {found} {yes}")
    pieces, model = _fit([e.text for e in examples], labels, c, balanced, progress)
    weights = {p: round(float(w), 4) for p, w in zip(pieces, model.coef_[0], strict=False) if abs(w) >= KEEP_FROM}
    progress(f"{topic}: {len(weights)} pieces kept")
    about = {"messages": len(examples), yes: found, "C": c, "min_messages": MIN_MESSAGES}
    return BinaryModel(round(float(model.intercept_[0]), 4), dict(sorted(weights.items())), NGRAM_SIZES, about, kind)


def learn_departments(examples: Iterable[Example], progress: Callable[[str], None] = lambda _: None) -> DepartmentModel:
    requests = [e for e in examples if e.department]
    counts = Counter(e.department for e in requests)
    if len(counts) < 2:
        raise ValueError(
            f"the requests need two or more departments ({len(requests)} requests, {len(counts)} departments)"
        )
    progress(f"departments: {len(requests)} requests over {len(counts)} departments")
    pieces, model = _fit([e.text for e in requests], [e.department for e in requests], DEPARTMENT_C, False, progress)
    departments = tuple(str(c) for c in model.classes_)
    weights = {}
    for column, piece in enumerate(pieces):
        kept = tuple(
            (row, round(float(model.coef_[row][column]), 3))
            for row in range(len(departments))
            if abs(model.coef_[row][column]) >= KEEP_DEPARTMENT_FROM
        )
        if kept:
            weights[piece] = kept
    progress(f"departments: {len(weights)} pieces kept")
    about = {
        "requests": len(requests),
        "per_department": dict(sorted(counts.items())),
        "C": DEPARTMENT_C,
        "min_messages": MIN_MESSAGES,
    }
    return DepartmentModel(
        departments, tuple(round(float(b), 4) for b in model.intercept_), weights, NGRAM_SIZES, about
    )
