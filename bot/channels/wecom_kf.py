"""WeChat customer service (微信客服, kf; docs/wecom-kf.md): pulling villagers' messages, one link per grid.

The app callback's `kf_msg_or_event` carries no message, only a 10-minute token: `KfPuller.trigger`
queues a pull and returns at once. A pull asks `kf/sync_msg` page by page while `has_more`; each page's
messages become inbox rows (keyed by msgid, so a message seen twice is stored once) in the same
transaction that saves the page's `next_cursor`. One pull per account at a time: an asyncio lock in
the process, and on PostgreSQL the cursor row held FOR UPDATE while the page is fetched and stored.
A first pull ever (no cursor) drains the last three days without answering them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise import Tortoise
from tortoise.transactions import in_transaction

from bot import inbox
from bot.channels.text import normalised
from bot.channels.types import Inbound
from bot.channels.wecom_api import WecomApi
from bot.clock import SHANGHAI, Clock
from bot.outbox import unpark_kf
from bot.wakeup import stop_task
from config.errors import ChannelError
from models import Area, KfCursor, KfCustomer

log = logging.getLogger(__name__)

CHANNEL = "kf"
TOKEN_LIFETIME = timedelta(minutes=10)  # the callback's sync token (§1): after that, pull without it
BAD_TOKEN = 95007
PAGE_LIMIT = 1000
ORIGIN_CUSTOMER, ORIGIN_EVENT, ORIGIN_SERVICER = 3, 4, 5
COLD_START = "cold start: drained, not answered"
# A failed pull is tried again after 5 s, doubling up to 5 minutes: messages never wait for a restart.
RETRY_FIRST, RETRY_MOST = 5, 300


@dataclass
class _Trigger:
    token: str
    at: datetime


class KfPuller:
    """Pulls kf messages into the inbox. `trigger()` from the callback; `pull()` does one account's work.

    api: the WeCom API client (`await api.call(path, payload)`).
    on_stored: called after a page stored new pending rows (wakes the inbox worker).
    default_open_kfid: used when a callback leaves OpenKfId out.
    """

    def __init__(
        self,
        api: WecomApi,
        clock: Clock,
        *,
        on_stored: Callable[[], None] = lambda: None,
        default_open_kfid: str = "",
        page_limit: int = PAGE_LIMIT,
    ) -> None:
        self.api = api
        self.clock = clock
        self.on_stored = on_stored
        self.default_open_kfid = default_open_kfid
        self.page_limit = page_limit
        self.pulls = 0
        self._locks: dict[str, asyncio.Lock] = {}
        self._queued: dict[str, _Trigger] = {}
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task[None] | None = None
        self._failures: dict[str, int] = {}  # consecutive failed pulls per account, for the back-off
        self.retry_first, self.retry_most = RETRY_FIRST, RETRY_MOST

    # -- the background task ------------------------------------------------------------------------

    def trigger(self, open_kfid: str, token: str = "") -> None:
        """Queue a pull for this account (the latest token wins); never waits."""
        open_kfid = open_kfid or self.default_open_kfid
        if not open_kfid:
            log.warning("kf_msg_or_event without OpenKfId and no [wecom.kf] open_kfid configured")
            return
        self._queued[open_kfid] = _Trigger(token, self.clock.now())
        self._idle.clear()
        self._wake.set()

    async def until_idle(self) -> None:
        await self._idle.wait()

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="kf-puller")

    async def stop(self) -> None:
        task, self._task = self._task, None
        await stop_task(task)

    async def catch_up(self) -> None:
        """At start: pull every account that has pulled before (what arrived while we were down)."""
        for open_kfid in await KfCursor.all().values_list("open_kfid", flat=True):
            self.trigger(str(open_kfid))

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._queued:
                open_kfid, trig = self._queued.popitem()
                token = trig.token if self.clock.now() - trig.at < TOKEN_LIFETIME else ""
                try:
                    await self.pull(open_kfid, token)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # WeCom down or refusing: WeCom sends no second event, so we pull again
                    self._retry_later(open_kfid, trig, exc)
                else:
                    self._failures.pop(open_kfid, None)
            if not self._wake.is_set():
                self._idle.set()

    def _retry_later(self, open_kfid: str, trig: _Trigger, exc: Exception) -> None:
        failures = self._failures[open_kfid] = self._failures.get(open_kfid, 0) + 1
        delay = min(self.retry_first * 2 ** (failures - 1), self.retry_most)
        log.warning("kf pull for %s failed (%s); pulling again in %s s", open_kfid, exc, delay)

        def again() -> None:
            if open_kfid not in self._queued:  # a newer callback's trigger (and token) wins
                self._queued[open_kfid] = trig
                self._idle.clear()
                self._wake.set()

        asyncio.get_running_loop().call_later(delay, again)

    # -- one pull -------------------------------------------------------------------------------------

    async def pull(self, open_kfid: str, token: str = "") -> int:
        """Fetch every page now available for one account; returns how many new inbox rows it stored."""
        lock = self._locks.setdefault(open_kfid, asyncio.Lock())
        async with lock:
            self.pulls += 1
            await KfCursor.get_or_create(open_kfid=open_kfid)
            cold = not (await KfCursor.get(open_kfid=open_kfid)).cursor
            stored = 0
            while True:
                new, has_more, token = await self._page(open_kfid, token, cold)
                stored += new
                if new and not cold:
                    self.on_stored()
                if not has_more:
                    return stored

    async def _page(self, open_kfid: str, token: str, cold: bool) -> tuple[int, bool, str]:
        if _is_postgres():
            # The row lock spans the fetch, so two processes never page from the same cursor.
            async with in_transaction():
                row = await KfCursor.select_for_update().get(open_kfid=open_kfid)
                answer, token = await self._sync(open_kfid, row.cursor, token)
                new = await self._store_page(row, answer, cold)
        else:
            row = await KfCursor.get(open_kfid=open_kfid)
            answer, token = await self._sync(open_kfid, row.cursor, token)
            async with in_transaction():
                new = await self._store_page(row, answer, cold)
        return new, bool(answer.get("has_more")), token

    async def _sync(self, open_kfid: str, cursor: str, token: str) -> tuple[dict[str, Any], str]:
        payload: dict[str, Any] = {"open_kfid": open_kfid, "limit": self.page_limit}
        if cursor:
            payload["cursor"] = cursor
        if token:
            payload["token"] = token
        try:
            return await self.api.call("kf/sync_msg", payload), token
        except ChannelError as exc:
            if exc.errcode != BAD_TOKEN or not token:
                raise
            log.info("kf sync token expired; pulling without it")
            payload.pop("token")
            return await self.api.call("kf/sync_msg", payload), ""

    async def _store_page(self, row: KfCursor, answer: dict[str, Any], cold: bool) -> int:
        new = 0
        for item in answer.get("msg_list") or []:
            if isinstance(item, dict) and await self._store_one(item, cold):
                new += 1
        next_cursor = str(answer.get("next_cursor") or "")
        if next_cursor:
            row.cursor = next_cursor
        row.updated_at = self.clock.now()
        await row.save(update_fields=["cursor", "updated_at"])
        return new

    async def _store_one(self, item: dict[str, Any], cold: bool) -> bool:
        parsed = to_inbound(item, self.clock.now())
        if parsed is None:
            return False
        inbound, key = parsed
        row_id = await inbox.record(
            inbound, key, status="done" if cold else "pending", error=COLD_START if cold else ""
        )
        if row_id is None:
            return False
        await _remember_customer(inbound, item)
        return True


def _is_postgres() -> bool:
    return Tortoise.get_connection("default").capabilities.dialect == "postgres"


async def _remember_customer(inbound: Inbound, item: dict[str, Any]) -> None:
    """Keep the villager's grid (from enter_session) and their 48 h / 5-message window (§2)."""
    if not inbound.sender:
        return
    open_kfid = str(inbound.reply.get("open_kfid") or "")
    customer, _ = await KfCustomer.get_or_create(external_userid=inbound.sender, defaults={"open_kfid": open_kfid})
    changed: list[str] = []
    if open_kfid and customer.open_kfid != open_kfid:
        customer.open_kfid = open_kfid
        changed.append("open_kfid")
    if inbound.kind == "enter":
        grid = await _grid_of(inbound.extra)
        if grid is not None:
            customer.grid = grid
            changed.append("grid_id")
    if item.get("origin") == ORIGIN_CUSTOMER:
        sent = _send_time(item) or inbound.received_at
        if customer.last_customer_message_at is None or sent >= customer.last_customer_message_at:
            customer.last_customer_message_at = sent
            customer.sent_since_customer_message = 0
            changed += ["last_customer_message_at", "sent_since_customer_message"]
    if changed:
        await customer.save(update_fields=changed)
    if "sent_since_customer_message" in changed:
        # The villager wrote again, so WeCom's window is open: what waited for it may go now.
        await unpark_kf(inbound.sender, now=inbound.received_at)


