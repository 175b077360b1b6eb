"""One async client for the WeCom server API (protocol notes §3): access token, errcodes, bounded retries.

wechatpy's client blocks the event loop and retries a bad token without bound, so the service has its own.
The access token lives in the database (one `ApiToken` row per corp + app) so every process shares it;
one caller at a time refreshes it: an asyncio lock inside the process, a lease (`refresh_lock_until`)
across processes. Callers see one of two outcomes: WeCom's answer as a dict, or a ChannelError —
TIMED_OUT when the call went out and its answer did not come within SEND_TIMEOUT (WeCom may have taken
it), TRANSPORT_ERROR when nothing usable came back and nothing was taken (refused, 5xx, not JSON).
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from tortoise.expressions import Q

from bot.clock import Clock
from config.errors import ChannelError
from config.settings import WecomSettings
from models import ApiToken

TOKEN_ERRORS = frozenset({40014, 42001, 40001})  # the token went bad before its time (§3.1): fetch a new one
BUSY = -1  # "system busy": retry, at most 3 times (§3.2)
RATE_LIMITED = frozenset({45009, 45033})  # a limit was hit: the caller must wait, not hammer
TRANSPORT_ERROR = -2  # our code for "no usable HTTP answer" (refused, 5xx, not JSON): WeCom took nothing
TIMED_OUT = -4  # our code for "sent, but no answer in time": WeCom may have accepted it

# How long a call may take before we give up on its answer. WeCom documents no answer time for its
# API, only that a retry is safe for app messages (enable_duplicate_check, 1800 s by default) and kf
# (msgid) and refused for single-use codes; giving up early turns a slow acceptance into a second
# send on channels without such a key (webhook, appchat). 30 s is well beyond the slowest acceptance
# seen (12 s) and keeps 8 attempts with their back-off inside the 1800 s duplicate-check window.
SEND_TIMEOUT = 30.0
CONNECT_TIMEOUT = 10.0  # no connection means nothing was sent: safe to retry, so no need to wait long

REFRESH_MARGIN = timedelta(minutes=5)  # refresh this long before WeCom's expiry
REFRESH_LEASE = timedelta(seconds=30)  # how long one process may take to refresh before another tries
MAX_TOKEN_REFETCHES = 2
MAX_BUSY_RETRIES = 3


class WecomApi:
    """`await api.call("message/send", {...})` → WeCom's answer; raises ChannelError when errcode != 0.

    session: the service's one aiohttp ClientSession. clock: the injectable clock (token expiry, leases).
    busy_delays: seconds to wait before each retry of errcode -1 (tests pass zeros).
    timeout: seconds to wait for an answer (SEND_TIMEOUT); a call past it raises errcode TIMED_OUT.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        wecom: WecomSettings,
        clock: Clock,
        *,
        timeout: float = SEND_TIMEOUT,
        busy_delays: tuple[float, ...] = (0.2, 0.5, 1.0),
        lease_wait: float = 0.05,
        lease_polls: int = 100,
    ) -> None:
        self.session = session
        self.wecom = wecom
        self.clock = clock
        self.base = wecom.api_base.rstrip("/")
        self.token_key = f"{wecom.corp_id}:{wecom.app.agent_id}"
        self._timeout = aiohttp.ClientTimeout(total=timeout, connect=min(CONNECT_TIMEOUT, timeout))
        self._busy_delays = tuple(busy_delays)[:MAX_BUSY_RETRIES] + (0.0,) * (MAX_BUSY_RETRIES - len(busy_delays))
        self._lease_wait = lease_wait
        self._lease_polls = lease_polls
        self._lock = asyncio.Lock()
        self._token = ""
        self._expires_at: datetime | None = None
        self.gettoken_calls = 0  # how often this instance asked WeCom for a token (for logs and tests)

    # -- the public calls --------------------------------------------------------------------------

    async def call(
        self,
        path: str,
        payload: dict[str, Any] | None = None,
        *,
        method: str = "POST",
        params: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Call `{api_base}/{path}` with the access token; token errors and -1 are retried a bounded number of times."""
        url = f"{self.base}/{path.lstrip('/')}"
        refetches = busy = 0
        while True:
            token = await self.token()
            query = dict(params or {}, access_token=token)
            answer = await self._request(method, url, path, payload, query)
            errcode = _errcode(answer)
            if errcode == 0:
                return answer
            if errcode in TOKEN_ERRORS and refetches < MAX_TOKEN_REFETCHES:
                refetches += 1
                await self._forget(token)
                continue
            if errcode == BUSY and busy < MAX_BUSY_RETRIES:
                await asyncio.sleep(self._busy_delays[busy])
                busy += 1
                continue
            raise ChannelError(errcode, str(answer.get("errmsg", "")), path)

    async def post_url(
        self, url: str, payload: dict[str, Any], *, params: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """POST to an absolute URL that needs no access token (AI-bot response_url, group webhook)."""
        answer = await self._request("POST", url, _short(url), payload, params or {})
        errcode = _errcode(answer)
        if errcode != 0:
            raise ChannelError(errcode, str(answer.get("errmsg", "")), _short(url))
        return answer

    # -- the access token --------------------------------------------------------------------------

    async def token(self) -> str:
        """A token valid for at least REFRESH_MARGIN: from memory, else the database, else WeCom."""
        if self._fresh(self._expires_at) and self._token:
            return self._token
        async with self._lock:
            if self._fresh(self._expires_at) and self._token:
                return self._token
            for _ in range(self._lease_polls):
                row = await self._row()
                if row.token and self._fresh(row.expires_at):
                    return self._remember(row.token, row.expires_at)
                if await self._take_lease():
                    row = await ApiToken.get(key=self.token_key)  # another refresher may have just finished
                    if row.token and self._fresh(row.expires_at):
                        await ApiToken.filter(key=self.token_key).update(refresh_lock_until=None)
                        return self._remember(row.token, row.expires_at)
                    return await self._refresh()
                if row.token and row.expires_at is not None and row.expires_at > self.clock.now():
                    return self._remember(row.token, row.expires_at)  # still valid; another process refreshes
                await asyncio.sleep(self._lease_wait)  # another process is fetching: wait for its token
            return await self._refresh()  # the lease holder never finished: fetch anyway (bounded above)

    def _fresh(self, expires_at: datetime | None) -> bool:
        return expires_at is not None and expires_at - REFRESH_MARGIN > self.clock.now()

    def _remember(self, token: str, expires_at: datetime | None) -> str:
        self._token, self._expires_at = token, expires_at
        return token

    async def _row(self) -> ApiToken:
        await ApiToken.bulk_create([ApiToken(key=self.token_key)], ignore_conflicts=True)
        return await ApiToken.get(key=self.token_key)

    async def _take_lease(self) -> bool:
        now = self.clock.now()
        taken = await ApiToken.filter(
            Q(refresh_lock_until__isnull=True) | Q(refresh_lock_until__lt=now), key=self.token_key
        ).update(refresh_lock_until=now + REFRESH_LEASE)
        return taken == 1

    async def _refresh(self) -> str:
        try:
            answer = await self._request(
                "GET",
                f"{self.base}/gettoken",
                "gettoken",
                None,
                {"corpid": self.wecom.corp_id, "corpsecret": self.wecom.app.secret},
            )
            self.gettoken_calls += 1
            errcode = _errcode(answer)
            if errcode != 0 or not answer.get("access_token"):
                raise ChannelError(errcode, str(answer.get("errmsg", "")), "gettoken")
            token = str(answer["access_token"])
            expires_at = self.clock.now() + timedelta(seconds=int(answer.get("expires_in", 7200)))
            await ApiToken.filter(key=self.token_key).update(
                token=token, expires_at=expires_at, refresh_lock_until=None
            )
            return self._remember(token, expires_at)
        except ChannelError as exc:
            await ApiToken.filter(key=self.token_key).update(refresh_lock_until=None)
            if exc.errcode == TIMED_OUT:  # no token, so no message went out: an ordinary transport error
                raise ChannelError(TRANSPORT_ERROR, exc.errmsg, exc.api) from None
            raise
        except BaseException:
            await ApiToken.filter(key=self.token_key).update(refresh_lock_until=None)
            raise

    async def _forget(self, token: str) -> None:
        """WeCom refused this token: drop it here and in the database (unless another process replaced it)."""
        self._token, self._expires_at = "", None
        await ApiToken.filter(key=self.token_key, token=token).update(expires_at=self.clock.now())

    # -- HTTP --------------------------------------------------------------------------------------

    async def _request(
        self, method: str, url: str, api: str, payload: dict[str, Any] | None, params: dict[str, Any]
    ) -> dict[str, Any]:
        try:
            async with self.session.request(
                method, url, params=params, json=payload if method != "GET" else None, timeout=self._timeout
            ) as response:
                if response.status >= 400:
                    raise ChannelError(TRANSPORT_ERROR, f"HTTP {response.status}", api)
                answer = await response.json(content_type=None)
        except aiohttp.ConnectionTimeoutError as exc:  # never connected: nothing went out
            raise ChannelError(TRANSPORT_ERROR, f"{type(exc).__name__}: {exc}", api) from None
        except TimeoutError:  # the request went out; whether WeCom took it is unknown
            raise ChannelError(TIMED_OUT, f"no answer within {self._timeout.total} s", api) from None
        except (aiohttp.ClientError, ValueError) as exc:
            raise ChannelError(TRANSPORT_ERROR, f"{type(exc).__name__}: {exc}", api) from None
        if not isinstance(answer, dict):
            raise ChannelError(TRANSPORT_ERROR, "answer is not a JSON object", api)
        return answer


def _errcode(answer: dict[str, Any]) -> int:
    try:
        return int(answer.get("errcode", 0))
    except (TypeError, ValueError):
        return TRANSPORT_ERROR


def _short(url: str) -> str:
    """A URL without its query, for error messages (the query may hold a webhook key or response code)."""
    return url.split("?", 1)[0]


def split_utf8(text: str, limit: int = 2048) -> list[str]:
    """Cut text into pieces of at most `limit` UTF-8 bytes, at a line break where one is near, never mid-character."""
    pieces: list[str] = []
    rest = text
    while len(rest.encode("utf-8")) > limit:
        cut = _fit(rest, limit)
        newline = rest.rfind("\n", 0, cut)
        if newline >= cut // 2:  # a line break in the second half of the piece: cut there
            pieces.append(rest[:newline])
            rest = rest[newline + 1 :]
        else:
            pieces.append(rest[:cut])
            rest = rest[cut:]
    pieces.append(rest)
    return [piece for piece in pieces if piece] or [""]


def _fit(text: str, limit: int) -> int:
    """The largest number of characters of `text` whose UTF-8 form fits in `limit` bytes."""
    encoded = text.encode("utf-8")[:limit]
    return len(encoded.decode("utf-8", errors="ignore"))
