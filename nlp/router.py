"""The routing engine: text in, a Decision out (request or not, which department, how urgent, why).

Pure: no database, no HTTP. Build one Router per routing table; `classify` is safe to call from
several threads (it only reads).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from config.errors import ConfigError
from nlp.learned import (
    DEPARTMENT_KIND,
    REQUEST_KIND,
    URGENCY_KIND,
    BinaryModel,
    DepartmentModel,
    LearnedSums,
    load_model,
    ngrams,
)
from nlp.lexicon import RoutingTable, Rule, load_table, normalise_word
from nlp.matcher import MASK, PRESENT_ONLY, Entry, Found, Matcher
from nlp.privacy import detail_labels, hide_private
from nlp.table_files import table_folder
from nlp.tokenizer import build_tokenizer

NONE = "none"
_TRAILING = re.compile(r"[\W_]+$")  # punctuation, spaces and emoji after the last word
ASKING = 2.0  # a cue this heavy asks for something (咋整, 上回说的 …) and so outweighs a veto
FOLLOWUP_CUES = "followup"  # the [cues.followup] group marks a follow-up of an open request
NEGATIONS = ("不", "没")  # written right before a pulling-away cue (fixed, notice, ack …), they turn it around
# The departments a township cadre is offered beside the chosen one (Decision.runners_up): at most two,
# each either scored by the table at RUNNER_UP_SHARE of the top score or more, or given RUNNER_UP_CHANCE or
# more by the learned department signal.
RUNNERS_UP = 2
RUNNER_UP_SHARE = 0.6
RUNNER_UP_CHANCE = 0.15
# Decisions remembered, by text: a message is classified when its callback is stored (is it urgent?) and again
# when it is handled, a whistle proposal asks for the runners-up of the same text. The router never changes
# once built (a new table builds a new router), so a remembered decision is the one it would make again.
# Enough for a flood's whole inbox backlog (a decision is about 1 KB): with fewer, a message's decision made
# at its callback was forgotten before it was handled, and a flood of 3,000 routed two in three twice.
DECISIONS_KEPT = 8192


@dataclass(frozen=True)
class Decision:
    is_request: bool
    primary: str  # a department code, or "none"
    also: tuple[str, ...] = ()
    urgency: str = "normal"  # "normal" | "urgent"
    keywords: tuple[str, ...] = ()  # the department words that matched, in text order
    scores: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    is_followup: bool = False
    explanation: str = ""
    runners_up: tuple[str, ...] = ()  # the next departments the router considered close, closest first

    def as_json(self) -> dict:
        """The fields of `gridwhistle classify` (documented in the README)."""
        return {
            "is_request": self.is_request,
            "primary": self.primary,
            "also": list(self.also),
            "urgency": self.urgency,
            "keywords": list(self.keywords),
        }


@dataclass(frozen=True)
class _Target:
    kind: str  # "department" | "cue" | "urgency"
    name: str  # department code or cue group
    weight: float


class Router:
    def __init__(
        self,
        table: RoutingTable,
        extra_names: Iterable[str] = (),
        cache_dir: Path | None = None,
        urgency_model: BinaryModel | None = None,
        department_model: DepartmentModel | None = None,
        request_model: BinaryModel | None = None,
    ) -> None:
        self.table = table
        self._decided: dict[tuple[str, bool], Decision] = {}  # oldest first (DECISIONS_KEPT)
        self.urgency_model = urgency_model
        self.department_model = department_model
        self.request_model = request_model
        sizes = {model.sizes for model in (urgency_model, department_model, request_model) if model}
        if len(sizes) > 1:
            raise ConfigError(f"the learned models read pieces of different sizes {sorted(sizes)}; learn them together")
        self._piece_sizes = sizes.pop() if sizes else None
        self._sums = LearnedSums(request_model, urgency_model, department_model)
        targets: dict[str, list[_Target]] = {}
        for department in table.departments:
            for group in department.groups:
                if not group.looked_up:
                    continue  # hints: counted anywhere in the text, below
                for word in group.words:
                    targets.setdefault(word, []).append(_Target("department", department.code, group.weight))
        for kind, groups in (("cue", table.cues), ("urgency", table.urgency)):
            for group in groups:
                if not group.looked_up:
                    continue  # checked against the end of the message, or anywhere in it, instead
                for word in group.words:
                    targets.setdefault(word, []).append(_Target(kind, group.name, group.weight))
        self._targets = {word: tuple(found) for word, found in targets.items()}
        # jieba learns the short words (whose matches depend on its cut) and the county's names.
        # Longer table words are found by substring anyway; adding them would let a phrase such
        # as 灯不亮 pull 路灯不亮 apart into 路|灯不亮.
        names = {normalise_word(name) for name in extra_names if name}
        self.tokenizer = build_tokenizer({w for w in table.words() if len(w) <= 2} | names, cache_dir)
        self._matcher = Matcher(_entries(table, self._targets), self.tokenizer)
        self._order = {d.code: i for i, d in enumerate(table.departments)}
        self._rules = tuple((rule, _Condition.of(rule)) for rule in table.rules)
        # Every rule needs a word of its smallest `all` list: only rules with such a word present are checked.
        self._rules_needing: dict[str, list[int]] = {}
        for number, (_, condition) in enumerate(self._rules):
            for word in min(condition.all, key=len):
                self._rules_needing.setdefault(word, []).append(number)
        self._end_cues = tuple((g.weight, g.words) for g in table.cues if g.at_end)
        self._vetoing = frozenset(g.name for g in table.cues if g.vetoes)
        self._anywhere_urgency = tuple((g.weight, g.words) for g in table.urgency if g.anywhere)
        self._hints = tuple((d.code, g.weight, g.words) for d in table.departments for g in d.groups if g.anywhere)
        self._labels = detail_labels(table.labels)

    def _first_whole(self, visible: str, normalised: str, word: str) -> int:
        """Where `word` is first written as a whole jieba token, or -1."""
        at = visible.find(word)
        while at >= 0:
            if self._matcher.whole_token(normalised, at, at + len(word)):
                return at
            at = visible.find(word, at + 1)
        return -1

    @classmethod
    def from_file(cls, path: str | Path, extra_names: Iterable[str] = (), cache_dir: Path | None = None) -> Router:
        table = load_table(path)
        files = table_models(path, table)
        # In table_models' order, so the first broken file named is the same one.
        request = load_model(files[REQUEST_KIND], REQUEST_KIND) if REQUEST_KIND in files else None
        urgency = load_model(files[URGENCY_KIND], URGENCY_KIND) if URGENCY_KIND in files else None
        department = load_model(files[DEPARTMENT_KIND], DEPARTMENT_KIND) if DEPARTMENT_KIND in files else None
        return cls(table, extra_names, cache_dir, urgency, department, request)

    def tokenize(self, text: str) -> list[str]:
        """jieba tokens of the normalised text, as the router sees them (for keyword suggestions)."""
        return [t for t in self.tokenizer.cut(normalise_word(text), HMM=False) if t.strip()]

    def classify(self, text: str, explain: bool = True) -> Decision:
        """Route one message. With explain=False the Decision's explanation is left empty, and the learned
        signals' strongest pieces are not looked for (`classify` on the command line prints no explanation)."""
        key = (text, explain)
        decision = self._decided.get(key)
        if decision is None:
            decision = self.decide(text, explain)
            if len(self._decided) >= DECISIONS_KEPT:
                del self._decided[next(iter(self._decided))]
            self._decided[key] = decision
        return decision

    def decide(self, text: str, explain: bool = True) -> Decision:
        """As `classify`, worked out afresh (what the benchmarks time)."""
        # Phone, ID, card and house numbers never change where a request goes: the router reads them blanked,
        # and the labels introducing them (身份证号, 电话, 住址：) with them, so those words do not vote either.
        normalised = normalise_word(hide_private(text or "", self._labels))
        found = self._matcher.find(normalised)
        tally = self._count_words(found, normalised)
        visible = found.unmasked(normalised)  # for the single characters counted wherever written
        if not (tally.scores or tally.followup):
            self._count_hints(tally, visible, normalised)
        self._count_anywhere(tally, visible, normalised)
        verdict = self._first_verdict(tally, normalised)
        self._apply_rules(verdict, tally, found.present)
        pieces = ngrams(normalised, self._piece_sizes) if self._piece_sizes else set()
        sums = self._sums.sums(pieces) if self._piece_sizes else []  # [request, urgency, departments …]
        self._learned_request(verdict, sums, pieces, explain)
        self._learned_urgency(verdict, sums, pieces, explain)
        if not verdict.is_request:
            explanation = _explain(NONE, tally.words_of, verdict.fired) if explain else ""
            return Decision(
                False, NONE, (), "normal", tuple(tally.keywords), MappingProxyType(tally.scores), False, explanation
            )
        close = self._learned_department(verdict, sums, pieces, explain)
        return self._decision(verdict, tally, close, explain)

    def _count_words(self, found: Found, normalised: str) -> _Tally:
        """The listed words that count: department scores, request cues and urgency words."""
        tally = _Tally()
        scores, best_weight, first_at, words_of = tally.scores, tally.best_weight, tally.first_at, tally.words_of
        counted: set[tuple[str, _Target]] = set()  # each word counts once per list, however often written
        for hit in found.hits:
            for target in self._targets.get(hit.word, ()):
                if target.kind not in hit.kinds or (hit.word, target) in counted:
                    continue  # a longer word of the same kind covers it, or it was counted already
                counted.add((hit.word, target))
                if target.kind == "department":
                    code = target.name
                    scores[code] = scores.get(code, 0.0) + target.weight
                    best_weight[code] = max(best_weight.get(code, 0.0), target.weight)
                    first_at.setdefault(code, hit.start)
                    label = hit.word if hit.word == hit.surface else f"{hit.surface}({hit.word})"
                    words_of.setdefault(code, []).append(label)
                    if hit.word not in tally.keywords:
                        tally.keywords.append(hit.word)
                elif target.kind == "cue":
                    if target.weight < 0 and normalised[hit.start - 1 : hit.start] in NEGATIONS:
                        continue  # 不好使了 is not 好使了 (fixed), 没通知 is not a notice, 不好的 not 好的
                    tally.cue_total += target.weight
                    tally.pulling += min(target.weight, 0.0)
                    if target.name in self._vetoing:
                        tally.against += min(target.weight, 0.0)
                    tally.asked = tally.asked or target.weight >= ASKING
                    tally.followup = tally.followup or target.name == FOLLOWUP_CUES
                else:
                    tally.urgency_total += target.weight
        return tally

    def _count_hints(self, tally: _Tally, visible: str, normalised: str) -> None:
        """A department's telltale characters, wherever written (电 in 电饭锅): a fallback only for messages
        that use no listed word of any department. Only where jieba cuts it as a word of its own: 水 counts
        in 水不热, not in 水泥路."""
        for code, weight, words in self._hints:
            positions = [
                at
                for at in (self._first_whole(visible, normalised, word) for word in words if word in visible)
                if at >= 0
            ]
            if positions:
                tally.scores[code] = tally.scores.get(code, 0.0) + weight * len(positions)
                tally.best_weight.setdefault(code, 0.0)
                tally.first_at[code] = min(tally.first_at.get(code, len(normalised)), *positions)

    def _count_anywhere(self, tally: _Tally, visible: str, normalised: str) -> None:
        """Urgency characters counted wherever written, and the cues read at the end of the message."""
        for weight, words in self._anywhere_urgency:
            tally.urgency_total += weight * sum(word in visible for word in words)
        tail = _TRAILING.sub("", normalised)
        tally.cue_total += sum(weight for weight, words in self._end_cues if tail.endswith(words))

    def _first_verdict(self, tally: _Tally, normalised: str) -> _Verdict:
        """The table's own answer before rules and learned signals: the ranking, request or not, urgency."""
        scores, best_weight, first_at = tally.scores, tally.best_weight, tally.first_at
        ranked = sorted(scores, key=lambda c: (-scores[c], -best_weight[c], first_at[c], self._order[c]))
        scoring = self.table.scoring
        evidence = min(scores[ranked[0]], scoring.evidence_cap) if ranked else 0.0
        urgent = tally.urgency_total >= scoring.urgency_threshold
        # Someone describing a danger now needs help even without asking for it — unless the message reads as
        # a notice, news, an advert or "fixed already" (the lists with `vetoes = true`) and asks nothing: then
        # neither danger words nor a rule make it a request.
        vetoed = tally.against <= -scoring.veto and not tally.asked
        cue_total = tally.cue_total
        if tally.asked and len(normalised) >= scoring.long_message:
            cue_total -= tally.pulling / 2  # a long story that asks: its stray 挺好, 装上了, 新闻 weigh half
        is_request = not vetoed and (
            evidence + cue_total + (scoring.urgency_evidence if urgent else 0.0) >= scoring.request_threshold
        )
        primary = ranked[0] if ranked else scoring.default_department
        return _Verdict(ranked, is_request, urgent, vetoed, primary)

    def _apply_rules(self, verdict: _Verdict, tally: _Tally, present: frozenset[str]) -> None:
        """The hard-case rules whose words are present, in the table's order (the first to route wins)."""
        ranked, scores = verdict.ranked, tally.scores
        routed = False
        candidates = sorted({n for word in present for n in self._rules_needing.get(word, ())})
        for rule, condition in (self._rules[n] for n in candidates):
            if not _applies(rule, condition, present, ranked[0] if ranked else None, scores):
                continue
            if rule.request is not None and not (rule.request and verdict.vetoed):
                verdict.is_request = rule.request
            if rule.primary is not None and not routed:
                routed = True
                if rule.demote:
                    floor = self.table.scoring.also_floor
                    programme = next((c for c in ranked if c != rule.primary and scores[c] >= floor), None)
                    if programme:
                        verdict.also.append(programme)
                verdict.primary = rule.primary
                verdict.settled = rule.settled
                verdict.fired.append(rule.name)
            elif rule.primary is None:
                verdict.fired.append(rule.name)
            verdict.also.extend(rule.also)
            verdict.urgent = verdict.urgent or rule.urgency == "urgent"
            verdict.calm = verdict.calm or rule.urgency == "normal"

    def _learned_request(self, verdict: _Verdict, sums: list[float], pieces: set[str], explain: bool) -> None:
        """Learned from every labelled message, the request signal has the last word on "is this a request"
        where it is sure either way (a notice phrased like a question, a request with no listed word) —
        except after a `settled` rule."""
        if not self.request_model or verdict.settled:
            return
        learned = self.table.learned
        chance = self.request_model.probability_of(sums[0])
        if not (chance <= learned.no_request_below if verdict.is_request else chance >= learned.request_above):
            return
        verdict.is_request = not verdict.is_request
        if not explain:
            return
        verdict.fired.append(
            f"learned request {chance:.2f} ({'、'.join(self.request_model.reasons(pieces))})"
            if verdict.is_request
            else f"learned no request {chance:.2f}"
        )

    def _learned_urgency(self, verdict: _Verdict, sums: list[float], pieces: set[str], explain: bool) -> None:
        """The learned signal hears a danger told in words no urgency list has; it is asked only about what
        the table left calm, and a rule saying "normal" has the last word."""
        if not self.urgency_model or verdict.urgent or verdict.calm:
            return
        learned = self.table.learned
        chance = self.urgency_model.probability_of(sums[1])
        if chance >= (learned.urgent_from if verdict.is_request else learned.request_from):
            verdict.is_request = verdict.urgent = True
            if explain:
                verdict.fired.append(f"learned urgency {chance:.2f} ({'、'.join(self.urgency_model.reasons(pieces))})")

    def _learned_department(self, verdict: _Verdict, sums: list[float], pieces: set[str], explain: bool) -> list[str]:
        """Learned from the labelled requests, the department signal reads the whole message, not only the
        listed words; where it is sure enough it has the last word on the department (the explanation says
        so) — but not over a rule marked `settled` (a department the routing guide settles outright).
        Returns the departments it finds close (for runners_up), closest first."""
        if not self.department_model:
            return []
        close: list[str] = []
        chances = self.department_model.ranked_logits(sums[2:])
        code, chance = chances[0]
        if code != verdict.primary and chance >= self.table.learned.department_from and not verdict.settled:
            if explain:
                reasons = "、".join(self.department_model.reasons(pieces, code))
                verdict.fired.append(f"learned department {code} {chance:.2f} ({reasons}) over {verdict.primary}")
            close.append(verdict.primary)  # the table's (or a rule's) choice stays close
            verdict.primary = code
        close += [c for c, p in chances if p >= RUNNER_UP_CHANCE]
        return close

    def _decision(self, verdict: _Verdict, tally: _Tally, close: list[str], explain: bool) -> Decision:
        """A request's Decision: the runners-up are the learned signal's close ones, then the table's."""
        primary, scores, ranked = verdict.primary, tally.scores, verdict.ranked
        if ranked:
            close += [c for c in ranked if scores[c] >= RUNNER_UP_SHARE * scores[ranked[0]]]
        return Decision(
            True,
            primary,
            tuple(dict.fromkeys(c for c in verdict.also if c != primary)),
            "urgent" if verdict.urgent and not verdict.calm else "normal",
            tuple(tally.keywords),
            MappingProxyType(scores),
            tally.followup,
            _explain(primary, tally.words_of, verdict.fired) if explain else "",
            tuple(dict.fromkeys(c for c in close if c != primary))[:RUNNERS_UP],
        )


