"""Sending: claim due rows under a renewed lease, send each once, record what WeCom said."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from tortoise.expressions import Q
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from bot import membership, metrics
from bot.channels.senders import KF_WINDOW_ERRORS, NO_IDEMPOTENCY, deliver, refused, single_use
from bot.channels.types import Address, Outbound
from bot.channels.wecom_aibot_ws import SocketUnavailable
from bot.channels.wecom_api import RATE_LIMITED, TIMED_OUT, WecomApi
from bot.clock import Clock
from bot.outbox import combine
from bot.outbox.budget import RateBudget
from bot.outbox.holds import hold
from bot.outbox.marks import SentMarks
from bot.outbox.queue import (
    COMBINED,
    DEAD,
    NORMAL,
    PARKED,
    PENDING,
    PROMPT,
    REFUSED,
    SENT,
    UNANSWERED,
    enqueue,
    prompt_queued_within,
    unanswered,
)
from bot.wakeup import wait_for_event
from config.errors import ChannelError
from config.texts import Texts
from models import OutboxMessage
from models.shapes import Shape

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BACKOFF_BASE = timedelta(seconds=10)
BACKOFF_CAP = timedelta(hours=1)
RATE_LIMIT_WAIT = timedelta(seconds=60)  # WeCom blocks a per-minute limit for 60 s (path/90454)
LEASE = timedelta(seconds=45)  # a claimed row is this worker's for this long, renewed while it sends
HEARTBEAT = 15.0  # seconds between renewals: a third of the lease, so one late renewal loses nothing
LEASE_MARGIN = timedelta(seconds=10)  # do not start a send this close to the lease's end
CLAIM_LOCK = 0x67726964  # pg advisory lock id serialising claims across processes ("grid")
DEAD_ALERT_PREFIX = "dead-alert:"
FALLBACK_PREFIX = "fallback:"


# While rows keep coming (a flood: every handled message commits and wakes the main lane), it waits this long
# after sending before it claims again, so one claim takes a burst's rows instead of one or two at a time.
GATHER_SECONDS = 0.05
PROMPT_WINDOW = 10.0  # seconds after a PROMPT row was queued here during which every wake looks for one
SOCKET_WAIT = timedelta(seconds=1)  # a row for the AI bot's socket while it is down here: look again soon


class SocketLane(Protocol):
    """The AI bot's long connection (bot/channels/wecom_aibot_ws.py): rows it `takes` go over it, and only
    from the process where it is `ready` (the leader); the others leave them in the outbox for that one."""

    @property
    def ready(self) -> bool: ...

    def takes(self, payload: dict[str, Any]) -> bool: ...

    async def deliver(self, outbound: Outbound, idempotency_key: str) -> dict[str, Any]: ...


@dataclass
class _Claim:
    """The rows one run of a worker holds, and until when: the heartbeat moves `until` on."""

    until: datetime
    held: set[int] = field(default_factory=set)  # claimed and not yet settled or let go
    lost: set[int] = field(default_factory=set)  # the lease ran out and another worker may have them


class OutboxWorker:
    """Sends due outbox rows through `api`; one per process, any number of processes.

    alerts_admins: WeCom userids told (by app message) when a row is given up as dead.
    lease, heartbeat: how long a claim holds, and how often (seconds) it is renewed while sending.
    """

    def __init__(
        self,
        api: WecomApi,
        clock: Clock,
        alerts_admins: list[str] | tuple[str, ...],
        *,
        max_attempts: int = MAX_ATTEMPTS,
        texts: Texts | None = None,
        lease: timedelta = LEASE,
        heartbeat: float = HEARTBEAT,
        socket: SocketLane | None = None,
    ) -> None:
        self.api = api
        self.clock = clock
        self.admins = tuple(alerts_admins)
        self.max_attempts = max_attempts
        self.texts = texts or Texts.load()
        self.lease = lease
        self.heartbeat = heartbeat
        self.margin = min(LEASE_MARGIN, lease / 4)
        self.socket = socket
        self.marks = SentMarks()  # sends finishing together are recorded in one commit

    async def run_forever(self, wake: asyncio.Event, *, idle: float = 1.0, limit: int = 50) -> None:
        """Send until cancelled: right away when a handler sets `wake`, and at least every `idle` seconds.

        Two lanes: the prompt lane sees each wake first and sends what WeCom takes only for seconds (card updates,
        AI-bot welcomes: PROMPT), then passes the wake on to the main lane, which may be busy with a backlog."""
        backlog = asyncio.Event()
        main = asyncio.get_running_loop().create_task(self._lane(backlog, idle, limit, NORMAL), name="outbox-main")
        try:
            while True:
                woken = await wait_for_event(wake, idle)
                wake.clear()
                backlog.set()
                # In a flood nearly every wake is for ordinary rows: claim only when this process queued a
                # PROMPT row lately (its transaction commits, then wakes us), or on the idle tick (other processes').
                if not woken or prompt_queued_within(PROMPT_WINDOW):
                    await self.drain(limit, PROMPT)
        finally:
            main.cancel()
            await asyncio.wait([main])

    async def _lane(self, wake: asyncio.Event, idle: float, limit: int, least: int) -> None:
        while True:
            if await self.drain(limit, least):
                await asyncio.sleep(GATHER_SECONDS)  # busy: let the next rows gather (a quiet wake is not delayed)
            await wait_for_event(wake, idle)
            wake.clear()

    async def drain(self, limit: int, least: int) -> int:
        """Claim and send batches of rows of at least priority `least` until no more are due; how many rows were
        claimed. A batch whose rows all wait for their recipient's allowance is no reason to stop: the rows
        behind it (another person's answer) are due now."""
        claimed = 0
        while True:
            try:
                found, more = await self._run(limit, least)
            except asyncio.CancelledError:
                raise
            except Exception:  # the database or the network is down: log, wait, try again
                log.exception("outbox worker: run failed")
                found, more = 0, False
            claimed += found
            if not more:
                return claimed

    async def run_once(self, limit: int = 50, *, least: int = NORMAL) -> int:
        """Claim up to `limit` due rows (of priority `least` or more) and try each once; how many were claimed."""
        return (await self._run(limit, least))[0]

    async def _run(self, limit: int, least: int) -> tuple[int, bool]:
        """run_once, and whether more rows may be due: the claim read a full batch and moved some of it on (sent,
        or set to wait for a recipient's allowance), so reading again at once finds others."""
        rows, claim, more = await self._claim(limit, least)
        if not rows:
            return 0, more
        by_target: dict[tuple[str, str], list[OutboxMessage]] = defaultdict(list)
        for row in rows:
            by_target[(row.kind, row.target)].append(row)
        renewing = asyncio.create_task(self._renew(claim))
        try:
            # One recipient's messages go in order; different recipients in parallel.
            await asyncio.gather(*(self._send_in_order(group, claim) for group in by_target.values()))
        finally:
            renewing.cancel()
            # Wait for it to end without swallowing a cancellation of this task (suppressing CancelledError
            # around `await renewing` would, and a stopping worker would then carry on).
            await asyncio.wait([renewing])
        return len(rows), more

    # -- claiming ----------------------------------------------------------------------------------

    async def _claim(self, limit: int, least: int = NORMAL) -> tuple[list[OutboxMessage], _Claim, bool]:
        """Claim up to `limit` due rows, urgent first; one person's notices past their allowance are combined
        (bot/outbox/combine.py), rows over a WeCom limit wait. A few statements per claim, not one per row.
        Also whether the batch was full and moved on, so that more may be due behind it."""
        now = self.clock.now()
        claim = _Claim(until=now + self.lease)
        async with in_transaction() as conn:
            if conn.capabilities.dialect == "postgres":
                await conn.execute_query("SELECT pg_advisory_xact_lock($1)", [CLAIM_LOCK])
            due = await (_DUE_FROM.rows(now, limit, least) if least > NORMAL else _DUE.rows(now, limit))
            full = len(due) >= limit
            budget = await RateBudget.load(due, now, conn)
            # handed over: what must go over the AI bot's socket is sent by the process holding it
            due = [row for row in due if not self._for_socket(row) or (self.socket is not None and self.socket.ready)]
            waits: dict[datetime, list[int]] = defaultdict(list)
            candidates = await self._combine(due, budget, now, claim, waits, conn)
            claimed: list[OutboxMessage] = []
            fresh: list[OutboxMessage] = []
            for row in candidates:
                free_at = budget.free_at(row)
                if free_at is not None:  # over a limit: wait, never drop
                    waits[free_at].append(row.id)
                    continue
                if row.claimed_until is not None and row.claimed_until >= claim.until:
                    claimed.append(row)  # a combined row, claimed as it was made
                elif row.claimed_until is None:
                    fresh.append(row)
                elif await self._take_expired(row, now, claim, conn):
                    claimed.append(row)
                else:
                    continue
                budget.spend(row)
            if fresh:
                await _CLAIM.count(tuple(r.id for r in fresh), claim.until)
                for row in fresh:
                    row.claimed_until = claim.until
                claimed.extend(fresh)
            await hold(waits, conn)
            claimed.sort(key=lambda r: (-r.priority, r.not_before, r.id))
            claim.held.update(r.id for r in claimed)
        return claimed, claim, full and bool(claimed or waits)

    async def _take_expired(self, row: OutboxMessage, now: datetime, claim: _Claim, conn: Any) -> bool:
        """A lease ran out without being released: its worker died, perhaps mid-send."""
        row.result = {**(row.result or {}), UNANSWERED: unanswered(row.result) + 1}
        row.last_error = "its worker stopped before hearing WeCom's answer"
        log.warning("outbox row %s: its worker's lease ran out; sending it again", row.id)
        taken = (
            await OutboxMessage.filter(Q(claimed_until__lte=now), id=row.id, status=PENDING)
            .using_db(conn)
            .update(claimed_until=claim.until, result=row.result, last_error=row.last_error)
        )
        row.claimed_until = claim.until
        return bool(taken)

    async def _combine(
        self,
        due: list[OutboxMessage],
        budget: RateBudget,
        now: datetime,
        claim: _Claim,
        waits: dict[datetime, list[int]],
        conn: Any,
    ) -> list[OutboxMessage]:
        """Each person's due app rows by their allowance: the rows to claim (a combined row among them)."""
        rule = combine.allowance()
        people: dict[str, list[OutboxMessage]] = defaultdict(list)
        out: list[OutboxMessage] = []
        for row in due:
            if row.kind == "app":
                people[row.target].append(row)
            else:
                out.append(row)
        for target, rows in people.items():
            recent = budget.notices_sent("app", target)  # what they said themselves is answered, never held
            plan = combine.plan(rows, recent, now, rule)
            out.extend(plan.alone)
            if plan.waiting and plan.wait_until is not None:
                waits[plan.wait_until].extend(r.id for r in plan.waiting)
            if plan.combined:
                more = await self._more_to_combine(target, plan.combined, rows, rule.largest, now, conn)
                out.append(await self._combined_row([*plan.combined, *more], now, claim, conn))
        return out

    @staticmethod
    async def _more_to_combine(
        target: str, combined: list[OutboxMessage], seen: list[OutboxMessage], largest: int, now: datetime, conn: Any
    ) -> list[OutboxMessage]:
        """The person's other due notices beyond this claim's batch go in the same combined message, so a
        flood reaches them in one message, not one per batch."""
        room = largest - len(combined)
        if room <= 0:
            return []
        rows = (
            await OutboxMessage.filter(
                claimed_until__isnull=True, status=PENDING, not_before__lte=now, kind="app", target=target
            )
            .exclude(id__in=[r.id for r in seen])
            .order_by("-priority", "not_before", "id")
            .limit(room)
            .select_for_update(skip_locked=True)
            .using_db(conn)
        )
        return [r for r in rows if combine.combinable(r)]

    async def _combined_row(self, rows: list[OutboxMessage], now: datetime, claim: _Claim, conn: Any) -> OutboxMessage:
        """One row sending `rows` as one message; they are marked combined into it, in the claim's transaction."""
        rows = sorted(rows, key=lambda r: (-r.priority, r.not_before, r.id))
        token = combine.new_token()
        message = combine.combined_message(rows, self.texts, token)
        payload = {**message.to_json(), "combined": [combine.item_entry(r) for r in rows]}
        row = await OutboxMessage.create(
            kind=message.to.channel,
            target=message.to.target,
            payload=payload,
            dedupe_key=f"{combine.KEY_PREFIX}{token}",
            not_before=now,
            created_at=now,
            priority=max(r.priority for r in rows),
            claimed_until=claim.until,
            using_db=conn,
        )
        await (
            OutboxMessage.filter(id__in=[r.id for r in rows], status=PENDING)
            .using_db(conn)
            .update(status=COMBINED, claimed_until=None, result={"combined_into": row.id})
        )
        metrics.SENDS.labels(row.kind, "combined").inc(len(rows))
        return row

    async def _renew(self, claim: _Claim) -> None:
        """The heartbeat: while this run sends, move its lease on so no other worker takes its rows."""
        while True:
            await asyncio.sleep(self.heartbeat)
            held = sorted(claim.held)
            if not held:
                continue
            until = self.clock.now() + self.lease
            try:
                await OutboxMessage.filter(id__in=held, status=PENDING, claimed_until=claim.until).update(
                    claimed_until=until
                )
                claim.until = until
                kept = set(await OutboxMessage.filter(id__in=held, claimed_until=until).values_list("id", flat=True))
            except Exception:  # the database is away: the lease may run out, and then another worker sends
                log.exception("outbox worker: renewing the lease failed")
                continue
            gone = (set(held) & claim.held) - kept  # still ours here, but the database gave it to another worker
            if gone:
                log.warning("outbox rows %s: the lease ran out while this worker held them", sorted(gone))
                claim.lost |= gone
                claim.held -= gone

    # -- sending -----------------------------------------------------------------------------------

    async def _send_in_order(self, rows: list[OutboxMessage], claim: _Claim) -> None:
        for index, row in enumerate(rows):
            if row.id in claim.lost:
                continue  # another worker holds it now
            if self.clock.now() > claim.until - self.margin:
                await self._release(rows[index:], self.clock.now(), claim)  # the lease is running out: let go
                return
            not_before = await self._send(row)
            claim.held.discard(row.id)
            if not_before is not None:  # it failed: the rest wait behind it, in order
                await self._release(rows[index + 1 :], not_before, claim)
                return

    async def _send(self, row: OutboxMessage) -> datetime | None:
        """Send one row; None when it is settled (sent, parked, dead, refused), else when it is due again."""
        outbound: Outbound | None = None
        try:
            outbound = Outbound.from_json(row.payload)
            if self.socket is not None and self._for_socket(row):
                result = await self.socket.deliver(outbound, idempotency_key(row))
            else:
                result = await deliver(self.api, outbound, idempotency_key=idempotency_key(row))
        except SocketUnavailable:  # it never went out: not an attempt; the next connection (or leader) sends it
            due = self.clock.now() + SOCKET_WAIT
            await OutboxMessage.filter(id=row.id).update(not_before=due, claimed_until=None)
            return due
        except ChannelError as exc:
            return await self._failed(row, outbound, exc)
        except (ValueError, KeyError, TypeError) as exc:  # the row itself is wrong: retrying cannot help
            log.error("outbox row %s cannot be sent: %s", row.id, exc)
            await self._bury(row, f"unsendable: {exc}", row.attempts + 1)
            return None
        except Exception as exc:
            log.exception("outbox row %s: unexpected error", row.id)
            return await self._failed(row, outbound, ChannelError(-3, f"{type(exc).__name__}: {exc}", row.kind))
        earlier = unanswered(row.result)
        await self.marks.mark(
            row,
            status=SENT,
            sent_at=self.clock.now(),
            result={**result, UNANSWERED: earlier} if earlier else result,
            last_error=row.last_error if earlier else "",  # kept: `unanswered_sends` finds the row by it
            only_if=PENDING,
        )
        metrics.SENDS.labels(row.kind, "sent").inc()
        await membership.note_left(
            membership.invalid_users(result),
            now=self.clock.now(),
            admins=self.admins,
            texts=self.texts,
            enqueue=enqueue,
        )
        return None

    def _for_socket(self, row: OutboxMessage) -> bool:
        return self.socket is not None and self.socket.takes(row.payload)

    async def _failed(self, row: OutboxMessage, outbound: Outbound | None, exc: ChannelError) -> datetime | None:
        now = self.clock.now()
        error = str(exc)
        if exc.errcode in membership.NOT_MEMBER_ERRORS and row.kind == "app":
            await membership.note_left(
                row.target.split("|"), now=now, admins=self.admins, texts=self.texts, enqueue=enqueue
            )
        if outbound is not None and single_use(outbound) and refused(exc):
            await self._refused(row, outbound, error)
            return None
        if exc.errcode in KF_WINDOW_ERRORS:
            await OutboxMessage.filter(id=row.id).update(status=PARKED, claimed_until=None, last_error=error)
            metrics.SENDS.labels(row.kind, "parked").inc()
            return None
        if exc.errcode in RATE_LIMITED:  # WeCom says wait: not the message's fault, not an attempt
            due = now + RATE_LIMIT_WAIT
            await OutboxMessage.filter(id=row.id).update(not_before=due, claimed_until=None, last_error=error)
            metrics.SENDS.labels(row.kind, "rate_limited").inc()
            return due
        attempts = row.attempts + 1
        if exc.errcode == TIMED_OUT:
            row.result = {**(row.result or {}), UNANSWERED: unanswered(row.result) + 1}
            doubt = " (no idempotency key: it may show twice)" if row.kind in NO_IDEMPOTENCY else ""
            log.warning(
                "outbox row %s (%s): %s; WeCom may have taken it, sending again%s", row.id, row.kind, error, doubt
            )
        if attempts >= self.max_attempts:
            await self._bury(row, error, attempts)
            return None
        due = now + min(BACKOFF_BASE * 2 ** (attempts - 1), BACKOFF_CAP)
        await OutboxMessage.filter(id=row.id).update(
            attempts=attempts, not_before=due, claimed_until=None, last_error=error, result=row.result
        )
        metrics.SENDS.labels(row.kind, "retry").inc()
        return due

    async def _refused(self, row: OutboxMessage, outbound: Outbound, error: str) -> None:
        """WeCom refused a single-use send: after an unanswered attempt it was that attempt that used the code
        (delivered); otherwise a card update gives way to its fresh card, and an AI-bot reply is dead."""
        now = self.clock.now()
        settled = OutboxMessage.filter(id=row.id, status=PENDING)
        if unanswered(row.result):
            log.info(
                "outbox row %s (%s): refused after an unanswered attempt, which got through: %s",
                row.id,
                row.kind,
                error,
            )
            await settled.update(
                status=SENT,
                sent_at=now,
                claimed_until=None,
                attempts=row.attempts + 1,
                last_error=error,
                result=row.result,
            )
            return
        if outbound.card_update is None:  # a response_url is used or expired: nothing can send it again
            await self._bury(row, error, row.attempts + 1)
            return
        fallback = row.payload.get("fallback")
        log.warning(
            "outbox row %s: WeCom refused the card update (%s); %s",
            row.id,
            error,
            "sending the fresh card instead" if fallback else "nothing to send instead",
        )
        async with in_transaction():
            await settled.update(status=REFUSED, claimed_until=None, attempts=row.attempts + 1, last_error=error)
            metrics.SENDS.labels(row.kind, "refused").inc()
            if fallback is not None:
                key = row.payload.get("fallback_key") or f"{FALLBACK_PREFIX}{row.id}"
                await enqueue(Outbound.from_json(fallback), now=now, dedupe_key=key)

    async def _bury(self, row: OutboxMessage, error: str, attempts: int) -> None:
        """Give up on a row and tell the admins, in one transaction."""
        now = self.clock.now()
        log.warning("outbox row %s dead after %s attempts: %s", row.id, attempts, error)
        metrics.SENDS.labels(row.kind, "dead").inc()
        async with in_transaction():
            await OutboxMessage.filter(id=row.id).update(
                status=DEAD, attempts=attempts, claimed_until=None, last_error=error, result=row.result
            )
            if (row.dedupe_key or "").startswith(DEAD_ALERT_PREFIX):
                return  # an alert about a dead alert would loop
            text = self.texts.render(
                "outbox.dead_letter", id=row.id, channel=row.kind, target=row.target, attempts=attempts, error=error
            )
            for admin in self.admins:
                await enqueue(
                    Outbound(to=Address("app", admin), text=text),
                    now=now,
                    dedupe_key=f"{DEAD_ALERT_PREFIX}{row.id}:{admin}",
                )

    async def _release(self, rows: list[OutboxMessage], not_before: datetime, claim: _Claim) -> None:
        for row in rows:
            if row.id in claim.lost:
                continue
            await OutboxMessage.filter(id=row.id, status=PENDING).update(
                claimed_until=None, not_before=max(not_before, row.not_before)
            )
            claim.held.discard(row.id)


def idempotency_key(row: OutboxMessage) -> str:
    """WeCom's idempotency key for a row (kf msgid: at most 32 of [0-9a-zA-Z_-], unique per kf account).

    The creation time keeps it unique even if the database is ever started afresh and ids repeat.
    """
    return f"gw{row.id}-{int(row.created_at.timestamp())}"


def _due(*, from_least: bool) -> Shape[OutboxMessage]:
    """Due rows, urgent first, that no live claim holds (those of priority `least` and up, `from_least`)."""

    def build(now: datetime, limit: int, least: int = NORMAL) -> QuerySet[OutboxMessage]:
        return (
            OutboxMessage.filter(
                Q(claimed_until__isnull=True) | Q(claimed_until__lte=now),
                status=PENDING,
                not_before__lte=now,
                **({"priority__gte": least} if from_least else {}),
            )
            .order_by("-priority", "not_before", "id")
            .limit(limit)
            .select_for_update(skip_locked=True)
        )

    return Shape(build)


# Every claim reads the due rows and takes the fresh ones: the queries' text is built once (models/shapes.py).
_DUE, _DUE_FROM = _due(from_least=False), _due(from_least=True)
_CLAIM: Shape[OutboxMessage] = Shape(
    lambda ids, until: OutboxMessage.filter(id__in=ids, status=PENDING).update(claimed_until=until)
)
