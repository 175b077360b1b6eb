"""A fake WeCom API server: a real aiohttp app that the tests and the demo point `[wecom] api_base` at.

It issues access tokens, accepts and records every send the service makes, serves customer-service
(kf) messages queued into it, hands out AI-bot response URLs, and can be told to fail the next calls
of a path, or every call until told to stop (HTTP 5xx, errcode -1, 45009, expired tokens, a slow answer
after accepting, a stall that accepts nothing). What it received is readable in Python
(`FakeWecom.sent`) and over HTTP (`GET /_sandbox/sent`, `POST /_sandbox/fail`, `POST /_sandbox/clear`),
so a browser page and a fault campaign can use it.

It enforces the limits that WeCom enforces and that the service must respect: token expiry, the kf
48 h / 5-message window and unique msgid, the webhook's 20 a minute, single-use response codes and
URLs, and message/send's `enable_duplicate_check` (the same content to the same members again within
`duplicate_check_interval` is answered as before and marked `duplicate`, not delivered again).
Messages beyond a member's 30 a minute / 1000 an hour are accepted but marked `dropped`, as WeCom
silently drops them.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import secrets
from collections import Counter, deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from bot.clock import Clock
from bot.sandbox.aibot_ws import FakeAibotSocket
from bot.sandbox.aibot_ws import install as install_aibot_ws
from bot.wakeup import wait_for_event

TOKEN_LIFETIME = timedelta(seconds=7200)
KF_SYNC_TOKEN_LIFETIME = timedelta(minutes=10)
KF_WINDOW = timedelta(hours=48)
KF_SENDS_PER_WINDOW = 5
MEMBER_LIMITS = ((timedelta(minutes=1), 30), (timedelta(hours=1), 1000))
WEBHOOK_LIMIT = (timedelta(minutes=1), 20)
# http: answer HTTP `status`, take nothing; errcode: answer `errcode`, take nothing; slow: wait `delay` s,
# then take the call and answer it (WeCom accepting late); stall: wait `delay` s, then answer HTTP `status`
# having taken nothing (a request lost on the way).
FAIL_MODES = ("http", "errcode", "slow", "stall")
FOREVER = 0  # `times` for a failure that lasts until `clear_failures()`

# Error answers. Codes from the protocol notes where WeCom documents one; the sandbox's own otherwise.
ERRORS = {
    40001: "invalid credential",
    81013: "user & party & tag all invalid",
    48002: "api forbidden",
    40014: "invalid access_token",
    41001: "access_token missing",
    42001: "access_token expired",
    44004: "empty text content",
    45009: "api freq out of limit",
    93000: "invalid webhook url",
    95001: "kf: send msg count limit",
    95002: "kf: send msg time limit (48 h)",
    95007: "kf: invalid sync token",
    86215: "chatid already exists",
    -1: "system busy",
}
CHAT_EXISTS = 86215
# The AI bot's response_url answer for a reused or expired URL is not documented; the sandbox says this.
RESPONSE_URL_USED = 40078


@dataclass
class SentCall:
    """One call the service made: which API, what it sent, what the sandbox answered."""

    seq: int
    path: str
    at: datetime
    params: dict[str, str]
    body: Any
    answer: dict[str, Any]
    dropped: bool = False  # accepted but over a member's rate limit: WeCom would not deliver it
    duplicate: bool = False  # the same message again within the duplicate check: answered, not delivered

    @property
    def ok(self) -> bool:
        return self.answer.get("errcode", 0) == 0

    @property
    def delivered(self) -> bool:
        """What a person would see: accepted, and neither dropped nor a duplicate."""
        return self.ok and not self.dropped and not self.duplicate

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "path": self.path,
            "at": self.at.isoformat(),
            "params": self.params,
            "body": self.body,
            "answer": self.answer,
            "dropped": self.dropped,
            "duplicate": self.duplicate,
            "ok": self.ok,
        }


@dataclass
class Failure:
    """What to do to the next `times` calls of `path` (every call when FOREVER): see FAIL_MODES."""

    path: str
    times: int
    mode: str = "errcode"
    errcode: int = -1
    status: int = 503
    delay: float = 0.0


@dataclass
class KfQueued:
    """A customer-service message waiting for kf/sync_msg, and the callback token that announces it."""

    item: dict[str, Any]
    token: str


@dataclass
class FakeWecom:
    """The sandbox's state; `app[FAKE_WECOM]` on the aiohttp app. Methods are for tests and the demo page."""

    corp_id: str
    app_secrets: dict[str, str]  # secret → the name of its app (agent id), any number of apps
    clock: Clock
    base_url: str = ""  # http://127.0.0.1:PORT, set by the runner
    sent: list[SentCall] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    arrived: Counter[str] = field(default_factory=Counter)  # calls per path that reached it, slowed ones included
    tokens: dict[str, datetime] = field(default_factory=dict)  # access token → expiry
    gettoken_calls: int = 0
    kf_messages: list[KfQueued] = field(default_factory=list)
    kf_sync_tokens: dict[str, datetime] = field(default_factory=dict)
    kf_customers: dict[str, dict[str, Any]] = field(default_factory=dict)  # external_userid → window state
    kf_msgids: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    app_messages: dict[str, tuple[datetime, dict[str, Any]]] = field(default_factory=dict)  # for duplicate checks
    response_codes: dict[str, bool] = field(default_factory=dict)  # response_code → used
    chats: dict[str, dict[str, Any]] = field(default_factory=dict)
    left: set[str] = field(default_factory=set)  # userids no longer members: sends report them as invaliduser
    members: list[str] | None = None  # the directory user/list_id pages through; None: the app may not read it
    media: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    closing: asyncio.Event = field(default_factory=asyncio.Event)  # set at shutdown: slow answers end
    aibot_ws: FakeAibotSocket | None = None  # the AI bot's long connection (bot/sandbox/aibot_ws.py)
    _seq: itertools.count = field(default_factory=lambda: itertools.count(1))
    _recent: dict[tuple[str, str], deque] = field(default_factory=dict)  # (kind, target) → send times

    # -- telling it what to do ---------------------------------------------------------------------

    def fail_next(
        self,
        path: str,
        times: int = 1,
        *,
        mode: str = "errcode",
        errcode: int = -1,
        status: int = 503,
        delay: float = 0.0,
    ) -> None:
        """Make the next `times` calls of `path` (e.g. "message/send"; FOREVER: every call) fail as `mode` says.

        slow(path, delay) is the usual way to make WeCom slow: calls are taken, answered `delay` s late.
        """
        if mode not in FAIL_MODES:
            raise ValueError(f"mode must be one of {FAIL_MODES}")
        if times < 0 or delay < 0:
            raise ValueError("times and delay cannot be negative")
        self.failures.append(Failure(path.strip("/"), times, mode, errcode, status, delay))

    def slow(self, path: str, delay: float, times: int = FOREVER) -> None:
        """WeCom accepting calls of `path` but answering `delay` seconds late (every call unless `times`)."""
        self.fail_next(path, times, mode="slow", delay=delay)

    def clear_failures(self) -> None:
        """Forget every failure still to come: WeCom is well again."""
        self.failures.clear()

    def invalidate_tokens(self) -> None:
        """Every issued token now answers 42001, as when WeCom expires tokens early."""
        now = self.clock.now()
        self.tokens = {token: now for token in self.tokens}

    def queue_kf_message(
        self,
        open_kfid: str,
        external_userid: str,
        text: str = "",
        *,
        msgtype: str = "text",
        body: dict[str, Any] | None = None,
        origin: int = 3,
    ) -> str:
        """Queue one message for kf/sync_msg; returns the callback token the kf_msg_or_event event carries."""
        now = self.clock.now()
        token = "kfsync" + secrets.token_hex(8)
        self.kf_sync_tokens[token] = now + KF_SYNC_TOKEN_LIFETIME
        item = {
            "msgid": "kfmsg" + secrets.token_hex(8),
            "open_kfid": open_kfid,
            "external_userid": external_userid,
            "send_time": int(now.timestamp()),
            "origin": origin,
            "msgtype": msgtype,
            msgtype: body if body is not None else {"content": text},
        }
        self.kf_messages.append(KfQueued(item, token))
        if origin == 3:  # a customer wrote: the 48 h / 5-message window opens again
            self.kf_customers[external_userid] = {"last": now, "sent": 0}
        return token

    def response_url(self) -> str:
        """An AI-bot response_url: usable once, as WeCom's."""
        code = secrets.token_hex(12)
        self.response_codes[code] = False
        return f"{self.base_url}/cgi-bin/aibot/response?response_code={code}"

    def new_response_code(self) -> str:
        """A ResponseCode as a card click carries: one message/update_template_card may use it."""
        code = self._new_id("rc")
        self.response_codes[code] = False
        return code

    def add_media(self, media_id: str, content: bytes, content_type: str = "image/jpeg") -> None:
        self.media[media_id] = (content, content_type)

    # -- reading what it received ------------------------------------------------------------------

    def calls(self, path: str, *, ok: bool | None = None) -> list[SentCall]:
        path = path.strip("/")
        return [c for c in self.sent if c.path == path and (ok is None or c.ok == ok)]

    def bodies(self, path: str) -> list[Any]:
        """The request bodies of the successful calls of `path`."""
        return [c.body for c in self.calls(path, ok=True)]

    def delivered(self, path: str) -> list[Any]:
        """The request bodies of the calls of `path` a person saw (not refused, dropped or duplicate)."""
        return [c.body for c in self.calls(path) if c.delivered]

    # -- inside the server -------------------------------------------------------------------------

    def _take_failure(self, path: str) -> Failure | None:
        for failure in self.failures:
            if failure.path != path:
                continue
            if failure.times != FOREVER:
                failure.times -= 1
                if failure.times == 0:
                    self.failures.remove(failure)
            return failure
        return None

    def _record(
        self,
        path: str,
        request: web.Request,
        body: Any,
        answer: dict[str, Any],
        dropped: bool = False,
        duplicate: bool = False,
    ) -> dict[str, Any]:
        params = {k: v for k, v in request.query.items() if k != "access_token"}
        self.sent.append(SentCall(next(self._seq), path, self.clock.now(), params, body, answer, dropped, duplicate))
        return answer

    def _duplicate_of(self, body: dict[str, Any]) -> dict[str, Any] | None:
        """With enable_duplicate_check, WeCom's answer to the same message sent within the interval, if any."""
        if not body.get("enable_duplicate_check"):
            return None
        now = self.clock.now()
        interval = timedelta(seconds=int(body.get("duplicate_check_interval") or 1800))
        content = {k: v for k, v in body.items() if k not in ("enable_duplicate_check", "duplicate_check_interval")}
        key = json.dumps(content, sort_keys=True, ensure_ascii=False)
        earlier = self.app_messages.get(key)
        if earlier is not None and now - earlier[0] < interval:
            return earlier[1]
        self.app_messages[key] = (now, {})
        return None

    def _remember_answer(self, body: dict[str, Any], answer: dict[str, Any]) -> None:
        content = {k: v for k, v in body.items() if k not in ("enable_duplicate_check", "duplicate_check_interval")}
        key = json.dumps(content, sort_keys=True, ensure_ascii=False)
        if key in self.app_messages:
            self.app_messages[key] = (self.app_messages[key][0], answer)

    def _token_error(self, request: web.Request) -> int:
        token = request.query.get("access_token")
        if not token:
            return 41001
        expiry = self.tokens.get(token)
        if expiry is None:
            return 40014
        return 42001 if expiry <= self.clock.now() else 0

    def _over_limit(self, kind: str, target: str, limits: tuple[tuple[timedelta, int], ...]) -> bool:
        """Count one send to `target`; True when it exceeds one of the limits (the send still counts)."""
        now = self.clock.now()
        times = self._recent.setdefault((kind, target), deque())
        longest = max(window for window, _ in limits)
        while times and times[0] <= now - longest:
            times.popleft()
        over = any(sum(1 for t in times if t > now - window) >= limit for window, limit in limits)
        times.append(now)
        return over

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._seq):06d}{secrets.token_hex(4)}"