@dataclass(slots=True)
class _Tally:
    """What the listed words of one message add up to (Router._count_words and the counts after it)."""

    scores: dict[str, float] = field(default_factory=dict)  # department -> sum of its distinct words' weights
    best_weight: dict[str, float] = field(default_factory=dict)  # department -> its heaviest word
    first_at: dict[str, int] = field(default_factory=dict)  # department -> where its first word is written
    words_of: dict[str, list[str]] = field(default_factory=dict)  # department -> its words, for the explanation
    keywords: list[str] = field(default_factory=list)  # the department words, in text order
    cue_total: float = 0.0
    pulling: float = 0.0  # every cue pulling towards "not a request" (thanks, chat, a trade, a notice …)
    against: float = 0.0  # of those, the vetoing ones (notice, news, advert, "fixed", a work report)
    asked: bool = False  # an ask, a follow-up or a "but still" matched (a cue weighing ASKING or more)
    urgency_total: float = 0.0
    followup: bool = False


@dataclass(slots=True)
class _Verdict:
    """The decision as it is being made: the table's answer, then what rules and learned signals change."""

    ranked: list[str]  # departments by the table's score, best first
    is_request: bool
    urgent: bool
    vetoed: bool  # a notice, news, an advert or "fixed already" that asks nothing
    primary: str
    also: list[str] = field(default_factory=list)
    fired: list[str] = field(default_factory=list)  # the rules and signals that changed it, for the explanation
    settled: bool = False  # the rule that chose the department says the learned signals may not override it
    calm: bool = False  # a rule saying urgency = "normal" overrides every urgent sign


