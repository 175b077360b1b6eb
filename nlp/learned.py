"""A learned second signal for urgency: weights of character n-grams, learned from labelled messages.

The routing table's urgency lists catch a danger told in the words someone listed; a villager often
tells it in others (老爷子出去溜达到现在没回来 外头零下二十多). This model reads every one-to-three
character piece of the message, adds up each piece's learned weight and turns the sum into a
probability. The router asks it only about what the table left calm (see [learned] in the table).

Pure and small: the weights are data (config/urgency_model.json, written by
`gridwhistle lexicon learn-urgency`); applying them needs no library.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

from config.errors import ConfigError

KIND = "gridwhistle learned urgency"


def ngrams(text: str, sizes: tuple[int, int]) -> set[str]:
    """The distinct character n-grams of a normalised text (nlp.lexicon.normalise_word); runs of spaces
    count as one space."""
    text = " ".join(text.split())
    found: set[str] = set()
    for n in range(sizes[0], sizes[1] + 1):
        found.update([text[i:i + n] for i in range(len(text) - n + 1)])
    return found


@dataclass(frozen=True)
class UrgencyModel:
    bias: float
    weights: dict[str, float]    # read only; a plain dict because its .get is the hot path
    sizes: tuple[int, int]
    about: Mapping[str, Any]   # what it was trained on, for people (never read by the router)

    def probability(self, text: str) -> float:
        """How likely a normalised text (nlp.lexicon.normalise_word) tells of a present danger, 0–1."""
        z = self.bias + sum(map(self.weights.get, ngrams(text, self.sizes), repeat(0.0)))
        return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))

    def reasons(self, text: str, count: int = 3) -> list[str]:
        """The pieces of the text that pushed hardest towards urgent, strongest first (for explanations)."""
        grams = sorted(ngrams(text, self.sizes), key=lambda g: (-self.weights.get(g, 0.0), -len(g), g))
        return [g.strip() for g in grams[:count] if self.weights.get(g, 0.0) > 0 and g.strip()]

    def as_json(self) -> dict:
        return {"kind": KIND, "ngram_sizes": list(self.sizes), "bias": self.bias, "about": dict(self.about),
                "weights": dict(self.weights)}


def load_model(path: str | Path) -> UrgencyModel:
    """Read a model file; a broken one raises ConfigError naming the file and the key."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the urgency model: {exc.strerror or exc}") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}:{exc.lineno}: not JSON: {exc.msg}") from None
    return model_from_json(data, str(path))


def model_from_json(data: Any, source: str) -> UrgencyModel:
    def fail(key: str, problem: str) -> ConfigError:
        return ConfigError(f"{source}: {key}: {problem}")

    if not isinstance(data, dict) or data.get("kind") != KIND:
        raise fail("kind", f"not an urgency model (expected kind {KIND!r}; write one with "
                           "`gridwhistle lexicon learn-urgency`)")
    sizes = data.get("ngram_sizes")
    if (not isinstance(sizes, list) or len(sizes) != 2 or not all(isinstance(n, int) and not isinstance(n, bool)
                                                                  for n in sizes) or not 1 <= sizes[0] <= sizes[1] <= 8):
        raise fail("ngram_sizes", f"must be [low, high] with 1 <= low <= high <= 8, not {sizes!r}")
    bias = data.get("bias")
    if isinstance(bias, bool) or not isinstance(bias, (int, float)) or not math.isfinite(bias):
        raise fail("bias", f"must be a number, not {bias!r}")
    weights = data.get("weights")
    if not isinstance(weights, dict) or not weights:
        raise fail("weights", "must be a non-empty object of n-gram → weight")
    for gram, weight in weights.items():
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not math.isfinite(weight):
            raise fail(f"weights[{gram!r}]", f"must be a number, not {weight!r}")
    about = data.get("about", {})
    if not isinstance(about, dict):
        raise fail("about", "must be an object")
    return UrgencyModel(float(bias), {g: float(w) for g, w in weights.items()},
                        (sizes[0], sizes[1]), MappingProxyType(about))
