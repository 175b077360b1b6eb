"""WeCom's per-recipient limits, as the worker counts them before each send."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q

from bot.outbox.queue import ANSWER_KEYS, PENDING, SENT
from models import OutboxMessage


@dataclass(frozen=True)
class Limit:
    window: timedelta
    count: int


# Limits WeCom enforces per recipient, by outbox kind (Address.channel). App messages beyond a member's
# limit are silently dropped by WeCom; webhook messages beyond 20 a minute are refused.
LIMITS: dict[str, tuple[Limit, ...]] = {
    "app": (Limit(timedelta(minutes=1), 30), Limit(timedelta(hours=1), 1000)),
    "webhook": (Limit(timedelta(minutes=1), 20),),
}


class RateBudget:
    """What each rate-limited recipient has used in its windows: sends recorded, plus rows in flight."""

    def __init__(
        self,
        now: datetime,
        used: dict[tuple[str, str], list[tuple[datetime, int]]],
        answers: dict[tuple[str, str], list[datetime]] | None = None,
    ) -> None:
        self.now = now
        self.used = used
        self.answers = answers or {}  # when the sends of `used` that answered what the person said went

    def notices_sent(self, kind: str, target: str) -> list[datetime]:
        """When this recipient's sends other than answers to what they said went (bot/outbox/combine.py)."""
        times = [at for at, n in self.used.get((kind, target), []) for _ in range(n)]
        for at in self.answers.get((kind, target), []):
            if at in times:
                times.remove(at)
        return times

    @classmethod
    async def load(cls, rows: list[OutboxMessage], now: datetime, conn: BaseDBAsyncClient) -> RateBudget:
        used: dict[tuple[str, str], list[tuple[datetime, int]]] = defaultdict(list)
        answers: dict[tuple[str, str], list[datetime]] = defaultdict(list)
        for kind, limits in LIMITS.items():
            targets = {row.target for row in rows if row.kind == kind}
            if not targets:
                continue
            since = now - max(limit.window for limit in limits)
            recent = (
                await OutboxMessage.filter(
                    Q(status=SENT, sent_at__gt=since) | Q(status=PENDING, claimed_until__gt=now),
                    kind=kind,
                    target__in=targets,
                )
                .using_db(conn)
                .values("target", "status", "sent_at", "result", "dedupe_key")
            )
            for item in recent:
                if item["status"] == SENT:
                    used[(kind, item["target"])].append((item["sent_at"], pieces(item["result"])))
                    if (item["dedupe_key"] or "").startswith(ANSWER_KEYS):
                        answers[(kind, item["target"])].append(item["sent_at"])
                else:
                    used[(kind, item["target"])].append((now, 1))  # in flight elsewhere: counts from now
        return cls(now, used, dict(answers))

    def free_at(self, row: OutboxMessage) -> datetime | None:
        """None if one more message to this recipient fits every window now, else when it will."""
        limits = LIMITS.get(row.kind)
        if not limits:
            return None
        events = sorted(self.used.get((row.kind, row.target), []))
        wait_until: datetime | None = None
        for limit in limits:
            in_window = [(at, n) for at, n in events if at > self.now - limit.window]
            total = sum(n for _, n in in_window)
            for at, n in in_window:  # drop the oldest until one more fits
                if total + 1 <= limit.count:
                    break
                total -= n
                free = at + limit.window
                wait_until = free if wait_until is None or free > wait_until else wait_until
        return wait_until

    def spend(self, row: OutboxMessage) -> None:
        if row.kind in LIMITS:
            self.used[(row.kind, row.target)].append((self.now, 1))


def pieces(result: Any) -> int:
    """How many messages one sent row was (a long text is split into several)."""
    if isinstance(result, dict) and isinstance(result.get("msgids"), list) and result["msgids"]:
        return len(result["msgids"])
    return 1