FAKE_WECOM = web.AppKey("fake_wecom", FakeWecom)


def create_fake_wecom(corp_id: str, secrets_by_app: dict[str, str], *, clock: Clock | None = None) -> web.Application:
    """The fake WeCom API as an aiohttp app; `secrets_by_app` maps an app name (e.g. agent id) to its secret."""
    state = FakeWecom(corp_id=corp_id, app_secrets={v: k for k, v in secrets_by_app.items()}, clock=clock or Clock())
    app = web.Application(client_max_size=4 * 1024 * 1024)
    app[FAKE_WECOM] = state
    app.middlewares.append(_failures)
    routes = [
        web.get("/cgi-bin/gettoken", _gettoken),
        web.post("/cgi-bin/message/send", _api(_message_send)),
        web.post("/cgi-bin/message/update_template_card", _api(_update_card)),
        web.post("/cgi-bin/user/list_id", _api(_user_list_id)),
        web.post("/cgi-bin/appchat/create", _api(_appchat_create)),
        web.post("/cgi-bin/appchat/send", _api(_appchat_send)),
        web.post("/cgi-bin/kf/send_msg", _api(_kf_send)),
        web.post("/cgi-bin/kf/add_contact_way", _api(_kf_contact_way)),
        web.post("/cgi-bin/kf/sync_msg", _api(_kf_sync)),
        web.get("/cgi-bin/media/get", _media_get),
        web.post("/cgi-bin/webhook/send", _webhook_send),
        web.post("/cgi-bin/aibot/response", _aibot_response),
        web.get("/_sandbox/sent", _sandbox_sent),
        web.post("/_sandbox/fail", _sandbox_fail),
        web.post("/_sandbox/clear", _sandbox_clear),
        web.post("/_sandbox/invalidate_tokens", _sandbox_invalidate),
        web.post("/_sandbox/kf/queue", _sandbox_kf_queue),
        web.post("/_sandbox/aibot/response_url", _sandbox_response_url),
        web.get("/_sandbox/media/{media_id}", _sandbox_media),
    ]
    app.add_routes(routes)
    from bot.sandbox.fake_signin import add_sign_in  # the web sign-in lives beside, in its own module

    add_sign_in(app)
    state.aibot_ws = install_aibot_ws(app, state.clock)
    state.aibot_ws.on_received = lambda frame, chatid: state.sent.append(  # the demo's feed reads one record
        SentCall(next(state._seq), "aibot_ws", state.clock.now(), {"cmd": frame.cmd, "chatid": chatid}, frame.body, {})
    )
    return app


