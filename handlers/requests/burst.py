"""A burst: one sender's messages, each within [requests] burst_seconds of the last, grow one request.

Bounded two ways. A request stops growing at [requests] burst_max_chars characters or burst_max_messages
messages; the next piece starts a request of its own. And a piece costs what it adds, not the whole text
again: each piece is routed alone, its department scores are kept on its event (`recorded`, `appended`),
and the burst goes where the summed scores point — a burst of N pieces reads N small score tables, never
its whole text.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from config.policy import RequestsPolicy
from models import NonRequest, Request, TicketEvent
from nlp.router import Decision

PART_EVENTS = ("recorded", "appended")


@dataclass(frozen=True)
class BurstRoute:
    """Where a grown burst goes: its department, whether that changed, and the scores that said so."""

    primary: str
    moved: bool
    totals: dict[str, float]


def votes(decision: Decision) -> dict[str, float]:
    """A piece's say in where the burst goes: its department scores, its own department (chosen by a rule or
    the learned model when no word scored it) weighing at least as much as its best score."""
    scores = {code: float(score) for code, score in decision.scores.items()}
    if decision.is_request and decision.primary:
        scores[decision.primary] = max(scores.get(decision.primary, 0.0), max(scores.values(), default=0.0))
    return scores


def route_of(current: str, parts: Iterable[Mapping[str, float]]) -> BurstRoute:
    """The department the summed scores point to; the current one unless another scores strictly more."""
    totals: dict[str, float] = {}
    for part in parts:
        for code, score in part.items():
            totals[code] = totals.get(code, 0.0) + score
    best = max(totals, key=lambda code: totals[code], default=current)
    primary = best if totals.get(best, 0.0) > totals.get(current, 0.0) else current
    return BurstRoute(primary, primary != current, totals)


async def parts_of(request: Request) -> list[dict[str, float]]:
    """The kept scores of each piece so far, in order (a request recorded before pieces kept scores: its
    department alone)."""
    rows = await TicketEvent.filter(request_id=request.id, kind__in=PART_EVENTS).order_by("id").values_list("data")
    parts = [dict((data or {}).get("scores") or {}) for (data,) in rows]
    return parts or [{request.primary: 1.0}]


def is_full(request: Request, parts: int, text: str, rules: RequestsPolicy) -> bool:
    """One more piece would take the request past the size or count the policy allows."""
    return parts >= rules.burst_max_messages or len(request.text) + 1 + len(text) > rules.burst_max_chars


def bounded_run(run: list[NonRequest], text: str, rules: RequestsPolicy) -> list[NonRequest]:
    """The newest of the sender's not-request messages that fit in one request together with `text`."""
    kept: list[NonRequest] = []
    size = len(text)
    for row in reversed(run):
        size += len(row.text) + 1
        if len(kept) + 1 >= rules.burst_max_messages or size > rules.burst_max_chars:
            break
        kept.append(row)
    return kept[::-1]
