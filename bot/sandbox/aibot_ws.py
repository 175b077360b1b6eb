"""The sandbox's AI-bot long connection (protocol notes §2.7): `GET /aibot/ws` on the fake WeCom.

It plays WeCom's side: the first frame must subscribe with a known bot_id and secret (answered within
SUBSCRIBE_WAIT, else the socket is closed); pings are answered; a newer subscription for the same bot
displaces the older connection (`disconnected_event`, then close). Pushed messages and events wait in a
queue until a subscribed connection takes them, so nothing pushed while the service is away is lost.
Frames the service sends are checked and acknowledged with their req_id: `aibot_respond_msg` only for a
pushed message's req_id and once (not for stream frames), `aibot_respond_welcome_msg` for an
enter_chat's, `aibot_respond_update_msg` for a card click's; every accepted frame is in `received`.

For the tests and the demo: `push_text`, `push_click`, `push_enter`; `drop()` cuts the connection as a
network would (no close frame); `drop_after(n)` cuts it after n more pushes and pushes the last of them
again on the next connection (a frame that may or may not have arrived); `displace()` acts as another
connection subscribing; `mute_pings()` stops answering pings.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import secrets
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from bot.clock import Clock

SUBSCRIBE_WAIT = 10.0
BAD_SECRET = 40001  # as gettoken's invalid credential
REQ_ID_UNKNOWN = 40078  # the sandbox's answer for a req_id not pushed, of the wrong kind, or already answered
UNKNOWN_CMD = 40058


@dataclass
class Received:
    """One frame the service sent and the sandbox accepted."""

    cmd: str
    req_id: str
    body: dict[str, Any]
    connection: int


@dataclass
class FakeAibotSocket:
    clock: Clock
    bots: dict[str, str] = field(default_factory=dict)  # bot_id → secret
    received: list[Received] = field(default_factory=list)
    refused: list[Received] = field(default_factory=list)
    subscriptions: int = 0
    displacements: int = 0
    pings: int = 0
    answer_pings: bool = True
    queue: deque[str] = field(default_factory=deque)  # frames waiting for a subscribed connection
    # told of each accepted frame and the group it shows in ("" for a 1:1 chat): the fake WeCom's record
    on_received: Callable[[Received, str], None] | None = None
    _chat_of: dict[str, str] = field(default_factory=dict)  # pushed req_id → its group chatid
    _current: web.WebSocketResponse | None = None
    _connection_no: int = 0
    _pushed: dict[str, str] = field(default_factory=dict)  # req_id → what may answer it (respond|welcome|update)
    _answered: set[str] = field(default_factory=set)
    _drop_after: int | None = None
    _redeliver: str | None = None
    _changed: asyncio.Event = field(default_factory=asyncio.Event)
    _flushing: asyncio.Lock = field(default_factory=asyncio.Lock)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    # -- telling it what to do ---------------------------------------------------------------------

    def allow(self, bot_id: str, secret: str) -> None:
        self.bots[bot_id] = secret

    @property
    def connected(self) -> bool:
        return self._current is not None and not self._current.closed

    def push_text(self, userid: str, text: str, *, chatid: str = "", msgid: str = "") -> str:
        """A message to the bot (a group @-mention when chatid); returns its msgid."""
        msgid = msgid or f"wsmsg{next(self._ids):06d}{secrets.token_hex(3)}"
        body = self._common(userid, chatid) | {"msgid": msgid, "msgtype": "text", "text": {"content": text}}
        req_id = self._push("aibot_msg_callback", body, "respond")
        self._chat_of[req_id] = chatid
        return msgid

    def push_click(self, userid: str, event_key: str, task_id: str) -> str:
        msgid = f"wsevt{next(self._ids):06d}"
        event = {
            "eventtype": "template_card_event",
            "template_card_event": {"card_type": "button_interaction", "event_key": event_key, "task_id": task_id},
        }
        body = self._common(userid, "") | {"msgid": msgid, "msgtype": "event", "event": event}
        self._push("aibot_event_callback", body, "update")
        return msgid

    def push_enter(self, userid: str) -> str:
        msgid = f"wsevt{next(self._ids):06d}"
        body = self._common(userid, "") | {"msgid": msgid, "msgtype": "event", "event": {"eventtype": "enter_chat"}}
        self._push("aibot_event_callback", body, "welcome")
        return msgid

    def drop_after(self, pushes: int) -> None:
        self._drop_after = pushes

    async def drop(self) -> None:
        """The network fails: the connection ends without a close frame."""
        ws = self._current
        self._current = None
        if ws is not None and not ws.closed:
            transport = ws._req.transport if ws._req is not None else None  # noqa: SLF001 (no public abort)
            if transport is not None:
                transport.abort()
            await ws.close()

    async def displace(self) -> None:
        """Another connection subscribed for the bot: WeCom tells this one and closes it."""
        ws = self._current
        self._current = None
        if ws is not None and not ws.closed:
            self.displacements += 1
            await ws.send_str(self._frame("aibot_event_callback", self._disconnected()))
            await ws.close()

    def mute_pings(self, muted: bool = True) -> None:
        self.answer_pings = not muted

    async def wait_for(self, predicate: Any, timeout: float = 10.0) -> None:
        """Until predicate() holds (re-checked after every frame either way); TimeoutError after timeout."""
        async with asyncio.timeout(timeout):
            while not predicate():
                self._changed.clear()
                try:
                    async with asyncio.timeout(0.05):
                        await self._changed.wait()
                except TimeoutError:
                    pass

    def sent(self, cmd: str | None = None) -> list[Received]:
        return [r for r in self.received if cmd is None or r.cmd == cmd]

    # -- inside --------------------------------------------------------------------------------------

    def _common(self, userid: str, chatid: str) -> dict[str, Any]:
        common: dict[str, Any] = {
            "aibotid": next(iter(self.bots), "bot"),
            "chattype": "group" if chatid else "single",
            "from": {"userid": userid},
            "create_time": int(self.clock.now().timestamp()),
        }
        if chatid:
            common["chatid"] = chatid
        return common

    def _disconnected(self) -> dict[str, Any]:
        return {"msgtype": "event", "event": {"eventtype": "disconnected_event"}}

    def _frame(self, cmd: str, body: dict[str, Any], req_id: str = "") -> str:
        req_id = req_id or f"wsreq{next(self._ids):06d}{secrets.token_hex(4)}"
        return json.dumps({"cmd": cmd, "headers": {"req_id": req_id}, "body": body}, ensure_ascii=False)

    def _push(self, cmd: str, body: dict[str, Any], answerable: str) -> str:
        frame = self._frame(cmd, body)
        req_id = str(json.loads(frame)["headers"]["req_id"])
        self._pushed[req_id] = answerable
        self.queue.append(frame)
        asyncio.get_running_loop().create_task(self._flush())
        return req_id

    async def _flush(self) -> None:
        async with self._flushing:
            while self.queue and self.connected:
                ws = self._current
                assert ws is not None
                frame = self.queue[0]
                try:
                    await ws.send_str(frame)
                except (ConnectionError, RuntimeError):
                    return  # stays queued for the next connection
                self.queue.popleft()
                if self._drop_after is not None:
                    self._drop_after -= 1
                    if self._drop_after <= 0:
                        self._drop_after = None
                        self.queue.appendleft(frame)  # did it arrive? WeCom may push it again
                        await self.drop()
                        return

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._connection_no += 1
        number = self._connection_no
        try:
            async with asyncio.timeout(SUBSCRIBE_WAIT):
                first = await ws.receive()
        except TimeoutError:
            await ws.close()
            return ws
        if not await self._subscribe(ws, first.data if first.type == WSMsgType.TEXT else "{}"):
            await ws.close()
            return ws
        asyncio.get_running_loop().create_task(self._flush())
        async for message in ws:
            if message.type != WSMsgType.TEXT:
                continue
            await self._on_frame(ws, message.data, number)
            self._changed.set()
        if self._current is ws:
            self._current = None
        self._changed.set()
        return ws

    async def _subscribe(self, ws: web.WebSocketResponse, raw: str) -> bool:
        try:
            frame = json.loads(raw)
            req_id = frame["headers"]["req_id"]
            body = frame["body"]
            ok = frame["cmd"] == "aibot_subscribe" and self.bots.get(body["bot_id"]) == body["secret"]
        except (ValueError, KeyError, TypeError):
            return False
        if not ok:
            await ws.send_str(json.dumps({"headers": {"req_id": req_id}, "errcode": BAD_SECRET, "errmsg": "bad"}))
            return False
        if self.connected:  # one connection per bot: the older one is told and closed
            await self.displace()
        self.subscriptions += 1
        self._current = ws
        await ws.send_str(json.dumps({"headers": {"req_id": req_id}, "errcode": 0, "errmsg": "ok"}))
        self._changed.set()
        return True

    async def _on_frame(self, ws: web.WebSocketResponse, raw: str, number: int) -> None:
        try:
            frame = json.loads(raw)
            cmd, req_id = str(frame.get("cmd") or ""), str(frame["headers"]["req_id"])
            body = frame.get("body") or {}
        except (ValueError, KeyError, TypeError, AttributeError):
            return
        if cmd == "ping":
            self.pings += 1
            if self.answer_pings:
                await self._ack(ws, req_id, 0)
            return
        errcode = self._check(cmd, req_id, body)
        entry = Received(cmd, req_id, body, number)
        (self.refused if errcode else self.received).append(entry)
        if not errcode and self.on_received is not None:
            group = body.get("chatid", "") if body.get("chat_type") == 2 else ""
            self.on_received(entry, self._chat_of.get(req_id, "") or str(group))
        await self._ack(ws, req_id, errcode)

    def _check(self, cmd: str, req_id: str, body: dict[str, Any]) -> int:
        expected = {
            "aibot_respond_msg": "respond",
            "aibot_respond_welcome_msg": "welcome",
            "aibot_respond_update_msg": "update",
        }
        if cmd == "aibot_send_msg":
            return 0 if body.get("chatid") and body.get("chat_type") in (1, 2) and body.get("msgtype") else 40008
        if cmd not in expected:
            return UNKNOWN_CMD
        if self._pushed.get(req_id) != expected[cmd]:
            return REQ_ID_UNKNOWN
        if body.get("msgtype") != "stream":  # a stream's frames share the req_id; anything else answers once
            if req_id in self._answered:
                return REQ_ID_UNKNOWN
            self._answered.add(req_id)
        return 0

    async def _ack(self, ws: web.WebSocketResponse, req_id: str, errcode: int) -> None:
        if ws.closed:
            return
        answer = {"headers": {"req_id": req_id}, "errcode": errcode, "errmsg": "ok" if not errcode else "refused"}
        try:
            await ws.send_str(json.dumps(answer))
        except (ConnectionError, RuntimeError):
            pass


FAKE_AIBOT = web.AppKey("fake_aibot_socket", FakeAibotSocket)
WS_PATH = "/aibot/ws"


def install(app: web.Application, clock: Clock) -> FakeAibotSocket:
    """Add the long-connection endpoint to a fake WeCom app; returns its state."""
    state = FakeAibotSocket(clock)
    app[FAKE_AIBOT] = state
    app.router.add_get(WS_PATH, state.handle)
    return state


def ws_url(base_url: str) -> str:
    """The endpoint's address for `[wecom.aibot] ws_url`, from the sandbox's http://host:port."""
    return base_url.replace("http://", "ws://", 1).replace("https://", "wss://", 1) + WS_PATH
