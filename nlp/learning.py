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
MIN_MESSAGES = 2       # a piece seen in one message only says nothing general
URGENCY_C = 0.3        # scikit-learn's C: smaller keeps weights smaller and the model plainer
DEPARTMENT_C = 1.0
REQUEST_C = 1.0
KEEP_FROM = 0.01       # urgency weights smaller than this are left out of the file (they change no decision)
KEEP_DEPARTMENT_FROM = 0.05   # twenty weights a piece: only the ones that matter are kept


@dataclass(frozen=True)
class Example:
    text: str
    urgent: bool
    department: str | None   # the primary department of a request; None for no request


def _fit(texts: list[str], labels: list, c: float, balanced: bool, progress: Callable[[str], None]):
    try:
        from sklearn.feature_extraction.text import CountVectorizer
        from sklearn.linear_model import LogisticRegression
    except ImportError:
        raise RuntimeError("learning needs scikit-learn: pip install 'gridwhistle[learn]'") from None
    vectoriser = CountVectorizer(analyzer=lambda text: sorted(ngrams(normalise_word(text), NGRAM_SIZES)),
                                 min_df=MIN_MESSAGES, binary=True)
    matrix = vectoriser.fit_transform(texts)
    progress(f"{matrix.shape[1]} pieces seen in {MIN_MESSAGES}+ messages; fitting")
    model = LogisticRegression(C=c, class_weight="balanced" if balanced else None, max_iter=5000)
    model.fit(matrix, labels)
    return vectoriser.get_feature_names_out(), model


def learn_urgency(examples: Iterable[Example], progress: Callable[[str], None] = lambda _: None) -> BinaryModel:
    examples = list(examples)
    urgent = sum(e.urgent for e in examples)
    if urgent == 0 or urgent == len(examples):
        raise ValueError(f"the examples need both urgent and calm messages ({urgent} of {len(examples)} urgent)")
    progress(f"urgency: {len(examples)} messages, {urgent} urgent")
    pieces, model = _fit([e.text for e in examples], [e.urgent for e in examples], URGENCY_C, True, progress)
    weights = {p: round(float(w), 4) for p, w in zip(pieces, model.coef_[0]) if abs(w) >= KEEP_FROM}
    progress(f"urgency: {len(weights)} pieces kept")
    about = {"messages": len(examples), "urgent": urgent, "C": URGENCY_C, "min_messages": MIN_MESSAGES}
    return BinaryModel(round(float(model.intercept_[0]), 4), dict(sorted(weights.items())), NGRAM_SIZES, about,
                       URGENCY_KIND)


def learn_requests(examples: Iterable[Example], progress: Callable[[str], None] = lambda _: None) -> BinaryModel:
    examples = list(examples)
    requests = sum(e.department is not None for e in examples)
    if requests == 0 or requests == len(examples):
        raise ValueError(f"the examples need both requests and other messages ({requests} of {len(examples)} requests)")
    progress(f"requests: {len(examples)} messages, {requests} requests")
    pieces, model = _fit([e.text for e in examples], [e.department is not None for e in examples], REQUEST_C, False,
                         progress)
    weights = {p: round(float(w), 4) for p, w in zip(pieces, model.coef_[0]) if abs(w) >= KEEP_FROM}
    progress(f"requests: {len(weights)} pieces kept")
    about = {"messages": len(examples), "requests": requests, "C": REQUEST_C, "min_messages": MIN_MESSAGES}
    return BinaryModel(round(float(model.intercept_[0]), 4), dict(sorted(weights.items())), NGRAM_SIZES, about,
                       REQUEST_KIND)


def learn_departments(examples: Iterable[Example], progress: Callable[[str], None] = lambda _: None) -> DepartmentModel:
    requests = [e for e in examples if e.department]
    counts = Counter(e.department for e in requests)
    if len(counts) < 2:
        raise ValueError(f"the requests need two or more departments ({len(requests)} requests, {len(counts)} departments)")
    progress(f"departments: {len(requests)} requests over {len(counts)} departments")
    pieces, model = _fit([e.text for e in requests], [e.department for e in requests], DEPARTMENT_C, False, progress)
    departments = tuple(str(c) for c in model.classes_)
    weights = {}
    for column, piece in enumerate(pieces):
        kept = tuple((row, round(float(model.coef_[row][column]), 3)) for row in range(len(departments))
                     if abs(model.coef_[row][column]) >= KEEP_DEPARTMENT_FROM)
        if kept:
            weights[piece] = kept
    progress(f"departments: {len(weights)} pieces kept")
    about = {"requests": len(requests), "per_department": dict(sorted(counts.items())), "C": DEPARTMENT_C,
             "min_messages": MIN_MESSAGES}
    return DepartmentModel(departments, tuple(round(float(b), 4) for b in model.intercept_), weights, NGRAM_SIZES,
                           about)
