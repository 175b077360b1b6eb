"""The AI bot over WeCom's WebSocket long connection (protocol notes §2.7): the service dials out.

One process per bot holds the socket: the leader under a PostgreSQL advisory lock on a connection of its
own, as the scheduler elects its leader (on SQLite there is one process, the leader). The others try
again every `elect_seconds`, so one takes over within seconds when the leader dies; none dials while
the leader lives, so none displaces it.

The leader subscribes first, pings every `ping_seconds` (two unanswered pings: the connection is dead),
and reconnects with exponential back-off and jitter. Every pushed message or event is stored in the inbox
(keyed by msgid, so a frame pushed again after a reconnect is one row) before anything else; the
dispatcher handles it as it handles the callback mode's, and its answer goes through the outbox, whose
worker hands what must go over the socket to `deliver` here (the leader's) — other processes leave such
rows to the leader. Each frame we send waits for WeCom's acknowledgement; one req_id's frames go one
after another.

When WeCom says another connection took the bot over (`disconnected_event`) while we still hold the
lock, that connection is not ours: the leader records the bot as displaced (so no process dials back),
gives up the lock, stands by, and the admins are told. `gridwhistle aibot resume` (or a restart) brings it
back: the processes ask for the lock again and one dials. The state every process
reads for /healthz and /metrics is the bot's `AibotLink` row.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import socket
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import aiohttp
import asyncpg

from bot.channels import aibot_frames as frames
from bot.channels.envelope import BadPayload
from bot.channels.senders import AIBOT_LIMIT, card_as_markdown, template_card
from bot.channels.types import Inbound, Outbound
from bot.channels.wecom_api import TIMED_OUT, split_utf8
from bot.clock import Clock
from config.errors import ChannelError
from config.settings import AibotSettings
from models import AibotLink
from models.aibot_link import resume
from models.locks import is_postgres, lock_key

log = logging.getLogger(__name__)

ACK_TIMEOUT = 5.0  # seconds WeCom's peers wait for the answer to a frame
SUBSCRIBE_TIMEOUT = 10.0
STORE_RETRY = 1.0  # seconds before storing a frame again when the database refused it
STOP_STORING = 5.0  # seconds a stopping service waits for the frames it read to be stored
BACKOFF_FIRST, BACKOFF_CAP = 1.0, 30.0
MISSED_PINGS = 2
LINK_WRITE_EVERY = timedelta(seconds=5)  # the last frame's time reaches the database at most this often
NOT_CONNECTED = -5  # our code: this process has no socket right now (the row waits for the leader)

Store = Callable[[Inbound, str], Awaitable[bool]]  # commit an inbox row; False when already stored
Alert = Callable[[str, str, dict[str, Any]], Awaitable[None]]  # (dedupe key, replies.toml key, params)


class Displaced(Exception):
    """WeCom closed this connection because another one subscribed for the bot."""


class SocketUnavailable(ChannelError):
    """No live socket in this process: the row is left for the leader, or for the next connection."""


@dataclass
class LinkStatus:
    """What /healthz and /metrics say about the long connection (read from the database)."""

    state: str
    up_since: datetime | None
    reconnects: int
    last_frame_at: datetime | None
    down_since: datetime | None
    holder: str

    @property
    def up(self) -> bool:
        return self.state == "up"


async def link_status(bot_id: str) -> LinkStatus | None:
    row = await AibotLink.get_or_none(bot_id=bot_id)
    if row is None:
        return None
    return LinkStatus(row.state, row.up_since, row.reconnects, row.last_frame_at, row.down_since, row.holder)


class Leadership:
    """The advisory lock `gridwhistle.aibot_ws:<bot_id>` on a connection of our own (SQLite: always ours)."""

    def __init__(self, database_url: str, bot_id: str) -> None:
        self.url = database_url
        self.key = lock_key(f"gridwhistle.aibot_ws:{bot_id}")
        self._conn: asyncpg.Connection | None = None

    @property
    def held(self) -> bool:
        if not is_postgres(self.url):
            return True
        return self._conn is not None and not self._conn.is_closed()

    async def try_lead(self) -> bool:
        if not is_postgres(self.url):
            return True
        if self._conn is not None:
            try:
                await self._conn.fetchval("SELECT 1")
                return True
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("aibot socket: lost the leader's database connection: %s", exc)
                await self.release()
        try:
            conn = await asyncpg.connect(self.url)
        except (OSError, asyncpg.PostgresError) as exc:
            log.warning("aibot socket: cannot reach the database to elect a leader: %s", exc)
            return False
        if await conn.fetchval("SELECT pg_try_advisory_lock($1)", self.key):
            self._conn = conn
            log.info("this process now holds the AI bot's long connection")
            return True
        await conn.close()
        return False

    async def release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None and not conn.is_closed():
            try:
                await conn.close()  # the lock goes with the session
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                conn.terminate()


class AibotSocket:
    """The long connection of one AI bot; `start()` runs it in the background, `stop()` ends it.

    store: commits one inbox row (the channels' one write), then wakes the inbox worker.
    alert: queues a message to the admins (the displacement, an outage longer than outage_alert_seconds).
    backoff: (first, cap) seconds between reconnects, doubled each time, with jitter.
    """

    def __init__(
        self,
        settings: AibotSettings,
        clock: Clock,
        session: aiohttp.ClientSession,
        *,
        database_url: str,
        store: Store,
        alert: Alert,
        backoff: tuple[float, float] = (BACKOFF_FIRST, BACKOFF_CAP),
        ack_timeout: float = ACK_TIMEOUT,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.session = session
        self.store = store
        self.alert = alert
        self.backoff = backoff
        self.ack_timeout = ack_timeout
        self.rng = rng or random.Random()
        self.leadership = Leadership(database_url, settings.bot_id)
        self.holder = f"{socket.gethostname()}:{os.getpid()}"
        self.displaced = False
        self.frames_in = 0  # pushed callbacks received by this process (benchmarks, tests)
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._pending: dict[str, asyncio.Future[frames.Frame]] = {}
        self._in_order: dict[str, asyncio.Lock] = {}
        self._queued: dict[str, int] = {}  # frames of each req_id sent or waiting their turn
        self._task: asyncio.Task[None] | None = None
        self._up = asyncio.Event()
        self._link_written: datetime | None = None
        # Pushed frames read off the socket and not yet stored, timely ones (welcomes, clicks) first: the reader
        # never waits for the database, so acknowledgements and a welcome are not stuck behind a burst of pushes.
        self._arrivals: deque[tuple[Inbound, str]] = deque()
        self._arrived = asyncio.Event()
        self._storing: asyncio.Task[None] | None = None

    # -- what the outbox worker asks ----------------------------------------------------------------

    @property
    def ready(self) -> bool:
        """This process holds the socket and it is open: rows for the socket may be sent from here."""
        return self._ws is not None and not self._ws.closed and self.leadership.held

    def takes(self, payload: dict[str, Any]) -> bool:
        """Whether this outbox row (an Outbound's JSON) goes over the socket, not WeCom's HTTP API.

        Answers to long-connection messages and clicks (their reply handles), and in long-connection mode
        the cards for members: without the app's callback URL only the AI bot's cards can be clicked.
        """
        to = payload.get("to") or {}
        if to.get("channel") == "aibot" and frames.is_handle(str(to.get("target") or "")):
            return True
        update = payload.get("card_update")
        if isinstance(update, dict) and frames.is_handle(str(update.get("response_code") or "")):
            return True
        return bool(
            self.settings.long_connection
            and to.get("channel") == "app"
            and payload.get("card") is not None
            and update is None
        )

    async def deliver(self, outbound: Outbound, idempotency_key: str) -> dict[str, Any]:
        """Send one Outbound over the socket; what the outbox remembers. Raises ChannelError."""
        if not self.ready:
            raise SocketUnavailable(NOT_CONNECTED, "the long connection is not up in this process", "aibot_ws")
        now = self.clock.now()
        update = outbound.card_update or {}
        if frames.is_handle(str(update.get("response_code") or "")):
            return await self._update_card(outbound, frames.read_handle(update["response_code"]))
        if outbound.to.channel == "aibot":
            handle = frames.read_handle(outbound.to.target)
            body = _message_body(outbound)
            if handle.verb == "welcome":
                await self.request(frames.RESPOND_WELCOME, handle.req_id, body)
                return {"req_id": handle.req_id}
            if handle.verb == "respond" and handle.valid(now):
                await self.request(frames.RESPOND, handle.req_id, body)
                return {"req_id": handle.req_id}
            return await self._push(handle.chatid, handle.chat_type, body, f"{idempotency_key}-0")
        # A card for members, each in their 1:1 chat with the bot (req_ids from the row's key: traceable).
        assert outbound.card is not None
        body = {"msgtype": "template_card", "template_card": template_card(outbound.card)}
        req_ids = []
        for index, userid in enumerate(u for u in outbound.to.target.split("|") if u):
            answer = await self._push(userid, frames.SINGLE, body, f"{idempotency_key}-{index}")
            req_ids.append(answer["req_id"])
        return {"req_ids": req_ids, "task_id": outbound.card.task_id}

    async def _push(self, chatid: str, chat_type: int, body: dict[str, Any], req_id: str) -> dict[str, Any]:
        await self.request(frames.SEND, req_id, {"chatid": chatid, "chat_type": chat_type, **body})
        return {"req_id": req_id}

    async def _update_card(self, outbound: Outbound, handle: frames.Handle) -> dict[str, Any]:
        """Replace the clicked card (within WeCom's 5 s of the click): the AI bot takes a whole card."""
        update = outbound.card_update or {}
        if outbound.card is not None:
            card = template_card(outbound.card, replace_text=str(update.get("replace_text", "")))
        else:  # a button renamed: the card becomes its one greyed button
            name = str(update.get("replace_name") or "")
            card = {
                "card_type": "button_interaction",
                "main_title": {"title": name},
                "task_id": handle.req_id[:128],
                "button_list": [{"text": name, "style": 2, "key": "done"}],
            }
        userids = [u for u in outbound.to.target.split("|") if u]
        body = {"response_type": "update_template_card", "userids": userids, "template_card": card}
        await self.request(frames.RESPOND_UPDATE, handle.req_id, body)
        return {"req_id": handle.req_id}

    async def request(self, cmd: str, req_id: str, body: dict[str, Any] | None = None) -> frames.Frame:
        """Send one frame and wait for WeCom's answer to it; one req_id's frames go one after another."""
        lock = self._in_order.setdefault(req_id, asyncio.Lock())
        self._queued[req_id] = self._queued.get(req_id, 0) + 1
        try:
            async with lock:
                return await self._request(cmd, req_id, body)
        finally:
            self._queued[req_id] -= 1
            if not self._queued[req_id]:  # the last frame of this req_id: forget its lock
                del self._queued[req_id], self._in_order[req_id]

    async def _request(self, cmd: str, req_id: str, body: dict[str, Any] | None) -> frames.Frame:
        ws = self._ws
        if ws is None or ws.closed:
            raise SocketUnavailable(NOT_CONNECTED, "the long connection is down", cmd)
        answer: asyncio.Future[frames.Frame] = asyncio.get_running_loop().create_future()
        self._pending[req_id] = answer
        try:
            try:
                await ws.send_str(frames.encode(cmd, req_id, body))
            except (ConnectionError, aiohttp.ClientError, RuntimeError) as exc:
                raise SocketUnavailable(NOT_CONNECTED, f"the connection closed: {exc}", cmd) from None
            try:
                async with asyncio.timeout(self.ack_timeout):
                    ack = await answer
            except TimeoutError:
                raise ChannelError(TIMED_OUT, f"no answer within {self.ack_timeout} s", cmd) from None
        finally:
            if self._pending.get(req_id) is answer:
                del self._pending[req_id]
        if ack.errcode:
            raise ChannelError(ack.errcode, ack.errmsg, cmd)
        return ack

    # -- running --------------------------------------------------------------------------------------

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._storing = loop.create_task(self._store_arrivals(), name="aibot-socket-store")
        self._task = loop.create_task(self.run(), name="aibot-socket")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
        await self._close()
        await self._finish_storing()
        if self.leadership.held and not self.displaced:
            try:
                await self._write_link(state="down", down_since=self.clock.now())
            except Exception as exc:  # stopping with the database away: the next leader writes its own state
                log.warning("aibot socket: could not record the connection's end: %s", exc)
        await self.leadership.release()

    async def until_up(self) -> None:
        await self._up.wait()

    async def run(self) -> None:
        """Elect, connect, serve, reconnect — until cancelled; while displaced, nobody dials."""
        failures = 0
        while True:
            if not await self._may_dial():
                await asyncio.sleep(self.settings.elect_seconds)
                continue
            try:
                served = await self._connect_and_serve()
            except Displaced:
                # Displaced by a stranger: no process dials until `gridwhistle aibot resume` (or a restart)
                # clears it, and this loop stands by like the others. Or it was our successor: the same.
                await self._give_up()
                served = True
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # refused, unreachable, dropped: try again after a while
                log.warning("aibot socket: %s: %s", type(exc).__name__, exc)
                served = False
            finally:
                await self._close()
            failures = 0 if served else failures + 1
            if self.leadership.held:  # (after a handover the row is our successor's to write)
                try:
                    await self._went_down()
                except Exception:
                    log.exception("aibot socket: recording the outage failed")
            await asyncio.sleep(self._delay(failures))

    def _delay(self, failures: int) -> float:
        """Back-off with full jitter: 1 s doubling to the cap; right after a connection that worked, soon."""
        first, cap = self.backoff
        ceiling = min(cap, first * 2 ** max(0, failures - 1))
        return ceiling * (0.5 + self.rng.random() / 2)

    async def _may_dial(self) -> bool:
        try:
            row = await AibotLink.get_or_none(bot_id=self.settings.bot_id)
        except Exception as exc:  # the database is away: nobody may dial blind
            log.warning("aibot socket: cannot read the link state: %s", exc)
            return False
        if row is not None and row.state == "displaced":
            return False  # another connection holds the bot: dialling back would kick it, and it us
        return await self.leadership.try_lead()

    async def _connect_and_serve(self) -> bool:
        """One connection's life; True when it subscribed (so the next reconnect comes soon)."""
        ws = await self.session.ws_connect(self.settings.ws_url, heartbeat=None, autoping=True)
        self._ws = ws
        req_id, frame = frames.subscribe(self.settings.bot_id, self.settings.secret)
        await ws.send_str(frame)
        async with asyncio.timeout(SUBSCRIBE_TIMEOUT):
            first = await self._next_frame(ws)
        if first is None or not first.is_ack or first.req_id != req_id:
            raise ConnectionError("no answer to the subscription")
        if first.errcode:
            raise ConnectionError(f"subscription refused: errcode {first.errcode} {first.errmsg}")
        await self._came_up()
        pinging = asyncio.get_running_loop().create_task(self._ping(ws), name="aibot-socket-ping")
        try:
            while True:
                frame_in = await self._next_frame(ws)
                if frame_in is None:
                    log.warning("aibot socket: the connection closed")
                    return True
                await self._on_frame(frame_in)
        finally:
            pinging.cancel()
            await asyncio.wait([pinging])

    async def _next_frame(self, ws: aiohttp.ClientWebSocketResponse) -> frames.Frame | None:
        while True:
            message = await ws.receive()
            if message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING):
                return None
            if message.type == aiohttp.WSMsgType.ERROR:
                return None
            if message.type not in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                continue
            try:
                return frames.decode(message.data)
            except BadPayload as exc:
                log.warning("aibot socket: an unreadable frame (%s) ignored", exc)

    async def _on_frame(self, frame: frames.Frame) -> None:
        now = self.clock.now()
        await self._note_frame(now)
        if frame.is_ack:
            waiting = self._pending.get(frame.req_id)
            if waiting is not None and not waiting.done():
                waiting.set_result(frame)
            return
        if frame.cmd == frames.EVENT_CALLBACK and frames.event_type(frame) == frames.DISCONNECTED:
            raise Displaced()
        if frame.cmd not in (frames.MSG_CALLBACK, frames.EVENT_CALLBACK):
            log.info("aibot socket: ignoring a %r frame", frame.cmd)
            return
        self.frames_in += 1
        parsed = frames.to_inbound_frame(frame, now, bot_name=self.settings.name)
        if parsed is None:
            log.info("aibot socket: ignoring %s", frames.event_type(frame) or frame.body.get("msgtype"))
            return
        # Stored next, before anything else is done with it (WeCom documents no redelivery of a frame we did
        # not store); a welcome or a click goes ahead of the pushes still waiting.
        if parsed[0].timely:
            self._arrivals.appendleft(parsed)
        else:
            self._arrivals.append(parsed)
        self._arrived.set()

    async def _store_arrivals(self) -> None:
        """Store the frames read off the socket one by one, across reconnects; a failed store is tried again."""
        while True:
            while not self._arrivals:
                self._arrived.clear()
                await self._arrived.wait()
            inbound, key = self._arrivals[0]
            try:
                if not await self.store(inbound, key):
                    log.info("aibot message %s already stored: pushed again, ignored", key)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database is away for a moment: keep it, try again
                log.warning("aibot socket: storing message %s failed (%s); trying again", key, exc)
                await asyncio.sleep(STORE_RETRY)
                continue
            if self._arrivals and self._arrivals[0][1] == key:
                self._arrivals.popleft()
            else:  # a timely frame went in front meanwhile
                self._arrivals.remove((inbound, key))

    async def until_stored(self) -> None:
        """Until every frame read so far is stored (tests, benchmarks)."""
        while self._arrivals:
            await asyncio.sleep(0.01)

    async def _finish_storing(self) -> None:
        """At a stop: what was read off the socket is stored first (for a few seconds at most), then the task ends."""
        try:
            async with asyncio.timeout(STOP_STORING):
                await self.until_stored()
        except TimeoutError:
            log.error("aibot socket: stopping with %s frames not stored", len(self._arrivals))
        storing, self._storing = self._storing, None
        if storing is not None:
            storing.cancel()
            await asyncio.wait([storing])

    async def _ping(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        missed = 0
        while not ws.closed:
            await asyncio.sleep(self.settings.ping_seconds)
            if not await self.leadership.try_lead():  # the lock went with our database session: let go
                log.warning("aibot socket: no longer the leader; closing the connection")
                await ws.close()
                return
            req_id, _ = frames.ping()
            try:  # unanswered by the next ping's time: missed
                async with asyncio.timeout(min(self.ack_timeout, self.settings.ping_seconds)):
                    await self.request(frames.PING, req_id)
                missed = 0
            except (ChannelError, TimeoutError):
                missed += 1
                if missed >= MISSED_PINGS:
                    log.warning("aibot socket: %s pings unanswered; reconnecting", missed)
                    await ws.close()
                    return

    async def _close(self) -> None:
        ws, self._ws = self._ws, None
        self._up.clear()
        for req_id, waiting in list(self._pending.items()):
            if not waiting.done():  # sent, never answered: WeCom may have taken it
                waiting.set_exception(ChannelError(TIMED_OUT, "the connection closed before the answer", req_id))
        if ws is not None and not ws.closed:
            await ws.close()

    # -- the shared state (AibotLink) ------------------------------------------------------------------

    async def _came_up(self) -> None:
        now = self.clock.now()
        row = await AibotLink.get_or_none(bot_id=self.settings.bot_id)
        reconnects = row.reconnects + 1 if row is not None and row.up_since is not None else 0
        await self._write_link(
            state="up", up_since=now, down_since=None, last_frame_at=now, reconnects=reconnects, outage_alerted=False
        )
        self.displaced = False
        self._up.set()
        log.info("aibot socket: subscribed as %s", self.settings.bot_id)

    async def _went_down(self) -> None:
        now = self.clock.now()
        row = await AibotLink.get_or_none(bot_id=self.settings.bot_id)
        if row is None or row.state == "up":
            await self._write_link(state="down", down_since=now)
        await self.check_outage()

    async def check_outage(self) -> bool:
        """Tell the admins, once per outage, when the connection has been down longer than the setting."""
        row = await AibotLink.get_or_none(bot_id=self.settings.bot_id)
        if row is None or row.state != "down" or row.down_since is None or row.outage_alerted:
            return False
        limit = self.settings.outage_alert_seconds
        if (self.clock.now() - row.down_since).total_seconds() <= limit:
            return False
        since = row.down_since
        await self.alert(
            f"aibot-outage:{self.settings.bot_id}:{int(since.timestamp())}",
            "channel.aibot_outage",
            {"bot_id": self.settings.bot_id, "since": since.isoformat(timespec="minutes"), "minutes": int(limit // 60)},
        )
        await AibotLink.filter(bot_id=self.settings.bot_id).update(outage_alerted=True)
        return True

    async def _give_up(self) -> bool:
        """Displaced by a connection we do not know: record it, let go of the lock, tell the admins (True).
        False when we had lost the lock already: then it was our successor, and we stand by."""
        now = self.clock.now()
        await self._close()
        if not self.leadership.held:  # we had lost the lock: that was our successor, not a stranger
            log.info("aibot socket: handed over to the new leader")
            await self.leadership.release()
            return False
        self.displaced = True
        log.error(
            "aibot socket: another connection took the bot over; not reconnecting until `gridwhistle aibot resume`"
            " or a restart"
        )
        await self._write_link(state="displaced", displaced_at=now, down_since=now)
        await self.alert(
            f"aibot-displaced:{self.settings.bot_id}:{int(now.timestamp())}",
            "channel.aibot_displaced",
            {"bot_id": self.settings.bot_id, "at": now.isoformat(timespec="seconds")},
        )
        await self.leadership.release()
        return True

    async def _note_frame(self, now: datetime) -> None:
        if self._link_written is not None and now - self._link_written < LINK_WRITE_EVERY:
            return
        self._link_written = now
        await AibotLink.filter(bot_id=self.settings.bot_id).update(last_frame_at=now, updated_at=now)

    async def _write_link(self, **change: Any) -> None:
        now = self.clock.now()
        change = {**change, "holder": self.holder, "updated_at": now}
        if not await AibotLink.filter(bot_id=self.settings.bot_id).update(**change):
            await AibotLink.create(bot_id=self.settings.bot_id, **change)

    async def clear_displacement(self) -> None:
        """A restart brings a displaced bot back: every process may dial again (models/aibot_link.py)."""
        await resume(self.settings.bot_id, self.clock.now())


def _message_body(outbound: Outbound) -> dict[str, Any]:
    """An answer as the AI bot sends it: a card as a template card, text as markdown (cut to fit: one frame)."""
    if outbound.card is not None:
        return {"msgtype": "template_card", "template_card": template_card(outbound.card)}
    text = outbound.text if outbound.card is None else card_as_markdown(outbound.card)
    return {"msgtype": "markdown", "markdown": {"content": split_utf8(text, AIBOT_LIMIT)[0]}}