def table_models(path: str | Path, table: RoutingTable) -> dict[str, Path]:
    """The model files a table names in [learned], by model kind: in the table's folder (the folder itself,
    or the folder of a single-file table)."""
    named = {
        REQUEST_KIND: table.learned.request_model,
        URGENCY_KIND: table.learned.urgency_model,
        DEPARTMENT_KIND: table.learned.department_model,
    }
    folder = table_folder(path)
    return {kind: folder / name for kind, name in named.items() if name}


def _entries(table: RoutingTable, targets: Mapping[str, tuple[_Target, ...]]) -> dict[str, Entry]:
    """What the matcher looks for: every word, with the kinds of list it is on; synonyms too."""
    rule_words = {w for rule in table.rules for group in rule.all for w in group} | {
        w for rule in table.rules for w in rule.none
    }
    entries = {
        word: Entry(word, frozenset(t.kind for t in targets.get(word, ())) or frozenset({PRESENT_ONLY}))
        for word in set(targets) | rule_words
    }
    for variant, canonical in table.synonyms:
        entries[variant] = Entry(canonical, entries[canonical].kinds)
    for mask in table.masks:
        known = entries.get(mask)
        entries[mask] = Entry(known.word, known.kinds | {MASK}) if known else Entry(mask, frozenset({MASK}))
    return entries


@dataclass(frozen=True)
class _Condition:
    """A rule's word conditions as sets, so checking one is a few set operations."""

    all: tuple[frozenset[str], ...]
    none: frozenset[str]

    @classmethod
    def of(cls, rule: Rule) -> _Condition:
        return cls(tuple(frozenset(group) for group in rule.all), frozenset(rule.none))


def _applies(
    rule: Rule, condition: _Condition, present: frozenset[str], scored_primary: str | None, scores: Mapping[str, float]
) -> bool:
    if any(present.isdisjoint(group) for group in condition.all):
        return False
    if not present.isdisjoint(condition.none):
        return False
    if rule.if_primary and scored_primary not in rule.if_primary:
        return False
    if rule.if_scored and not any(code in scores for code in rule.if_scored):
        return False
    return True


def _explain(primary: str, words_of: Mapping[str, list[str]], fired: list[str]) -> str:
    words = "、".join(words_of.get(primary, [])) or "—"
    text = f"{words} → {primary}"
    if fired:
        text += "; " + "; ".join(fired)
    return text
