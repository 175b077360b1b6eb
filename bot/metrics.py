"""What `/metrics` shows (Prometheus text format, prometheus-client) and what `/healthz` reads.

Two kinds of figures:
- counted where they happen, in this process: callbacks by channel and result (a middleware in
  bot/app.py), sends by channel and result (one-line hooks in bot/outbox/worker.py). They start at 0 when the
  process starts, as Prometheus counters do; use rate()/increase() on them.
- read from the database at each scrape (`read_state`), so every process reports the same truth:
  inbox and outbox backlog and the age of their oldest due row, dead letters, the last WeCom success,
  requests by department and urgency (the routing decisions), overdue tickets. Plus whether this
  process leads the scheduler.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, ProcessCollector, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from tortoise.functions import Count

from models import AibotLink, InboxMessage, OutboxMessage, Request, Ticket

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# Process-wide counters: the hooks import these and call .labels(...).inc().
REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY)
CALLBACKS = Counter(
    "gridwhistle_callbacks", "WeCom callbacks answered, by channel and result", ["channel", "result"], registry=REGISTRY
)
SENDS = Counter(
    "gridwhistle_sends",
    "Outbox send attempts by channel and result (sent, retry, rate_limited, parked, dead)",
    ["channel", "result"],
    registry=REGISTRY,
)


def callback_result(status: int) -> str:
    """A callback's HTTP status as a label: ok, bad_signature, bad_request or error."""
    if status < 400:
        return "ok"
    if status == 403:
        return "bad_signature"
    return "bad_request" if status < 500 else "error"


@dataclass
class State:
    """The database's figures at one moment (also what /healthz reports)."""

    now: datetime
    inbox_pending: int = 0
    inbox_oldest: datetime | None = None
    outbox_due: int = 0
    outbox_waiting: int = 0
    outbox_parked: int = 0
    outbox_oldest_due: datetime | None = None
    dead_letters: int = 0
    last_sent: datetime | None = None
    tickets_overdue: int = 0
    routed: dict[tuple[str, str], int] = field(default_factory=dict)
    aibot_links: list[AibotLink] = field(default_factory=list)  # the AI bot's long connection, when used

    def age(self, moment: datetime | None) -> float:
        return max(0.0, (self.now - moment).total_seconds()) if moment else 0.0


async def read_state(now: datetime, *, routing: bool = True) -> State:
    state = State(now=now)
    pending = InboxMessage.filter(status="pending")
    state.inbox_pending = await pending.count()
    state.inbox_oldest = await _first(pending.order_by("received_at").limit(1).values_list("received_at", flat=True))
    due = OutboxMessage.filter(status="pending", not_before__lte=now)
    state.outbox_due = await due.count()
    state.outbox_oldest_due = await _first(due.order_by("not_before").limit(1).values_list("not_before", flat=True))
    state.outbox_waiting = await OutboxMessage.filter(status="pending", not_before__gt=now).count()
    state.outbox_parked = await OutboxMessage.filter(status="parked").count()
    state.dead_letters = await OutboxMessage.filter(status="dead").count()
    state.last_sent = await _first(
        OutboxMessage.filter(status="sent", sent_at__isnull=False)
        .order_by("-sent_at")
        .values_list("sent_at", flat=True)
    )
    state.tickets_overdue = await Ticket.filter(status="open", resolve_due__lt=now).count()
    state.aibot_links = await AibotLink.all()
    if routing:
        rows = await Request.annotate(n=Count("id")).group_by("primary", "urgency").values("primary", "urgency", "n")
        state.routed = {(row["primary"], row["urgency"]): row["n"] for row in rows}
    return state


async def _first(query: Any) -> Any:
    rows = await query
    return rows[0] if rows else None


class _Snapshot(Collector):
    """The families of one State (and the scheduler flag), for one scrape."""

    def __init__(self, state: State, leader: bool | None) -> None:
        self.state, self.leader = state, leader

    def collect(self) -> Iterator[Metric]:
        s = self.state
        yield _gauge("gridwhistle_inbox_backlog", "Inbox rows not yet handled", s.inbox_pending)
        yield _gauge(
            "gridwhistle_inbox_oldest_age_seconds", "Age of the oldest unhandled inbox row", s.age(s.inbox_oldest)
        )
        backlog = GaugeMetricFamily(
            "gridwhistle_outbox_backlog",
            "Outbox rows not yet sent: due now, waiting (quiet hours, back-off), parked (kf window)",
            labels=["state"],
        )
        for name, value in (("due", s.outbox_due), ("waiting", s.outbox_waiting), ("parked", s.outbox_parked)):
            backlog.add_metric([name], value)
        yield backlog
        yield _gauge(
            "gridwhistle_outbox_oldest_due_age_seconds",
            "How long the oldest due outbox row has been due",
            s.age(s.outbox_oldest_due),
        )
        yield _gauge("gridwhistle_dead_letters", "Outbox rows given up as dead", s.dead_letters)
        yield _gauge(
            "gridwhistle_last_wecom_success_timestamp_seconds",
            "When WeCom last accepted a message (Unix time; 0 never)",
            s.last_sent.timestamp() if s.last_sent else 0.0,
        )
        yield _gauge("gridwhistle_tickets_overdue", "Open tickets past their resolve deadline", s.tickets_overdue)
        routed = CounterMetricFamily(
            "gridwhistle_requests_routed",
            "Requests by the department they were routed to and their urgency",
            labels=["department", "urgency"],
        )
        for (department, urgency), n in sorted(s.routed.items()):
            routed.add_metric([department, urgency], n)
        yield routed
        yield from _aibot_links(s)
        if self.leader is not None:
            yield _gauge(
                "gridwhistle_scheduler_leader", "1 when this process runs the scheduler's tickers", self.leader
            )


def _aibot_links(s: State) -> Iterator[Metric]:
    """The AI bot's long connection: up, since when, reconnects, the last frame's age (per bot)."""
    if not s.aibot_links:
        return
    up = GaugeMetricFamily(
        "gridwhistle_aibot_connection_up", "1 when the AI bot's long connection is up", labels=["bot"]
    )
    since = GaugeMetricFamily(
        "gridwhistle_aibot_connection_since_timestamp_seconds",
        "When the long connection last came up (or went down, while down); Unix time",
        labels=["bot"],
    )
    reconnects = CounterMetricFamily(
        "gridwhistle_aibot_reconnects", "Times the long connection came up again after the first", labels=["bot"]
    )
    age = GaugeMetricFamily(
        "gridwhistle_aibot_last_frame_age_seconds", "Seconds since the last frame from WeCom", labels=["bot"]
    )
    for link in s.aibot_links:
        is_up = link.state == "up"
        moment = link.up_since if is_up else link.down_since
        up.add_metric([link.bot_id], 1.0 if is_up else 0.0)
        since.add_metric([link.bot_id], moment.timestamp() if moment else 0.0)
        reconnects.add_metric([link.bot_id], link.reconnects)
        age.add_metric([link.bot_id], s.age(link.last_frame_at))
    yield from (up, since, reconnects, age)


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=float(value))


class _Forward(Collector):
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry

    def collect(self) -> Iterable[Metric]:
        return self.registry.collect()


def render(state: State, leader: bool | None) -> bytes:
    """The whole /metrics page: this process's counters and the database's state."""
    page = CollectorRegistry(auto_describe=False)
    page.register(_Forward(REGISTRY))
    page.register(_Snapshot(state, leader))
    return generate_latest(page)
