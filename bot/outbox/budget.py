"""WeCom's per-recipient limits, as the worker counts them before each send."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q
from tortoise.functions import Max, Sum

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


SHORTEST = {kind: min(limit.window for limit in limits) for kind, limits in LIMITS.items()}


class RateBudget:
    """What each rate-limited recipient has used in its windows: sends recorded, plus rows in flight.

    Sends within a kind's shortest window (a minute) are read one by one: the minute's allowance and the
    combining of notices (bot/outbox/combine.py) need their times. The rest of the longest window (the hour)
    is added up by the database, one sum per recipient, counted as if all of it went at the latest of those
    sends (it leaves the window then, never earlier than it really does); only for a recipient whose hour
    this claim could fill are those sends read one by one, to know when the oldest leave the window."""

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
        """When this recipient's sends of the last minute other than answers to what they said went
        (bot/outbox/combine.py)."""
        since = self.now - SHORTEST[kind]
        times = [at for at, n in self.used.get((kind, target), []) if at > since for _ in range(n)]
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
            recent = now - SHORTEST[kind]
            longest = max(limits, key=lambda limit: limit.window)
            for item in (
                await OutboxMessage.filter(
                    # Bounded on both sides, and the rows in flight as unsent: SQLite, which keeps no statistics,
                    # then reads only the minute's part of the budget index, not every send of the hour (a
                    # later send by another process's clock is still counted).
                    Q(status=SENT, sent_at__gt=recent, sent_at__lte=now + longest.window)
                    | Q(status=PENDING, sent_at__isnull=True, claimed_until__gt=now),
                    kind=kind,
                    target__in=targets,
                )
                .using_db(conn)
                .values("target", "status", "sent_at", "pieces", "dedupe_key")
            ):
                if item["status"] == SENT:
                    used[(kind, item["target"])].append((item["sent_at"], item["pieces"]))
                    if (item["dedupe_key"] or "").startswith(ANSWER_KEYS):
                        answers[(kind, item["target"])].append(item["sent_at"])
                else:
                    used[(kind, item["target"])].append((now, 1))  # in flight elsewhere: counts from now
            if longest.window == SHORTEST[kind]:
                continue
            older = OutboxMessage.filter(
                status=SENT, kind=kind, sent_at__gt=now - longest.window, sent_at__lte=recent
            ).using_db(conn)
            near: list[str] = []  # whose hour is nearly full: when it frees up depends on each send's time
            for item in (
                await older.filter(target__in=targets)
                .annotate(total=Sum("pieces"), latest=Max("sent_at"))
                .group_by("target")
                .values("target", "total", "latest")
            ):
                key, total = (kind, item["target"]), int(item["total"])
                due_here = sum(1 for row in rows if (row.kind, row.target) == key)
                if total + sum(n for _, n in used[key]) + due_here > longest.count:
                    near.append(item["target"])
                else:
                    used[key].append((as_time(item["latest"]), total))
            if near:
                for item in await older.filter(target__in=near).values("target", "sent_at", "pieces"):
                    used[(kind, item["target"])].append((item["sent_at"], item["pieces"]))
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


def as_time(value: datetime | str) -> datetime:
    """An aggregate's time as the database gives it: SQLite's is its stored text."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)
