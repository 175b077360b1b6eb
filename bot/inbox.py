"""The inbox: where every inbound message is stored before WeCom gets its 200, and the worker that drains it.

`record()` is the channels' one write: a single INSERT keyed by (channel, message key); a retried
callback hits the unique key and changes nothing. `InboxWorker` hands pending rows to the dispatcher
after the answer has gone out; at start it finds the rows a crash left pending.

Several rows are handled at once (`workers`), in lanes: one lane per conversation and sender, whose rows
go one after the other in arrival order, so what one person says in one chat is handled in the order
they said it. Lanes holding an urgent message (`urgent(payload)`) are started first, so in a backlog an
urgent matter overtakes the ordinary ones (the earlier messages of its own lane still go before it). One
stored while a pass is under way joins that pass at once (`Pass.overtake`): its lane goes next, so it waits
for the lanes already started, not for the rest of the pass — unless fewer rows than the workers take in one
round are left, when the next pass, right after, reads it with the rest of the backlog and puts it first.
With several processes on one PostgreSQL database each lane is handled by whichever process takes its
row first: a process that finds a row held by another leaves the rest of that lane to it for this pass.
In a backlog a worker takes the next lanes whole, up to ROWS_PER_TRANSACTION rows (URGENT_ROWS_PER_TRANSACTION
when the first lane holds an urgent row), and has them handled in one transaction (`process_lanes`): a commit,
the reads and the writes of the inbox rows once for all of them.
The shorter the backlog, the fewer rows share a transaction (`rows_together`): a lane to itself when it is
short, so that in steady traffic no message's answer waits for the other messages of its transaction.
When that fails, nothing of it was written and each of its rows is handled alone, as without a backlog.
Whenever a pass finds nothing pending, the work the handlers left for after a backlog (`after_drain`: the matters
answered in it, sent on) runs, a few at a time, with the inbox read again between them.

A message WeCom wants answered within seconds (`Inbound.timely`: an AI-bot card click or chat entry) is not
queued behind a backlog at all: `stored()` hands it to a task of its own at once. The dispatcher takes each
row once, whoever asks first, so the pass that later reads it pending finds it done.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Collection
from typing import Any, NamedTuple

from bot.channels.types import Inbound
from bot.clock import Clock
from bot.gathered import Gathered
from bot.wakeup import stop_task, wait_for_event
from models import InboxMessage
from models.area_cache import areas_cached
from models.inserts import insert_each_keyed, insert_unless_there

log = logging.getLogger(__name__)

# Handles one row; False: someone else holds it right now (left to them), anything else: it is done.
Process = Callable[[int], Awaitable[bool | None]]
# Handles several lanes' rows in one transaction: per row True (done) or False (held by another); raises (and
# has written nothing) when any of them fails, and then each row is handled alone through `Process`.
ProcessLanes = Callable[[list[list[int]]], Awaitable[dict[int, bool]]]
Urgent = Callable[[dict[str, Any]], bool]
# Work left for when nothing is pending (Dispatcher.after_backlog); how much it did (0: nothing waits).
AfterDrain = Callable[[], Awaitable[int]]

MAX_ATTEMPTS = 5  # a row the dispatcher fails on this often is parked as failed, not retried for ever
BATCH = 500  # rows read per pass: how far ahead an urgent message is seen in a backlog
WORKERS = 4  # lanes handled at once (PostgreSQL's pool runs them side by side; SQLite takes them in turn)
ROWS_PER_TRANSACTION = 24  # a backlog's rows handled together (ProcessLanes): one commit for several messages
# On SQLite (in-process, statements cheap) more rows a transaction saved nothing in a flood and held its one
# connection longer, so callbacks' inserts and an urgent row waited longer; on PostgreSQL a transaction's own
# round trips (BEGIN, the take, the batch readers, the answers, the done mark, COMMIT) shared by 24 rows instead
# of 8, with one read fewer built by the ORM, gave about 4 % more answers a second in a flood and 5 % less
# CPU a villager (ten pairs, in turn the other way round: bench/RESULTS.md).
SQLITE_ROWS_PER_TRANSACTION = 8
URGENT_ROWS_PER_TRANSACTION = 8  # a transaction that begins with an urgent lane: its answers wait for fewer rows
TRANSACTIONS_PER_PASS = 8  # a pass over fewer than this many times ROWS_PER_TRANSACTION rows shares commits less
POLL_SECONDS = 5.0  # also pick up rows stored by another process on the same database
BUSY_SECONDS = 0.5  # a pass that left rows to another process looks again this soon (if it died, they are ours)
DONE, FAILED, BUSY = "done", "failed", "busy"  # what became of a row in a pass


async def record(inbound: Inbound, key: str, *, status: str = "pending", error: str = "") -> int | None:
    """Store one inbound message; its row id, or None when this (channel, key) is already stored.

    One statement (models/inserts.py): a duplicate writes nothing and raises nothing, so inside a caller's
    transaction it leaves that PostgreSQL transaction usable, and outside one no BEGIN/COMMIT is needed.
    """
    row = _row(inbound, key, status, error)
    return row.id if await insert_unless_there(row) else None


def _row(inbound: Inbound, key: str, status: str, error: str) -> InboxMessage:
    return InboxMessage(
        channel=inbound.channel,
        message_key=key[:160],
        payload=inbound.to_json(),
        status=status,
        error=error,
        received_at=inbound.received_at,
    )


class Intake:
    """The channels' inbox rows, written together (bot/gathered.py): the callbacks that arrive in one turn of
    the event loop are stored by one statement — a commit, and on SQLite an fsync, for all of them instead of
    one each — and each 200 still follows its own row's commit. Outside a transaction only: a caller inside
    one uses `record`."""

    def __init__(self) -> None:
        self._stored: Gathered[InboxMessage, int | None] = Gathered(_store_all, "inbox-intake")

    @property
    def statements(self) -> int:
        return self._stored.calls

    async def record(self, inbound: Inbound, key: str) -> int | None:
        """As `record`: the row id, or None when this (channel, key) is already stored."""
        return await self._stored(_row(inbound, key, "pending", ""))


async def _store_all(rows: list[InboxMessage]) -> list[int | None]:
    return await insert_each_keyed(rows, ("channel", "message_key"))


def mark_done(clock: Clock) -> Process:
    """A stand-in for the dispatcher that accepts each row and does nothing with it (intake tests, benchmarks)."""

    async def process(row_id: int) -> None:
        await InboxMessage.filter(id=row_id, status="pending").update(status="done", processed_at=clock.now())

    return process


class InboxWorker:
    """One asyncio task: process pending inbox rows in arrival order through `process(row_id)`.

    `notify()` wakes it (the channels call it after storing a row); `until_idle()` lets tests and the
    demo wait until everything stored so far has been handled, without sleeping.
    """

    def __init__(
        self,
        process: Process,
        clock: Clock,
        *,
        poll_seconds: float = POLL_SECONDS,
        workers: int = WORKERS,
        urgent: Urgent | None = None,
        process_lanes: ProcessLanes | None = None,
        rows_per_transaction: int = ROWS_PER_TRANSACTION,
        after_drain: AfterDrain | None = None,
    ) -> None:
        self.process = process
        self.after_drain = after_drain
        self.process_lanes = process_lanes
        self.rows_per_transaction = max(1, rows_per_transaction)
        self.clock = clock
        self.poll_seconds = poll_seconds
        self.workers = max(1, workers)
        self.urgent = urgent or (lambda payload: False)
        self.processed = 0
        self.largest_backlog = 0  # the most rows one pass found pending (GET /healthz shows it)
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._failures: dict[int, int] = {}
        self._rushing: set[asyncio.Task[None]] = set()  # timely rows being handled outside the passes
        self.intake = Intake()  # how the callbacks store their rows (then `stored` wakes this worker)
        self._left = False  # the last pass left rows to another process
        self._pass: Pass | None = None  # the lanes of the pass under way, for an urgent newcomer to join
        self.overtakings = 0  # urgent rows that joined a pass under way

    def notify(self) -> None:
        self._idle.clear()
        self._wake.set()

    def stored(self, row_id: int, inbound: Inbound) -> None:
        """A channel stored this row: a timely one is handled at once, beside the passes; the rest wake them,
        and an urgent one joins the pass under way, next."""
        if not (inbound.timely and self._task is not None):
            if self._pass is not None:  # whether it is urgent is read once the callback has its answer
                asyncio.get_running_loop().call_soon(self._join, row_id, inbound)
            self.notify()
            return
        rushing = asyncio.get_running_loop().create_task(self._rush(row_id), name=f"inbox-rush-{row_id}")
        self._rushing.add(rushing)
        rushing.add_done_callback(self._rushing.discard)

    def _join(self, row_id: int, inbound: Inbound) -> None:
        """An urgent row goes next in a pass with rows still waiting for a round of the workers; a pass nearly
        done ends soon, and the next one reads it with the rest of the backlog and puts its lane first. (Joined
        one by one to a pass begun on a short backlog, a flood's urgent rows were handled a transaction each,
        the pass going on for as long as they came, and the ordinary rows waiting outside it.)"""
        running = self._pass
        if running is None or running.waiting < self.workers * self.rows_per_transaction:
            return
        if self.urgent({"kind": inbound.kind, "text": inbound.text}):  # as its row reads
            key = lane_key(inbound.channel, inbound.conversation, inbound.sender, row_id)
            self.overtakings += running.overtake(key, row_id)

    async def _rush(self, row_id: int) -> None:
        if await self._one(row_id) != DONE:
            self.notify()  # left pending: the passes retry it

    async def until_idle(self) -> None:
        while True:
            await self._idle.wait()
            if not self._rushing:
                return
            await asyncio.wait(set(self._rushing))

    def start(self) -> None:
        self.notify()  # the first pass picks up what a crash left pending
        self._task = asyncio.get_running_loop().create_task(self._run(), name="inbox-worker")

    async def stop(self) -> None:
        task, self._task = self._task, None
        await stop_task(task)
        for rushing in list(self._rushing):  # an unfinished one stays pending: the next start handles it
            await stop_task(rushing)

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                await self.drain()
            except asyncio.CancelledError:
                raise
            except Exception:  # the database went away for a moment: try again on the next wake-up
                log.exception("inbox worker: reading pending rows failed")
            if not (self._wake.is_set() or self._left):  # rows left to another process: not idle until they are done
                self._idle.set()
            await wait_for_event(self._wake, BUSY_SECONDS if self._left else self.poll_seconds)

    async def drain(self) -> int:
        """Process every row pending now, each at most once per pass; returns how many succeeded."""
        handled = 0
        failed: set[int] = set()
        self._left = False
        after: dict[tuple[str, object], object] = {}  # what after_drain read, shared by its rounds in this drain
        while True:
            rows = await (
                InboxMessage.filter(status="pending")
                .exclude(id__in=failed or [0])
                .order_by("id")
                .limit(BATCH)
                .values_list("id", "payload")
            )
            if not rows:
                if self.after_drain is not None:
                    with areas_cached(after):  # as a pass's messages, what it sends on shares the areas' reads
                        more = await self.after_drain()
                    if more:
                        continue  # more of it may wait; a message stored meanwhile is handled first
                return handled
            self.largest_backlog = max(self.largest_backlog, len(rows))
            with areas_cached():  # the burst's messages share their areas' reads (models/area_cache.py)
                results = await self._lanes(*lanes(rows, self.urgent))
            handled += sum(1 for outcome in results.values() if outcome == DONE)
            # Retried on a later pass: a failed row and its lane; a row another process holds and its lane.
            failed.update(row_id for row_id, outcome in results.items() if outcome != DONE)
            self._left = self._left or BUSY in results.values()

    async def _lanes(self, ordered: list[Lane], pressing: Collection[LaneKey] = ()) -> dict[int, str]:
        """Run the lanes, `workers` at a time, in the order given; each lane's rows one after the other.
        A row that fails, or that another process holds, stops its lane for this pass: the lane's later rows
        wait behind it. `pressing`: the lanes holding an urgent row, whose transactions stay small."""
        results: dict[int, str] = {}
        self._pass = running = Pass(ordered, pressing)
        most = (
            rows_together(sum(len(ids) for _, ids in ordered), self.rows_per_transaction) if self.process_lanes else 1
        )
        most_urgent = min(most, URGENT_ROWS_PER_TRANSACTION)

        async def worker() -> None:
            while group := running.take(most, most_urgent):  # the next lanes, as many as fit in one transaction
                if sum(map(len, group)) > 1 and (together := await self._together(group)) is not None:
                    results.update(together)
                    continue
                for lane in group:  # one by one: a failing row is answered alone and stops only its own lane
                    for row_id in lane:
                        outcome = results[row_id] = await self._one(row_id)
                        if outcome != DONE:
                            for later in lane[lane.index(row_id) + 1 :]:
                                results[later] = outcome
                            break

        try:
            await asyncio.gather(*(worker() for _ in range(min(self.workers, len(ordered)))))
        finally:
            self._pass = None
        return results

    async def _together(self, group: list[list[int]]) -> dict[int, str] | None:
        """The lanes' rows in one transaction; None when it was undone (then they are handled one by one)."""
        if self.process_lanes is None:
            return None
        try:
            outcomes = await self.process_lanes(group)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # not an attempt of any row: each is now tried alone, and counted there
            log.info("inbox rows %s: handled one by one after %s: %s", group, type(exc).__name__, exc)
            return None
        results = {row_id: DONE if done else BUSY for row_id, done in outcomes.items()}
        for row_id, outcome in results.items():
            if outcome == DONE:
                self._failures.pop(row_id, None)
                self.processed += 1
        return results

    async def _one(self, row_id: int) -> str:
        try:
            if await self.process(row_id) is False:
                return BUSY
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            failures = self._failures[row_id] = self._failures.get(row_id, 0) + 1
            log.exception("inbox row %s: processing failed (%s of %s)", row_id, failures, MAX_ATTEMPTS)
            if failures >= MAX_ATTEMPTS:
                await InboxMessage.filter(id=row_id, status="pending").update(
                    status="failed",
                    attempts=failures,
                    error=f"{type(exc).__name__}: {exc}"[:2000],
                    processed_at=self.clock.now(),
                )
                self._failures.pop(row_id, None)
            return FAILED
        self._failures.pop(row_id, None)
        self.processed += 1
        return DONE


