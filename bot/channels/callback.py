"""What both callback endpoints (app XML, AI bot JSON) share: the signed query, the GET check, the
mapping of crypto failures to HTTP answers, and storing an Inbound before the answer.

Status codes: a forged signature is 403 (and nothing is read further); a body that is signed but
broken (bad base64, padding, receiveid, XML or JSON) is 400; too big is 413 (the application's
client_max_size). WeCom retries anything but 200, which is what we want for our own failures only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot import inbox
from bot.channels.crypto import BadSignature, CryptoError, WecomCrypto
from bot.channels.keys import INBOX
from bot.channels.types import Inbound

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024  # WeCom's callbacks are a few kB; anything over 1 MB is refused with 413


@dataclass(frozen=True)
class SignedQuery:
    signature: str
    timestamp: str
    nonce: str


Mapper = Callable[[dict[str, Any]], tuple[str, str, dict[str, Any]]]  # wire dict → (kind, text, extra)


def as_list(value: Any) -> list[Any]:
    """XML and JSON give one item as itself and several as a list: always a list."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def signed_query(request: web.Request) -> SignedQuery:
    query = request.query
    try:
        return SignedQuery(query["msg_signature"], query["timestamp"], query["nonce"])
    except KeyError as exc:
        raise web.HTTPBadRequest(text=f"missing {exc.args[0]}") from None


def refuse(exc: CryptoError, channel: str) -> web.HTTPException:
    """The HTTP answer for a callback we cannot trust or read; logged without its content."""
    if isinstance(exc, BadSignature):
        log.warning("%s callback refused: bad signature", channel)
        return web.HTTPForbidden(text="bad signature")
    log.warning("%s callback refused: %s", channel, exc)
    return web.HTTPBadRequest(text=str(exc))


async def verify_url(request: web.Request, crypto: WecomCrypto, channel: str) -> web.Response:
    """GET: the check WeCom makes when an admin saves the callback URL; echo the plaintext, nothing else."""
    signed = signed_query(request)
    echostr = request.query.get("echostr")
    if not echostr:
        raise web.HTTPBadRequest(text="missing echostr")
    try:
        plain = crypto.verify_url(signed.signature, signed.timestamp, signed.nonce, echostr)
    except CryptoError as exc:
        raise refuse(exc, channel) from None
    return web.Response(text=plain, content_type="text/plain")


async def store(request: web.Request, inbound: Inbound, key: str) -> bool:
    """Commit the inbox row and wake the worker; False when it was already stored (a retry)."""
    row_id = await inbox.record(inbound, key)
    if row_id is None:
        log.info("%s message %s already stored: a retry, answered and ignored", inbound.channel, key)
        return False
    request.app[INBOX].notify()
    return True
