"""Learned second signals: weights of character pieces, learned from labelled messages.

The routing table catches what is told in the words someone listed; villagers often tell it in
others (老爷子出去溜达到现在没回来 外头零下二十多). These models read every one-to-three character
piece of a message and add up each piece's learned weight:

- BinaryModel: one sum, turned into a probability — that the message asks for something (kind
  "request"), or that it tells of a present danger (kind "urgency").
- DepartmentModel: one sum per department, turned into the probability of each department.

The router consults them as [learned] in the table says. Pure and small: the weights are data
(config/routing/*_model.json, written by `gridwhistle lexicon learn`); applying them needs no library.
"""

from __future__ import annotations

import json
import math
import sys
from array import array
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import repeat
from operator import add
from pathlib import Path
from typing import Any, Final, Literal, overload

from config.errors import ConfigError

URGENCY_KIND: Final = "gridwhistle learned urgency"
REQUEST_KIND: Final = "gridwhistle learned request"
DEPARTMENT_KIND: Final = "gridwhistle learned department"
# The kind decides the class of the model read (the same strings as above, for the type checker).
BinaryKind = Literal["gridwhistle learned urgency", "gridwhistle learned request"]
DepartmentKind = Literal["gridwhistle learned department"]


def ngrams(text: str, sizes: tuple[int, int]) -> set[str]:
    """The distinct character n-grams of a normalised text (nlp.lexicon.normalise_word); runs of spaces
    count as one space."""
    text = " ".join(text.split())
    found: set[str] = set()
    grams: Iterable[str] = text  # the pieces of n characters, each made from one of n - 1 and the next character
    for n in range(1, sizes[1] + 1):
        if n > 1:
            grams = list(map(add, grams, text[n - 1 :]))
        if n >= sizes[0]:
            found.update(grams)
    return found


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))


@dataclass(frozen=True)
class BinaryModel:
    bias: float
    weights: dict[str, float]  # read only; a plain dict because its .get is the hot path
    sizes: tuple[int, int]
    about: Mapping[str, Any]  # what it was learned from, for people (never read by the router)
    kind: str = URGENCY_KIND

    def probability(self, pieces: set[str]) -> float:
        """How likely a message with these pieces (`ngrams`) is of the kind (urgent, a request), 0–1."""
        return _sigmoid(self.bias + sum(map(self.weights.get, pieces, repeat(0.0))))

    @staticmethod
    def probability_of(logit: float) -> float:
        """The probability of a sum of weights and bias (LearnedSums)."""
        return _sigmoid(logit)

    def reasons(self, pieces: set[str], count: int = 3) -> list[str]:
        """The pieces that pushed hardest towards the kind, strongest first (for explanations)."""
        return _strongest(pieces, lambda piece: self.weights.get(piece, 0.0), count)

    def as_json(self) -> dict:
        return {
            "kind": self.kind,
            "ngram_sizes": list(self.sizes),
            "bias": self.bias,
            "about": dict(self.about),
            "weights": dict(self.weights),
        }


@dataclass(frozen=True)
class DepartmentModel:
    departments: tuple[str, ...]
    bias: tuple[float, ...]
    weights: dict[str, tuple[tuple[int, float], ...]]  # piece -> (department index, weight) …, read only
    sizes: tuple[int, int]
    about: Mapping[str, Any]

    def best(self, pieces: set[str]) -> tuple[str, float]:
        """The likeliest department for a message with these pieces (`ngrams`), and its probability."""
        return self.ranked(pieces)[0]

    def ranked(self, pieces: set[str]) -> list[tuple[str, float]]:
        """Every department with its probability for a message with these pieces, likeliest first."""
        logits = list(self.bias)
        for found in map(self.weights.__getitem__, pieces & self.weights.keys()):  # only pieces with weights
            for index, weight in found:
                logits[index] += weight
        return self.ranked_logits(logits)

    def ranked_logits(self, logits: list[float]) -> list[tuple[str, float]]:
        """`ranked` from the departments' sums of weights and bias (LearnedSums)."""
        top = max(logits)
        exps = [math.exp(z - top) for z in logits]
        total = sum(exps)
        return sorted(((code, e / total) for code, e in zip(self.departments, exps, strict=True)), key=lambda c: -c[1])

    def reasons(self, pieces: set[str], department: str, count: int = 3) -> list[str]:
        """The pieces that pushed hardest towards a department, strongest first (for explanations)."""
        index = self.departments.index(department)
        return _strongest(pieces, lambda p: next((w for i, w in self.weights.get(p, ()) if i == index), 0.0), count)

    def as_json(self) -> dict:
        weights = {piece: {self.departments[i]: w for i, w in found} for piece, found in self.weights.items()}
        return {
            "kind": DEPARTMENT_KIND,
            "ngram_sizes": list(self.sizes),
            "departments": list(self.departments),
            "bias": list(self.bias),
            "about": dict(self.about),
            "weights": weights,
        }


