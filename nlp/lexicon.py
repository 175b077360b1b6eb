"""Load and validate a routing table (a folder such as config/routing/, or one file): every mistake
names file:line and key.

The table is data a cadre edits, so a mistake must point at the line to fix rather than raise a
KeyError somewhere in the router. Reading the files is nlp/table_files.py's job; this module checks
what they say.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from config.departments import DEPARTMENT_CODES
from config.errors import ConfigError
from nlp.table_files import KeyPath, TableSource, read_source, source_of_text

URGENCY_LEVELS = ("normal", "urgent")
MAX_WEIGHT = 20.0

_TOP_KEYS = {"scoring", "learned", "cues", "urgency", "departments", "sets", "rules", "synonyms", "masks"}
_LEARNED_KEYS = {
    "request_model",
    "request_above",
    "no_request_below",
    "urgency_model",
    "urgent_from",
    "request_from",
    "department_model",
    "department_from",
}
# In a rule's `all` or `none` lists, "@past" stands for every word of [sets.past] (an @ before Chinese, as in
# the WeCom mention @所有人, is a word like any other).
_SET_REFERENCE = re.compile(r"@([a-z_]+)")
_MASK_KEYS = {"words"}
_MASKS_PART_KEYS = {"words", "labels"}  # [masks] also lists the labels of personal details
_SCORING_KEYS = {
    "request_threshold",
    "evidence_cap",
    "urgency_threshold",
    "urgency_evidence",
    "also_floor",
    "veto",
    "long_message",
    "default_department",
}
_GROUP_KEYS = {"weight", "words"}
_CUE_KEYS = _GROUP_KEYS | {"at_end", "vetoes"}
_URGENCY_KEYS = _GROUP_KEYS | {"anywhere"}
_DEPARTMENT_KEYS = {"name", "terms"}
_RULE_KEYS = {
    "name",
    "all",
    "none",
    "if_primary",
    "if_scored",
    "primary",
    "also",
    "demote",
    "urgency",
    "request",
    "settled",
}


@dataclass(frozen=True)
class WordGroup:
    """Synonyms sharing one weight, named in the table (`[cues.ask]`, `[departments.power.terms.outage]`;
    a department group written as an unnamed [[…terms]] goes by its first word)."""

    name: str
    weight: float
    words: tuple[str, ...]
    at_end: bool = False  # counts only as the message's last word (a spoken question: 能办不)
    anywhere: bool = False  # counts wherever it is written, even inside another word (血 in 满脸是血)
    vetoes: bool = False  # a cue list whose words can veto a request (notices, news, adverts — see [scoring] veto)

    @property
    def looked_up(self) -> bool:
        """Found by the matcher (rather than checked against the end of, or anywhere in, the text)."""
        return not (self.at_end or self.anywhere)


@dataclass(frozen=True)
class Department:
    code: str
    name: str
    groups: tuple[WordGroup, ...]


@dataclass(frozen=True)
class Rule:
    name: str
    all: tuple[tuple[str, ...], ...]
    none: tuple[str, ...] = ()
    if_primary: tuple[str, ...] = ()
    if_scored: tuple[str, ...] = ()
    primary: str | None = None
    also: tuple[str, ...] = ()
    demote: bool = False
    settled: bool = False  # the routing guide settles it: the learned department and request signals do not override
    urgency: str | None = None
    request: bool | None = None


@dataclass(frozen=True)
class Scoring:
    request_threshold: float = 3.0
    evidence_cap: float = 6.0
    urgency_threshold: float = 3.0
    urgency_evidence: float = 3.0  # how much a present danger counts towards "is a request"
    also_floor: float = 4.0  # score a department needs to be named as the programme in `also`
    long_message: float = 1000.0  # from this many characters, a message that asks weighs pulling-away cues half
    veto: float = 100.0  # cues of `vetoes = true` lists summing to -veto or less, and no ask: no request
    default_department: str = "village"


@dataclass(frozen=True)
class Learned:
    """[learned]: the learned signals (nlp/learned.py) and when the router believes them."""

    request_model: str | None = None  # a file in the table's folder; None: the table alone decides what is a request
    request_above: float = 0.8  # a message is a request from this learned probability on, whatever the table said
    no_request_below: float = 0.2  # … and no request below this one
    urgency_model: str | None = None  # a file in the table's folder; None: no learned urgency signal
    urgent_from: float = 0.7  # a request the table left calm is urgent from this probability
    request_from: float = 0.9  # a message the table left as no request is an urgent request from this one
    department_model: str | None = None  # a file in the table's folder; None: the table alone picks the department
    department_from: float = 0.5  # the learned department replaces the table's from this probability


@dataclass(frozen=True)
class RoutingTable:
    scoring: Scoring
    departments: tuple[Department, ...]
    cues: tuple[WordGroup, ...]
    urgency: tuple[WordGroup, ...]
    rules: tuple[Rule, ...]
    synonyms: tuple[tuple[str, str], ...] = ()  # (variant, canonical word)
    # Phrases whose inner characters are not the shorter words they contain: 怕是 ("probably") is
    # not 怕 ("afraid"), 血压 is not 血, 发烧 is not 烧. Shorter listed words inside them do not count.
    masks: tuple[str, ...] = ()
    learned: Learned = Learned()
    # Words that only introduce a personal detail (身份证号, 电话, 住址): blanked with the detail (rule 26).
    labels: tuple[str, ...] = ()

    def words(self) -> set[str]:
        """Every word the table mentions (for the tokenizer's user dictionary)."""
        found = {w for d in self.departments for g in d.groups if g.looked_up for w in g.words}
        found |= {w for g in (*self.cues, *self.urgency) if g.looked_up for w in g.words}
        for rule in self.rules:
            found |= {w for group in rule.all for w in group} | set(rule.none)
        return found | {variant for variant, _ in self.synonyms} | set(self.masks)

    def counts(self) -> dict[str, int]:
        return {
            "departments": len(self.departments),
            "keywords": sum(len(g.words) for d in self.departments for g in d.groups),
            "cue words": sum(len(g.words) for g in (*self.cues, *self.urgency)),
            "rules": len(self.rules),
            "synonyms": len(self.synonyms),
            "masks": len(self.masks),
        }


def load_table(path: str | Path) -> RoutingTable:
    """Read and validate a routing table folder or file; raise ConfigError("file:line: key: problem")."""
    source = read_source(path)
    return _Reader(source).table(source.data)


def parse_table(text: str, source: str = "<routing table>") -> RoutingTable:
    """A single-file table given as text."""
    parsed = source_of_text(text, source)
    return _Reader(parsed).table(parsed.data)


class _Reader:
    """Turns parsed TOML into a RoutingTable, failing at the first mistake with its file and line."""

    def __init__(self, source: TableSource) -> None:
        self.source = source

    def fail(self, path: KeyPath, problem: str, value: str | None = None) -> ConfigError:
        key = ".".join(f"[{p}]" if isinstance(p, int) else p for p in path).replace(".[", "[")
        return ConfigError(f"{self.source.where(path, value)}: {key}: {problem}")

    def table(self, data: dict[str, Any]) -> RoutingTable:
        self.unknown_keys(data, _TOP_KEYS, ())
        departments = self.departments(data.get("departments", {}))
        codes = {d.code for d in departments}
        scoring = self.scoring(data.get("scoring", {}), codes)
        cues = self.groups(data.get("cues", {}), ("cues",), _CUE_KEYS)
        urgency = self.groups(data.get("urgency", {}), ("urgency",), _URGENCY_KEYS)
        self.sets = self.word_sets(data.get("sets", {}))
        rules = self.rules(data.get("rules", []), codes)
        scored = {w for d in departments for g in d.groups if g.looked_up for w in g.words}
        scored |= {w for g in (*cues, *urgency) if g.looked_up for w in g.words}
        synonyms = self.synonyms(data.get("synonyms", {}), scored)
        return RoutingTable(
            scoring,
            departments,
            cues,
            urgency,
            rules,
            synonyms,
            self.masks(data.get("masks")),
            self.learned(data.get("learned", {})),
            self.labels(data.get("masks")),
        )

    def learned(self, data: Any) -> Learned:
        self.unknown_keys(data, _LEARNED_KEYS, ("learned",))
        fields: dict[str, Any] = {}
        for key in ("request_model", "urgency_model", "department_model"):
            if key in data:
                if not isinstance(data[key], str) or not data[key].strip():
                    raise self.fail(("learned", key), "must be the model file's name, in the table's folder")
                fields[key] = data[key]
        for key in ("request_above", "no_request_below", "urgent_from", "request_from", "department_from"):
            if key in data:
                fields[key] = self.number(data[key], ("learned", key), 0.0, 1.0)
        return Learned(**fields)

    def word_sets(self, data: Any) -> dict[str, tuple[str, ...]]:
        """[sets.NAME] words = [...]: word classes (the past, a person, now …) that rules share by "@NAME"."""
        if not isinstance(data, dict):
            raise self.fail(("sets",), "must be a table of word lists: [sets.NAME] words = [...]")
        sets = {}
        for name, body in data.items():
            self.unknown_keys(body, _MASK_KEYS, ("sets", name))
            if "words" not in body:
                raise self.fail(("sets", name), "missing key `words`")
            sets[name] = self.words(body["words"], ("sets", name, "words"))
        return sets

    def rule_words(self, value: Any, path: KeyPath) -> tuple[str, ...]:
        """A rule's word list with every "@NAME" replaced by the words of [sets.NAME]."""
        words: list[str] = []
        for word in self.words(value, path, allow_sets=True):
            reference = _SET_REFERENCE.fullmatch(word)
            if reference:
                name = reference.group(1)
                if name not in self.sets:
                    known = ", ".join("@" + n for n in self.sets) or "none defined"
                    raise self.fail(path, f"unknown word set {word!r} (known: {known})", word)
                words.extend(self.sets[name])
            else:
                words.append(word)
        return tuple(dict.fromkeys(words))  # a word both listed and in a set counts once

    def masks(self, data: Any) -> tuple[str, ...]:
        if data is None:
            return ()
        self.unknown_keys(data, _MASKS_PART_KEYS, ("masks",))
        if "words" not in data:
            raise self.fail(("masks",), "missing key `words`")
        return self.words(data["words"], ("masks", "words"))

    def labels(self, data: Any) -> tuple[str, ...]:
        """[masks] labels = [...]: the words that introduce a personal detail (optional)."""
        if data is None or "labels" not in data:
            return ()
        return self.words(data["labels"], ("masks", "labels"))

    def synonyms(self, data: Any, scored: set[str]) -> tuple[tuple[str, str], ...]:
        if not isinstance(data, dict):
            raise self.fail(("synonyms",), 'must be a table: "canonical word" = ["variant", …]')
        pairs: dict[str, str] = {}
        for canonical, variants in data.items():
            path = ("synonyms", canonical)
            if canonical not in scored:
                raise self.fail(path, f"{canonical!r} is not a word of any department, cue or urgency list")
            for variant in self.words(variants, path):
                if variant in scored:
                    raise self.fail(path, f"variant {variant!r} is itself a listed word; remove one", variant)
                if variant in pairs:
                    raise self.fail(path, f"variant {variant!r} already stands for {pairs[variant]!r}", variant)
                pairs[variant] = canonical
        return tuple(pairs.items())

    def unknown_keys(self, data: Any, allowed: set[str], path: KeyPath) -> None:
        if not isinstance(data, dict):
            raise self.fail(path, "must be a table")
        for key in data:
            if key not in allowed:
                raise self.fail((*path, key), f"unknown key; expected one of {', '.join(sorted(allowed))}")

    def number(self, value: Any, path: KeyPath, low: float, high: float) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise self.fail(path, f"must be a number, not {value!r}")
        if not low <= value <= high:
            raise self.fail(path, f"must be between {low:g} and {high:g}, not {value!r}")
        return float(value)

    def code(self, value: Any, path: KeyPath, codes: set[str]) -> str:
        if value not in codes:
            known = ", ".join(c for c in DEPARTMENT_CODES if c in codes)
            raise self.fail(
                path, f"unknown department {value!r} (known: {known})", value if isinstance(value, str) else None
            )
        return value

    def codes(self, value: Any, path: KeyPath, codes: set[str]) -> tuple[str, ...]:
        if not isinstance(value, list):
            raise self.fail(path, "must be a list of department codes")
        return tuple(self.code(item, path, codes) for item in value)

    def words(self, value: Any, path: KeyPath, allow_sets: bool = False) -> tuple[str, ...]:
        if not isinstance(value, list) or not value:
            raise self.fail(path, "must be a non-empty list of words")
        seen: set[str] = set()
        for word in value:
            if not isinstance(word, str) or not word.strip():
                raise self.fail(path, f"every word must be a non-empty string, not {word!r}")
            if word != word.strip() or any(ch.isspace() for ch in word):
                raise self.fail(path, f"word {word!r} contains spaces; list each word separately", word)
            if _SET_REFERENCE.fullmatch(word) and not allow_sets:
                raise self.fail(path, f"{word!r}: a word set can only be named in a rule's `all` or `none`", word)
            if word != normalise_word(word):
                raise self.fail(path, f"write {word!r} as {normalise_word(word)!r} (half-width, lower case)", word)
            if word in seen:
                raise self.fail(path, f"word {word!r} is listed twice", word)
            seen.add(word)
        return tuple(value)

    def scoring(self, data: Any, codes: set[str]) -> Scoring:
        self.unknown_keys(data, _SCORING_KEYS, ("scoring",))
        numbers: dict[str, float] = {}
        for key in ("request_threshold", "evidence_cap", "urgency_threshold", "urgency_evidence", "also_floor", "veto"):
            if key in data:
                numbers[key] = self.number(data[key], ("scoring", key), 0.0, 100.0)
        if "long_message" in data:
            numbers["long_message"] = self.number(data["long_message"], ("scoring", "long_message"), 1.0, 10000.0)
        department = Scoring.default_department
        if "default_department" in data:
            department = self.code(data["default_department"], ("scoring", "default_department"), codes)
        elif department not in codes:
            raise self.fail(("scoring",), f"default_department {department!r} has no [departments] entry")
        return Scoring(**numbers, default_department=department)

    def group(self, data: Any, path: KeyPath, name: str, positive: bool, keys: set[str] = _GROUP_KEYS) -> WordGroup:
        self.unknown_keys(data, keys, path)
        if "weight" not in data:
            raise self.fail(path, "missing key `weight`")
        low = 0.0 if positive else -MAX_WEIGHT
        weight = self.number(data["weight"], (*path, "weight"), low, MAX_WEIGHT)
        if positive and weight == 0:
            raise self.fail((*path, "weight"), "must be above 0")
        if "words" not in data:
            raise self.fail(path, "missing key `words`")
        flags = {}
        for key in ("at_end", "anywhere", "vetoes"):
            if not isinstance(data.get(key, False), bool):
                raise self.fail((*path, key), "must be true or false")
            flags[key] = data.get(key, False)
        return WordGroup(name, weight, self.words(data["words"], (*path, "words")), **flags)

    def groups(self, data: Any, path: tuple[str, ...], keys: set[str] = _GROUP_KEYS) -> tuple[WordGroup, ...]:
        if not isinstance(data, dict):
            raise self.fail(path, "must be a table of word lists")
        return tuple(self.group(body, (*path, name), name, positive=False, keys=keys) for name, body in data.items())

    def departments(self, data: Any) -> tuple[Department, ...]:
        if not isinstance(data, dict) or not data:
            raise self.fail(("departments",), "the table needs at least one [departments.CODE]")
        result = []
        for code, body in data.items():
            path = ("departments", code)
            if code not in DEPARTMENT_CODES:
                raise self.fail(path, f"unknown department code {code!r} (known: {', '.join(DEPARTMENT_CODES)})")
            self.unknown_keys(body, _DEPARTMENT_KEYS, path)
            name = body.get("name", code)
            if not isinstance(name, str) or not name:
                raise self.fail((*path, "name"), "must be the department's name as text")
            groups = []
            seen: dict[tuple[str, bool], str] = {}  # a word may be both looked up and a hint
            for key, term in self.terms(body.get("terms"), path):
                group = self.group(term, (*path, "terms", key), "", positive=True, keys=_URGENCY_KEYS)
                label = f"group {key + 1}" if isinstance(key, int) else f"group {key}"
                for word in group.words:
                    if (word, group.anywhere) in seen:
                        raise self.fail(
                            (*path, "terms", key, "words"),
                            f"word {word!r} is already in {seen[word, group.anywhere]} of {code}",
                            word,
                        )
                    seen[word, group.anywhere] = label
                # A named group goes by its name; an unnamed one ([[…terms]]) by its first word.
                groups.append(
                    WordGroup(
                        group.words[0] if isinstance(key, int) else key,
                        group.weight,
                        group.words,
                        anywhere=group.anywhere,
                    )
                )
            result.append(Department(code, name, tuple(groups)))
        return tuple(result)

    def terms(self, data: Any, path: KeyPath) -> list[tuple[str | int, Any]]:
        """A department's word groups, named ([departments.CODE.terms.NAME]) or listed ([[departments.CODE.terms]])."""
        if isinstance(data, dict) and data:
            return list(data.items())
        if isinstance(data, list) and data:
            return list(enumerate(data))
        code = path[-1]
        raise self.fail(
            path, f"needs at least one word group: [departments.{code}.terms.NAME] (or [[departments.{code}.terms]])"
        )

    def rules(self, data: Any, codes: set[str]) -> tuple[Rule, ...]:
        if not isinstance(data, list):
            raise self.fail(("rules",), "must be written as [[rules]] tables")
        return tuple(self.rule(body, ("rules", index), codes) for index, body in enumerate(data))

    def rule(self, data: Any, path: KeyPath, codes: set[str]) -> Rule:
        self.unknown_keys(data, _RULE_KEYS, path)
        name = data.get("name")
        if not isinstance(name, str) or not name:
            raise self.fail(path, "every rule needs a `name` saying what it does")
        groups = data.get("all")
        if not isinstance(groups, list) or not groups or not all(isinstance(g, list) for g in groups):
            raise self.fail((*path, "all"), 'must be a list of word lists, e.g. all = [["工钱"], ["没给", "欠"]]')
        all_words = tuple(self.rule_words(group, (*path, "all")) for group in groups)
        fields: dict[str, Any] = {"name": name, "all": all_words}
        if "none" in data:
            fields["none"] = self.rule_words(data["none"], (*path, "none"))
        for key in ("if_primary", "if_scored", "also"):
            if key in data:
                fields[key] = self.codes(data[key], (*path, key), codes)
        if "primary" in data:
            fields["primary"] = self.code(data["primary"], (*path, "primary"), codes)
        for key in ("demote", "request", "settled"):
            if key in data:
                if not isinstance(data[key], bool):
                    raise self.fail((*path, key), "must be true or false")
                fields[key] = data[key]
        if "urgency" in data:
            if data["urgency"] not in URGENCY_LEVELS:
                raise self.fail((*path, "urgency"), f"must be one of {', '.join(URGENCY_LEVELS)}")
            fields["urgency"] = data["urgency"]
        effects = ("primary", "also", "urgency", "request")
        if not any(key in fields for key in effects):
            raise self.fail(path, f"rule {name!r} does nothing: give it one of {', '.join(effects)}")
        return Rule(**fields)


def normalise_word(text: str) -> str:
    """How both table words and messages are compared: full-width to half-width, lower case."""
    return unicodedata.normalize("NFKC", text).lower()
