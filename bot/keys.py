"""The typed keys under which create_app shares its parts with the views (aiohttp `web.AppKey`).

The channels read what they need at request time (`request.app[INBOX]`), so the application can be
composed first and its workers started later, in cleanup_ctx.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web

from bot.calendar import CalendarHolder
from bot.channels.crypto import WecomCrypto
from bot.clock import Clock
from config.policy import Policy
from config.settings import Settings

if TYPE_CHECKING:
    from bot.channels.wecom_api import WecomApi
    from bot.channels.wecom_kf import KfPuller
    from bot.inbox import InboxWorker

SETTINGS = web.AppKey("settings", Settings)
CLOCK = web.AppKey("clock", Clock)
APP_CRYPTO = web.AppKey("app_crypto", WecomCrypto)  # the self-built app's callback (receiveid = corp id)
AIBOT_CRYPTO = web.AppKey("aibot_crypto", WecomCrypto)  # the AI bot's callback (receiveid "")
CARD_ACK = web.AppKey("card_ack", str)  # the text a clicked card's buttons turn into at once ("" = none)
HTTP = web.AppKey("http", aiohttp.ClientSession)
WECOM_API: web.AppKey[WecomApi] = web.AppKey("wecom_api")
INBOX: web.AppKey[InboxWorker] = web.AppKey("inbox")
KF: web.AppKey[KfPuller] = web.AppKey("kf")
ROUTER: web.AppKey[Any] = web.AppKey("router_holder")  # nlp.holder.RouterHolder
DISPATCHER: web.AppKey[Any] = web.AppKey("dispatcher")  # bot.dispatch.Dispatcher
OUTBOX_WORKER: web.AppKey[Any] = web.AppKey("outbox_worker")  # bot.outbox.OutboxWorker
OUTBOX_WAKE = web.AppKey("outbox_wake", asyncio.Event)  # set after a commit queued messages
SCHEDULER: web.AppKey[Any] = web.AppKey("scheduler")  # bot.scheduler.Scheduler
SERVICES: web.AppKey[Any] = web.AppKey("services")  # handlers.base.Services
POLICY = web.AppKey("policy", Policy)  # the settings' policy file, checked at start
CALENDAR = web.AppKey("calendar", CalendarHolder)  # the work calendar, re-read when its file changes