class LearnedSums:
    """The three models' sums for one message in one pass. Each piece's weights in every model (request,
    urgency, then one per department) are packed into ONE Python integer: a field of FIELD bits per column
    holding the weight in fixed point (WEIGHT_SCALE) plus OFFSET, so that no field goes negative, and above
    them a field counting the piece once. A message's sums are then one C-level `sum` of the integers of
    its pieces (pieces no model knows add 0), cut into columns by `array`; the count says how many offsets
    to take away. Integer sums are exact, so the result does not depend on the order of the pieces; the
    fixed point rounds each weight by less than 3e-8. Each column starts at its model's bias, so each sum
    is the one the model alone makes. Read only once built, so safe from several threads."""

    def __init__(
        self, request: BinaryModel | None, urgency: BinaryModel | None, department: DepartmentModel | None
    ) -> None:
        self._starts = (
            request.bias if request else 0.0,
            urgency.bias if urgency else 0.0,
            *(department.bias if department else ()),
        )
        columns = len(self._starts)
        self._bytes = FIELD // 8 * (columns + 1)  # the columns and the count
        self._rows = _packed_rows(
            request.weights if request else {},
            urgency.weights if urgency else {},
            department.weights if department else {},
            columns,
        )

    def sums(self, pieces: set[str]) -> list[float]:
        """[request logit, urgency logit, department logits …] for a message with these pieces (`ngrams`)."""
        total = sum(map(self._rows.get, pieces, repeat(0)))
        if not total:
            return list(self._starts)
        fields = array("Q", total.to_bytes(self._bytes, "little"))  # the columns, cut apart by C code
        if _BIG_ENDIAN:
            fields.byteswap()
        offset = OFFSET * fields[-1]  # the count of pieces summed
        return [(field - offset) / WEIGHT_SCALE + start for field, start in zip(fields, self._starts, strict=False)]


# LearnedSums' packing: weights in fixed point with 24 fractional bits (rounded by less than 3e-8), each
# field offset by 2**40 so that it stays positive; a field of 64 bits (an unsigned machine word, so the
# fields are cut apart by `array`; little-endian, as `to_bytes` writes them) holds the sum of up to 2**22
# pieces of weights below 2**15 in size.
WEIGHT_SCALE: Final = 1 << 24
OFFSET: Final = 1 << 40
FIELD: Final = 64
_LARGEST_WEIGHT: Final = float(1 << 15)
_BIG_ENDIAN: Final = sys.byteorder == "big"  # array reads machine words in the machine's order


def _packed_rows(
    request: dict[str, float],
    urgency: dict[str, float],
    department: dict[str, tuple[tuple[int, float], ...]],
    columns: int,
) -> dict[str, int]:
    """piece -> its weights packed into one integer (LearnedSums), for every piece any model knows: each
    starts with every column's offset and a count of one, and each model adds its weights in its columns
    (one addition per weight: a few hundredths of a second for the shipped models)."""
    empty = sum(OFFSET << (FIELD * column) for column in range(columns)) + (1 << (FIELD * columns))
    rows = dict.fromkeys(request.keys() | urgency.keys() | department.keys(), empty)
    largest = max(
        (abs(w) for w in (*request.values(), *urgency.values(), *(w for f in department.values() for _, w in f))),
        default=0.0,
    )
    if largest >= _LARGEST_WEIGHT:
        raise ValueError(f"a learned weight of {largest} is too large to sum (limit 2**15)")
    for piece, weight in request.items():
        rows[piece] += round(weight * WEIGHT_SCALE)
    for piece, weight in urgency.items():
        rows[piece] += round(weight * WEIGHT_SCALE) << FIELD
    for piece, found in department.items():
        for index, weight in found:
            rows[piece] += round(weight * WEIGHT_SCALE) << (FIELD * (2 + index))
    return rows