@dataclass
class RunningFakeWecom:
    """A started sandbox: `api_base` goes into `[wecom] api_base`; `state` is what tests inspect."""

    base_url: str
    state: FakeWecom
    runner: web.AppRunner

    @property
    def api_base(self) -> str:
        return f"{self.base_url}/cgi-bin"

    async def close(self) -> None:
        self.state.closing.set()
        await self.runner.cleanup()


async def start_fake_wecom(app: web.Application, host: str = "127.0.0.1", port: int = 0) -> RunningFakeWecom:
    """Serve the app on `host` (an unused port unless one is given) and return its base URL."""
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = runner.addresses[0][1]
    state = app[FAKE_WECOM]
    state.base_url = f"http://{host}:{bound}"
    return RunningFakeWecom(state.base_url, state, runner)


@asynccontextmanager
async def running_fake_wecom(
    corp_id: str, secrets_by_app: dict[str, str], *, clock: Clock | None = None
) -> AsyncIterator[RunningFakeWecom]:
    running = await start_fake_wecom(create_fake_wecom(corp_id, secrets_by_app, clock=clock))
    try:
        yield running
    finally:
        await running.close()


# -- middleware and plumbing ---------------------------------------------------------------------


def _path(request: web.Request) -> str:
    return request.path.removeprefix("/cgi-bin/").strip("/")