async def _grid_of(extra: dict[str, Any]) -> Area | None:
    """The link's scene (one link per grid) or its scene_param names the grid by its org-file code."""
    for code in (extra.get("scene_param"), extra.get("scene")):
        if code:
            area = await Area.get_or_none(code=str(code), level="grid")
            if area is not None:
                return area
    return None


def _send_time(item: dict[str, Any]) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(item["send_time"]), SHANGHAI)
    except (KeyError, TypeError, ValueError, OverflowError, OSError):
        return None


# -- wire format → Inbound --------------------------------------------------------------------------


def _section(data: dict[str, Any], name: str) -> dict[str, Any]:
    value = data.get(name)
    return value if isinstance(value, dict) else {}


def _media(kind: str) -> Callable[[dict[str, Any]], tuple[str, str, dict[str, Any]]]:
    def mapper(item: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
        return kind, "", {"media_id": _section(item, item.get("msgtype", "")).get("media_id")}

    return mapper


def _text(item: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    text = _section(item, "text")
    extra = {"menu_id": text["menu_id"]} if text.get("menu_id") else {}
    return "text", str(text.get("content") or ""), extra


def _location(item: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    loc = _section(item, "location")
    return (
        "event",
        str(loc.get("address") or loc.get("name") or ""),
        {
            "event": "location",
            "latitude": loc.get("latitude"),
            "longitude": loc.get("longitude"),
        },
    )


def _event(item: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    event = _section(item, "event")
    event_type = str(event.get("event_type") or "")
    kind = "enter" if event_type == "enter_session" else "event"
    extra = {k: v for k, v in event.items() if k not in ("event_type", "open_kfid", "external_userid")}
    return kind, "", {"event": event_type, **extra}


MAPPERS: dict[str, Callable[[dict[str, Any]], tuple[str, str, dict[str, Any]]]] = {
    "text": _text,
    "image": _media("image"),
    "voice": _media("voice"),
    "video": _media("file"),
    "file": _media("file"),
    "location": _location,
    "event": _event,
}


def to_inbound(item: dict[str, Any], now: datetime) -> tuple[Inbound, str] | None:
    """One pulled item as an Inbound keyed by its msgid; None for our servicers' own messages and
    types we do not handle (logged)."""
    msgid = str(item.get("msgid") or "")
    msgtype = str(item.get("msgtype") or "")
    if not msgid or item.get("origin") == ORIGIN_SERVICER:
        return None
    mapper = MAPPERS.get(msgtype)
    if mapper is None:
        log.info("kf: ignoring a %s message", msgtype or "typeless")
        return None
    kind, text, extra = mapper(item)
    event = _section(item, "event")
    sender = str(item.get("external_userid") or event.get("external_userid") or "")
    open_kfid = str(item.get("open_kfid") or event.get("open_kfid") or "")
    extra = {k: v for k, v in extra.items() if v not in (None, "")}
    if item.get("send_time"):
        extra["send_time"] = item["send_time"]
    inbound = Inbound(
        channel=CHANNEL,
        message_id=msgid,
        sender=sender,
        conversation="",
        kind=kind,
        text=text,
        received_at=now,
        reply={"open_kfid": open_kfid} if open_kfid else {},
        extra=extra,
    )
    inbound = normalised(inbound)
    return inbound, inbound.message_id


# -- contact links --------------------------------------------------------------------------------


async def contact_link(api: WecomApi, open_kfid: str, scene: str) -> str:
    """One kf link whose enter_session names `scene` (a grid code: ≤32 bytes of [0-9a-zA-Z_-])."""
    answer = await api.call("kf/add_contact_way", {"open_kfid": open_kfid, "scene": scene})
    return str(answer["url"])