def _numbers(weights: dict[str, Any], number: Any) -> dict[str, float]:
    """piece -> weight as floats; the key of the first bad weight is formatted only when there is one
    (formatting one per weight costs a tenth of a second on start-up)."""
    values = weights.values()
    if all(type(w) is float or type(w) is int for w in values) and all(map(math.isfinite, values)):
        return {piece: float(w) for piece, w in weights.items()}
    return {piece: number(w, f"weights[{piece!r}]") for piece, w in weights.items()}


def _strongest(pieces: set[str], weight: Any, count: int) -> list[str]:
    ranked = sorted(pieces, key=lambda p: (-weight(p), -len(p), p))
    return [p.strip() for p in ranked[:count] if weight(p) > 0 and p.strip()]


@overload
def load_model(path: str | Path, kind: BinaryKind) -> BinaryModel: ...


@overload
def load_model(path: str | Path, kind: DepartmentKind) -> DepartmentModel: ...


@overload
def load_model(path: str | Path, kind: str) -> BinaryModel | DepartmentModel: ...


def load_model(path: str | Path, kind: str) -> BinaryModel | DepartmentModel:
    """Read a model file of the given kind; a broken one raises ConfigError naming the file and the key."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the learned model: {exc.strerror or exc}") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}:{exc.lineno}: not JSON: {exc.msg}") from None
    return model_from_json(data, str(path), kind)


def model_from_json(data: Any, source: str, kind: str) -> BinaryModel | DepartmentModel:
    def fail(key: str, problem: str) -> ConfigError:
        return ConfigError(f"{source}: {key}: {problem}")

    def number(value: Any, key: str) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise fail(key, f"must be a number, not {value!r}")
        return float(value)

    if not isinstance(data, dict) or data.get("kind") != kind:
        raise fail("kind", f"not a model of kind {kind!r} (write one with `gridwhistle lexicon learn`)")
    sizes = data.get("ngram_sizes")
    if (
        not isinstance(sizes, list)
        or len(sizes) != 2
        or not all(isinstance(n, int) and not isinstance(n, bool) for n in sizes)
        or not 1 <= sizes[0] <= sizes[1] <= 8
    ):
        raise fail("ngram_sizes", f"must be [low, high] with 1 <= low <= high <= 8, not {sizes!r}")
    weights = data.get("weights")
    if not isinstance(weights, dict) or not weights:
        raise fail("weights", "must be a non-empty object of piece → weight")
    about = data.get("about", {})
    if not isinstance(about, dict):
        raise fail("about", "must be an object")
    if kind in (URGENCY_KIND, REQUEST_KIND):
        return BinaryModel(
            number(data.get("bias"), "bias"),
            _numbers(weights, number),
            (sizes[0], sizes[1]),
            about,
            kind,
        )
    departments = data.get("departments")
    if not isinstance(departments, list) or len(departments) < 2 or not all(isinstance(d, str) for d in departments):
        raise fail("departments", "must list two or more department codes")
    bias = data.get("bias")
    if not isinstance(bias, list) or len(bias) != len(departments):
        raise fail("bias", f"must be a list of {len(departments)} numbers, one per department")
    index = {code: i for i, code in enumerate(departments)}
    sparse = {}
    for piece, found in weights.items():
        if not isinstance(found, dict):
            raise fail(f"weights[{piece!r}]", "must be an object of department → weight")
        for code in found:
            if code not in index:
                raise fail(f"weights[{piece!r}]", f"unknown department {code!r} (not in departments)")
        if not all(type(w) is float or type(w) is int for w in found.values()):
            for code, w in found.items():
                number(w, f"weights[{piece!r}][{code!r}]")  # names the first bad one
        elif not all(map(math.isfinite, found.values())):
            for code, w in found.items():
                number(w, f"weights[{piece!r}][{code!r}]")
        sparse[piece] = tuple((index[code], float(w)) for code, w in found.items())
    return DepartmentModel(
        tuple(departments), tuple(number(b, "bias") for b in bias), sparse, (sizes[0], sizes[1]), about
    )