def rows_together(backlog: int, most: int) -> int:
    """How many rows a transaction takes in a pass over `backlog` rows: `most` in a flood, fewer as the backlog
    shortens, one at a time when it is short. A transaction's rows are answered when the last of them is done,
    and on SQLite every other write (a callback's row, the outbox's claims) waits for its commit: a short
    backlog gains little from sharing a commit and its messages would wait for each other."""
    return max(1, min(most, backlog // TRANSACTIONS_PER_PASS))


LaneKey = tuple[str, str, str]


def lane_key(channel: str, conversation: str, sender: str, row_id: int) -> LaneKey:
    """Whose lane a row is in: one per channel, conversation and sender; a row with no sender (an event) is a
    lane of its own."""
    return (channel, conversation, sender or f"#{row_id}")


Lane = tuple[LaneKey, list[int]]  # a lane's key and its rows in order


class Lanes(NamedTuple):
    ordered: list[Lane]  # the lanes holding an urgent message first, then by their oldest row
    pressing: set[LaneKey]  # the lanes holding an urgent message


def lanes(rows: list[tuple[int, Any]], urgent: Urgent) -> Lanes:
    """Pending (id, payload) rows, oldest first, as lanes with their keys — one per channel, conversation and
    sender, in arrival order — with the lanes holding an urgent message first, then by their oldest row."""
    by_key: dict[LaneKey, list[int]] = defaultdict(list)
    pressing: set[LaneKey] = set()
    for row_id, payload in rows:
        data = payload if isinstance(payload, dict) else {}
        key = lane_key(
            str(data.get("channel", "")), str(data.get("conversation", "")), str(data.get("sender", "")), row_id
        )
        by_key[key].append(row_id)
        if key not in pressing and urgent(data):
            pressing.add(key)
    return Lanes(sorted(by_key.items(), key=lambda item: (item[0] not in pressing, item[1][0])), pressing)


class Pass:
    """The lanes of one pass, taken next first; an urgent row stored meanwhile joins it (`overtake`)."""

    def __init__(self, ordered: list[Lane], pressing: Collection[LaneKey] = ()) -> None:
        self._queue = list(reversed(ordered))  # the next lane last: popped
        self._pressing = set(pressing)  # lanes holding an urgent row
        self._waiting = dict(ordered)  # lanes not yet taken, by key
        self._taken: set[LaneKey] = set()
        self._rows = {row_id for _, ids in ordered for row_id in ids}

    @property
    def waiting(self) -> int:
        """Rows of lanes not yet taken."""
        return sum(map(len, self._waiting.values()))

    def take(self, most: int, most_urgent: int | None = None) -> list[list[int]]:
        """The next lane, and the lanes after it while their rows fit in `most` — in `most_urgent` when the
        next lane holds an urgent row, so its answer does not wait for a large transaction; [] when none is
        left."""
        if most_urgent is not None and self._queue and self._queue[-1][0] in self._pressing:
            most = min(most, most_urgent)
        group: list[list[int]] = []
        while self._queue and (not group or sum(map(len, group)) + len(self._queue[-1][1]) <= most):
            key, ids = self._queue.pop()
            del self._waiting[key]
            self._taken.add(key)
            group.append(ids)
        return group

    def overtake(self, key: LaneKey, row_id: int) -> bool:
        """An urgent row goes next: at the end of its lane if that lane is still waiting (its earlier rows go
        first), else in a lane of its own. Not when its lane was already taken (the next pass has it, after
        them) or it is in this pass already."""
        if row_id in self._rows or key in self._taken:
            return False
        ids = self._waiting.get(key)
        if ids is None:
            ids = self._waiting[key] = []
        else:
            self._queue.remove((key, ids))
        ids.append(row_id)
        self._queue.append((key, ids))
        self._rows.add(row_id)
        self._pressing.add(key)
        return True
