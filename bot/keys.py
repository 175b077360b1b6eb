"""The typed keys under which create_app shares its parts (aiohttp `web.AppKey`): with the views, the
sandbox and the tests.

The keys the callback views read live in bot/channels/keys.py (the views sit below the composition and
must not import it) and are re-exported here; the others name the composition's own parts, up to the
dispatcher and the handlers' services, so this module sits with bot/app.py at the top of the layers.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import aiohttp
from aiohttp import web

from bot.calendar import CalendarHolder
from bot.channels.keys import AIBOT_CRYPTO, APP_CRYPTO, CARD_ACK, CLOCK, INBOX, KF, REFUSALS, SETTINGS
from config.policy import Policy
from config.powers_file import PowersList

if TYPE_CHECKING:
    from bot.channels.wecom_aibot_ws import AibotSocket
    from bot.channels.wecom_api import WecomApi
    from bot.dispatch import Dispatcher
    from bot.outbox import OutboxWorker
    from bot.scheduler import Scheduler
    from handlers.core.context import Services
    from nlp.holder import RouterHolder

__all__ = [
    "AIBOT_CRYPTO",
    "AIBOT_SOCKET",
    "APP_CRYPTO",
    "CALENDAR",
    "CARD_ACK",
    "CLOCK",
    "DISPATCHER",
    "HTTP",
    "INBOX",
    "KF",
    "OUTBOX_WAKE",
    "OUTBOX_WORKER",
    "POLICY",
    "POWERS",
    "REFUSALS",
    "ROUTER",
    "SCHEDULER",
    "SERVICES",
    "SETTINGS",
    "WECOM_API",
]

HTTP = web.AppKey("http", aiohttp.ClientSession)
WECOM_API: web.AppKey[WecomApi] = web.AppKey("wecom_api")
ROUTER: web.AppKey[RouterHolder] = web.AppKey("router_holder")  # the routing table, reloaded on change
DISPATCHER: web.AppKey[Dispatcher] = web.AppKey("dispatcher")
OUTBOX_WORKER: web.AppKey[OutboxWorker] = web.AppKey("outbox_worker")
OUTBOX_WAKE = web.AppKey("outbox_wake", asyncio.Event)  # set after a commit queued messages
SCHEDULER: web.AppKey[Scheduler] = web.AppKey("scheduler")
SERVICES: web.AppKey[Services] = web.AppKey("services")  # what every handler and ticker shares
POLICY = web.AppKey("policy", Policy)  # the settings' policy file, checked at start
POWERS: web.AppKey[PowersList | None] = web.AppKey("powers")  # the small-powers list, None when off
CALENDAR = web.AppKey("calendar", CalendarHolder)  # the work calendar, re-read when its file changes
AIBOT_SOCKET: web.AppKey[AibotSocket] = web.AppKey("aibot_socket")  # the AI bot's long connection, when its mode
