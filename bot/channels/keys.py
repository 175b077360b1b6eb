"""The typed keys the callback views read from the application at request time (aiohttp `web.AppKey`).

The views read what they need per request (`request.app[INBOX]`), so the application can be composed
first and its workers started later, in cleanup_ctx. The composition's other parts have their keys in
bot/keys.py, which also re-exports these.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from bot.channels.crypto import WecomCrypto
from bot.channels.limits import RefusalLog
from bot.clock import Clock
from config.settings import Settings

if TYPE_CHECKING:
    from bot.channels.wecom_kf import KfPuller
    from bot.inbox import InboxWorker

SETTINGS = web.AppKey("settings", Settings)
CLOCK = web.AppKey("clock", Clock)
APP_CRYPTO = web.AppKey("app_crypto", WecomCrypto)  # the self-built app's callback (receiveid = corp id)
AIBOT_CRYPTO = web.AppKey("aibot_crypto", WecomCrypto)  # the AI bot's callback (receiveid "")
CARD_ACK = web.AppKey("card_ack", str)  # the text a clicked card's buttons turn into at once ("" = none)
REFUSALS = web.AppKey("refusals", RefusalLog)  # the rate-limited log of refused callbacks
INBOX: web.AppKey[InboxWorker] = web.AppKey("inbox")
KF: web.AppKey[KfPuller] = web.AppKey("kf")
