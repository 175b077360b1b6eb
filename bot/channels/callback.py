"""What both callback endpoints (app XML, AI bot JSON) share: verify, then parse.

The order is the defence: the size (bot/channels/limits.py, before the body is read); the envelope,
read by a bounded reader only to find the `Encrypt` value; the signature over it; the timestamp
window; only then decryption, and the view parses the message.

Status codes: a forged signature or a timestamp too far from our clock is 403 (and nothing is read
further); anything we cannot read (envelope, base64, padding, receiveid, XML or JSON, at any depth) is
400; too big is 413. WeCom retries anything but 200, which is what we want for our own failures only.
Each refusal is one short line in a rate-limited log (no content, no traceback).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.channels.crypto import BadSignature, CryptoError, WecomCrypto
from bot.channels.envelope import BadPayload
from bot.channels.keys import CLOCK, INBOX, REFUSALS, SETTINGS
from bot.channels.limits import clock_skew
from bot.channels.types import Inbound

log = logging.getLogger(__name__)


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


def signed_query(request: web.Request, channel: str) -> SignedQuery:
    query = request.query
    try:
        return SignedQuery(query["msg_signature"], query["timestamp"], query["nonce"])
    except KeyError as exc:
        raise refuse(request, channel, BadPayload(f"missing {exc.args[0]}")) from None


def refuse(request: web.Request, channel: str, exc: Exception, detail: str = "") -> web.HTTPException:
    """The HTTP answer for a callback we cannot trust or read, logged (rate-limited) without its content."""
    log_refusal = request.app[REFUSALS].refused
    if isinstance(exc, BadSignature):
        log_refusal(channel, "bad signature")
        return web.HTTPForbidden(text="bad signature")
    if isinstance(exc, StaleTimestamp):
        log_refusal(channel, "timestamp outside the window", detail)
        return web.HTTPForbidden(text="timestamp outside the window")
    reason = str(exc) if isinstance(exc, (CryptoError, BadPayload)) else f"unreadable ({type(exc).__name__})"
    log_refusal(channel, reason, detail)
    return web.HTTPBadRequest(text=reason)


class StaleTimestamp(Exception):
    """Signed, but dated further from our clock than [wecom] max_clock_skew: a replay, or a wrong clock."""


def check_window(request: web.Request, timestamp: str) -> None:
    """Refuse a signed callback dated too far from now; WeCom's retries, seconds apart, pass."""
    try:
        skew = clock_skew(timestamp, request.app[CLOCK].now()).seconds
    except ValueError as exc:
        raise BadPayload(str(exc)) from None
    if abs(skew) > request.app[SETTINGS].wecom.max_clock_skew:
        raise StaleTimestamp(f"{skew:+.0f} s from our clock")


async def open_callback(
    request: web.Request, crypto: WecomCrypto, channel: str, envelope: Callable[[bytes], str]
) -> tuple[SignedQuery, str]:
    """Verify, then decrypt: the signed query and the plaintext of a POSTed callback.

    envelope: the bounded reader that finds the Encrypt value in the body (it reads nothing else).
    Raises the HTTP refusal; nothing a sender controls gets further unverified.
    """
    signed = signed_query(request, channel)
    body = await request.read()  # within its size and time limits (bot/channels/limits.py)
    try:
        encrypt = envelope(body)
        crypto.check_signature(signed.signature, signed.timestamp, signed.nonce, encrypt)
        check_window(request, signed.timestamp)
        return signed, crypto.open(encrypt)
    except StaleTimestamp as exc:
        raise refuse(request, channel, exc, str(exc)) from None
    except (CryptoError, BadPayload) as exc:
        raise refuse(request, channel, exc) from None


async def verify_url(request: web.Request, crypto: WecomCrypto, channel: str) -> web.Response:
    """GET: the check WeCom makes when an admin saves the callback URL; echo the plaintext, nothing else."""
    signed = signed_query(request, channel)
    echostr = request.query.get("echostr")
    if not echostr:
        raise refuse(request, channel, BadPayload("missing echostr"))
    try:
        plain = crypto.verify_url(signed.signature, signed.timestamp, signed.nonce, echostr)
    except (CryptoError, ValueError) as exc:
        raise refuse(request, channel, exc) from None
    return web.Response(text=plain, content_type="text/plain")


async def store(request: web.Request, inbound: Inbound, key: str) -> bool:
    """Commit the inbox row and wake the worker; False when it was already stored (a retry)."""
    row_id = await request.app[INBOX].intake.record(inbound, key)  # with the callbacks of this moment
    if row_id is None:
        log.info("%s message %s already stored: a retry, answered and ignored", inbound.channel, key)
        return False
    request.app[INBOX].stored(row_id, inbound)
    return True
