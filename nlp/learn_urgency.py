"""Learn the urgency model (nlp/learned.py) from labelled messages: a logistic regression over which
one-to-three character pieces a message contains, urgent against the rest.

scikit-learn does the fitting (the `learn` extra); the result is plain weights, so the service needs
nothing beyond the standard library to apply them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import MappingProxyType

from nlp.learned import UrgencyModel, ngrams
from nlp.lexicon import normalise_word

NGRAM_SIZES = (1, 3)
MIN_MESSAGES = 2       # a piece seen in one message only says nothing general
REGULARISATION = 0.3   # scikit-learn's C: smaller keeps weights smaller and the model plainer
KEEP_FROM = 0.01       # weights smaller than this are dropped from the file (they change no decision)


@dataclass(frozen=True)
class Example:
    text: str
    urgent: bool


def learn(examples: Iterable[Example], progress: Callable[[str], None] = lambda _: None) -> UrgencyModel:
    try:
        from sklearn.feature_extraction.text import CountVectorizer
        from sklearn.linear_model import LogisticRegression
    except ImportError:
        raise RuntimeError("learning needs scikit-learn: pip install 'gridwhistle[learn]'") from None
    examples = list(examples)
    urgent = sum(e.urgent for e in examples)
    if urgent == 0 or urgent == len(examples):
        raise ValueError(f"the examples need both urgent and calm messages ({urgent} of {len(examples)} urgent)")
    progress(f"{len(examples)} messages, {urgent} urgent")
    vectoriser = CountVectorizer(analyzer=lambda text: sorted(ngrams(normalise_word(text), NGRAM_SIZES)), min_df=MIN_MESSAGES,
                                 binary=True)
    matrix = vectoriser.fit_transform([e.text for e in examples])
    progress(f"{matrix.shape[1]} pieces seen in {MIN_MESSAGES}+ messages; fitting")
    model = LogisticRegression(C=REGULARISATION, class_weight="balanced", max_iter=5000)
    model.fit(matrix, [e.urgent for e in examples])
    weights = {gram: round(float(w), 4) for gram, w in zip(vectoriser.get_feature_names_out(), model.coef_[0])
               if abs(w) >= KEEP_FROM}
    progress(f"{len(weights)} pieces kept")
    about = {"messages": len(examples), "urgent": urgent, "C": REGULARISATION, "min_messages": MIN_MESSAGES}
    return UrgencyModel(round(float(model.intercept_[0]), 4), dict(sorted(weights.items())),
                        NGRAM_SIZES, MappingProxyType(about))