@web.middleware
async def _failures(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Apply a failure the sandbox was told about, and record the failed call like any other."""
    state = request.app[FAKE_WECOM]
    if request.path.startswith("/_sandbox/"):
        return await handler(request)
    path = _path(request)
    state.arrived[path] += 1
    failure = state._take_failure(path)
    if failure is None:
        return await handler(request)
    if failure.mode in ("slow", "stall"):
        await request.read()  # the whole request is in before the wait, as WeCom's would be
        await wait_for_event(state.closing, failure.delay)  # `delay` seconds, or until the sandbox shuts down
    if failure.mode == "slow":
        return await handler(request)  # taken, however late: the client may have given up by now
    body = await _body(request)
    if failure.mode in ("http", "stall"):
        state._record(path, request, body, {"errcode": -2, "errmsg": f"HTTP {failure.status}"})
        return web.Response(status=failure.status, text="sandbox: failing as told")
    answer = {"errcode": failure.errcode, "errmsg": ERRORS.get(failure.errcode, "sandbox failure")}
    return web.json_response(state._record(path, request, body, answer))


async def _body(request: web.Request) -> Any:
    if request.method != "POST":
        return None
    raw = await request.read()  # read once and kept by aiohttp (a slowed call reads it before waiting)
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return {"_raw": raw.decode("utf-8", errors="replace")}


def _error(errcode: int, **extra: Any) -> dict[str, Any]:
    return {"errcode": errcode, "errmsg": ERRORS.get(errcode, "error"), **extra}


def _api(handler):
    """Wrap a handler of a token-protected API: check the token, parse the body, record the call."""

    async def view(request: web.Request) -> web.Response:
        state = request.app[FAKE_WECOM]
        path = _path(request)
        body = await _body(request)
        token_error = state._token_error(request)
        if token_error:
            return web.json_response(state._record(path, request, body, _error(token_error)))
        answer, dropped, *duplicate = handler(state, body if isinstance(body, dict) else {})
        return web.json_response(state._record(path, request, body, answer, dropped, bool(duplicate and duplicate[0])))

    return view


# -- the WeCom APIs ------------------------------------------------------------------------------


async def _gettoken(request: web.Request) -> web.Response:
    state = request.app[FAKE_WECOM]
    state.gettoken_calls += 1
    if request.query.get("corpid") != state.corp_id or request.query.get("corpsecret") not in state.app_secrets:
        return web.json_response(_error(40001))
    token = "tok" + secrets.token_hex(16)
    state.tokens[token] = state.clock.now() + TOKEN_LIFETIME
    return web.json_response(
        {"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": int(TOKEN_LIFETIME.total_seconds())}
    )


def _text_of(body: dict[str, Any]) -> str | None:
    msgtype = body.get("msgtype")
    if msgtype in ("text", "markdown"):
        return str((body.get(msgtype) or {}).get("content", ""))
    return None


def _message_send(state: FakeWecom, body: dict[str, Any]) -> tuple[dict[str, Any], bool, bool]:
    if _text_of(body) == "":
        return _error(44004), False, False
    earlier = state._duplicate_of(body)
    if earlier is not None:
        return earlier, False, True  # WeCom keeps it once
    users = [u for u in str(body.get("touser", "")).split("|") if u]
    invalid = [user for user in users if user in state.left]
    if users and len(invalid) == len(users):
        return _error(81013), False, False  # every recipient invalid: the send fails as a whole
    dropped = any([state._over_limit("member", user, MEMBER_LIMITS) for user in users if user not in state.left])
    answer: dict[str, Any] = {
        "errcode": 0,
        "errmsg": "ok",
        "invaliduser": "|".join(invalid),
        "msgid": state._new_id("msg"),
    }
    card = body.get("template_card") or {}
    if body.get("msgtype") == "template_card" and card.get("card_type") in (
        "button_interaction",
        "vote_interaction",
        "multiple_interaction",
    ):
        answer["response_code"] = state.new_response_code()
    state._remember_answer(body, answer)
    return answer, dropped, False


def _user_list_id(state: FakeWecom, body: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """The member directory, `limit` userids a page after `cursor` (here: the index to go on from)."""
    if state.members is None:
        return _error(48002), False  # the API is not allowed for this app
    start, limit = int(body.get("cursor") or 0), int(body.get("limit") or 1000)
    page = state.members[start : start + limit]
    more = start + limit < len(state.members)
    return {
        "errcode": 0,
        "errmsg": "ok",
        "next_cursor": str(start + limit) if more else "",
        "dept_user": [{"userid": userid, "department": 1} for userid in page],
    }, False


def _update_card(state: FakeWecom, body: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    code = str(body.get("response_code", ""))
    if state.response_codes.get(code) is not False:
        return {"errcode": RESPONSE_URL_USED, "errmsg": "sandbox: response_code unknown or already used"}, False
    state.response_codes[code] = True
    return {"errcode": 0, "errmsg": "ok", "invaliduser": []}, False


def _appchat_create(state: FakeWecom, body: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    chatid = str(body.get("chatid") or state._new_id("chat"))
    if chatid in state.chats:
        return _error(CHAT_EXISTS), False
    state.chats[chatid] = {
        "name": body.get("name", ""),
        "owner": body.get("owner", ""),
        "userlist": list(body.get("userlist", [])),
    }
    return {"errcode": 0, "errmsg": "ok", "chatid": chatid}, False


def _appchat_send(state: FakeWecom, body: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    if str(body.get("chatid", "")) not in state.chats:
        return {"errcode": 86003, "errmsg": "sandbox: chat not found"}, False
    if _text_of(body) == "":
        return _error(44004), False
    return {"errcode": 0, "errmsg": "ok"}, False


def _kf_send(state: FakeWecom, body: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    open_kfid, customer_id = str(body.get("open_kfid", "")), str(body.get("touser", ""))
    msgid = str(body.get("msgid") or state._new_id("kfsend"))
    earlier = state.kf_msgids.get((open_kfid, msgid))
    if earlier is not None:
        return earlier, False  # the same msgid again: WeCom keeps it once
    customer = state.kf_customers.get(customer_id)
    if customer is None or state.clock.now() - customer["last"] > KF_WINDOW:
        return _error(95002), False
    if customer["sent"] >= KF_SENDS_PER_WINDOW:
        return _error(95001), False
    customer["sent"] += 1
    answer = {"errcode": 0, "errmsg": "ok", "msgid": msgid}
    state.kf_msgids[(open_kfid, msgid)] = answer
    return answer, False


def _kf_contact_way(state: FakeWecom, body: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    scene = str(body.get("scene", ""))
    url = f"{state.base_url}/kf/kfc{secrets.token_hex(6)}?enc_scene={scene}"
    return {"errcode": 0, "errmsg": "ok", "url": url}, False


def _kf_sync(state: FakeWecom, body: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    token = body.get("token")
    if token:
        expiry = state.kf_sync_tokens.get(str(token))
        if expiry is None or expiry <= state.clock.now():
            return _error(95007), False
    open_kfid = body.get("open_kfid")
    items = [q.item for q in state.kf_messages if not open_kfid or q.item["open_kfid"] == open_kfid]
    start = int(body.get("cursor") or 0)
    limit = max(1, min(int(body.get("limit") or 1000), 1000))
    page = items[start : start + limit]
    end = start + len(page)
    return {
        "errcode": 0,
        "errmsg": "ok",
        "next_cursor": str(end),
        "has_more": int(end < len(items)),
        "msg_list": page,
    }, False


async def _media_get(request: web.Request) -> web.Response:
    state = request.app[FAKE_WECOM]
    token_error = state._token_error(request)
    media_id = request.query.get("media_id", "")
    state._record("media/get", request, None, _error(token_error) if token_error else {"errcode": 0})
    if token_error:
        return web.json_response(_error(token_error))
    return _media_response(state, media_id)


async def _sandbox_media(request: web.Request) -> web.Response:
    """The PicUrl of an image callback (no token needed, as WeCom's PicUrl)."""
    return _media_response(request.app[FAKE_WECOM], request.match_info["media_id"])


def _media_response(state: FakeWecom, media_id: str) -> web.Response:
    content, content_type = state.media.get(media_id, (b"\xff\xd8sandbox-image-" + media_id.encode(), "image/jpeg"))
    return web.Response(
        body=content, content_type=content_type, headers={"Content-Disposition": f'attachment; filename="{media_id}"'}
    )


async def _webhook_send(request: web.Request) -> web.Response:
    state = request.app[FAKE_WECOM]
    body = await _body(request)
    key = request.query.get("key", "")
    if not key:
        answer = _error(93000)
    elif state._over_limit("webhook", key, (WEBHOOK_LIMIT,)):
        answer = _error(45009)
    elif isinstance(body, dict) and _text_of(body) == "":
        answer = _error(44004)
    else:
        answer = {"errcode": 0, "errmsg": "ok"}
    return web.json_response(state._record("webhook/send", request, body, answer))


async def _aibot_response(request: web.Request) -> web.Response:
    state = request.app[FAKE_WECOM]
    body = await _body(request)
    code = request.query.get("response_code", "")
    if state.response_codes.get(code) is not False:
        answer = {"errcode": RESPONSE_URL_USED, "errmsg": "sandbox: response_url unknown or already used"}
    else:
        state.response_codes[code] = True
        answer = {"errcode": 0, "errmsg": "ok"}
    return web.json_response(state._record("aibot/response", request, body, answer))


# -- the sandbox's own controls (for the demo page) ----------------------------------------------


async def _sandbox_sent(request: web.Request) -> web.Response:
    state = request.app[FAKE_WECOM]
    path = request.query.get("path")
    since = int(request.query.get("since", 0))
    calls = [c.to_json() for c in state.sent if c.seq > since and (path is None or c.path == path.strip("/"))]
    return web.json_response({"sent": calls})


async def _sandbox_fail(request: web.Request) -> web.Response:
    state = request.app[FAKE_WECOM]
    body = await request.json()
    try:
        state.fail_next(
            str(body["path"]),
            int(body.get("times", 1)),
            mode=str(body.get("mode", "errcode")),
            errcode=int(body.get("errcode", -1)),
            status=int(body.get("status", 503)),
            delay=float(body.get("delay", 0.0)),
        )
    except (KeyError, ValueError) as exc:
        return web.json_response({"ok": False, "error": str(exc)}, status=400)
    return web.json_response({"ok": True})


async def _sandbox_clear(request: web.Request) -> web.Response:
    request.app[FAKE_WECOM].clear_failures()
    return web.json_response({"ok": True})


async def _sandbox_invalidate(request: web.Request) -> web.Response:
    request.app[FAKE_WECOM].invalidate_tokens()
    return web.json_response({"ok": True})


async def _sandbox_kf_queue(request: web.Request) -> web.Response:
    body = await request.json()
    token = request.app[FAKE_WECOM].queue_kf_message(
        str(body["open_kfid"]), str(body["external_userid"]), str(body.get("text", ""))
    )
    return web.json_response({"ok": True, "token": token})


async def _sandbox_response_url(request: web.Request) -> web.Response:
    return web.json_response({"ok": True, "response_url": request.app[FAKE_WECOM].response_url()})
