"""`create_app(settings)`: the service composed in one place.

Resources start in `cleanup_ctx` order and stop in reverse; each hook below says why it sits where it
does. Everything a view needs is shared through the typed keys of bot/keys.py. All of it happens
before the server listens (aiohttp runs cleanup_ctx in `AppRunner.setup()`), so the first callback
already finds the schema migrated, the org loaded and the routing table built.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web

from bot import inbox
from bot.calendar import RELOAD_SECONDS, CalendarHolder
from bot.channels import wecom_aibot, wecom_app
from bot.channels.crypto import WecomCrypto
from bot.channels.limits import MAX_BODY, RefusalLog, body_deadline
from bot.channels.media import inbound_file
from bot.channels.wecom_api import WecomApi
from bot.channels.wecom_kf import KfPuller
from bot.clock import Clock
from bot.keys import (
    AIBOT_CRYPTO,
    AIBOT_SOCKET,
    APP_CRYPTO,
    CALENDAR,
    CARD_ACK,
    CLOCK,
    DISPATCHER,
    HTTP,
    INBOX,
    KF,
    OUTBOX_WAKE,
    OUTBOX_WORKER,
    POLICY,
    POWERS,
    REFUSALS,
    ROUTER,
    SCHEDULER,
    SERVICES,
    SETTINGS,
    WECOM_API,
)
from bot.wakeup import stop_task
from config.index_file import read_index
from config.policy import load_policy
from config.powers_file import read_powers
from config.settings import Settings
from config.texts import Texts
from models.db import close_db, open_db

if TYPE_CHECKING:  # at run time imported where they are built, only when this app needs them (handlers, jieba)
    from bot.dispatch import Dispatcher
    from handlers.core.context import Services
    from nlp.holder import RouterHolder

log = logging.getLogger(__name__)

Process = Callable[[int], Awaitable[bool | None]]
CARD_ACK_TEXT = "channel.card_clicked"
MEDIA_COPY_SECONDS = 60  # replies.toml key: what a clicked card's buttons turn into
RATES_SECONDS = 60  # the console's rates: events read into the parts, large figure sets recounted


def create_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    process: Process | None = None,
    migrate: bool = True,
    load_org: bool = True,
    background: bool = True,
) -> web.Application:
    """The whole service as an aiohttp application.

    clock: the injectable clock (tests pass a ManualClock).
    process: what the inbox worker does with a row; default the Dispatcher (benchmarks pass
        `bot.inbox.mark_done`-like stand-ins to measure intake alone).
    migrate, load_org: apply pending migrations / load the org file at start.
    background: run the outbox worker, kf puller catch-up and scheduler (tests of intake alone
        switch them off; the inbox worker always runs).
    """
    clock = clock or Clock()
    refusals = RefusalLog(clock)  # one rate-limited log of refused requests, for the middleware and the views
    # Outermost, the trace id and the callback counts (so refusals below are counted too); then every body
    # within its size and time before a view reads it (bot/channels/limits.py).
    app = web.Application(
        client_max_size=MAX_BODY,
        middlewares=[count_callbacks, body_deadline(settings.server.body_timeout, refusals)],
    )
    app[SETTINGS] = settings
    app[CLOCK] = clock
    app[REFUSALS] = refusals
    wecom = settings.wecom
    app[APP_CRYPTO] = WecomCrypto(wecom.app.token, wecom.app.encoding_aes_key, wecom.corp_id)
    app[AIBOT_CRYPTO] = WecomCrypto(wecom.aibot.token, wecom.aibot.encoding_aes_key, "")
    texts = Texts.load()
    app[CARD_ACK] = texts.render(CARD_ACK_TEXT) if CARD_ACK_TEXT in texts else ""
    # Read before anything starts, so a mistake in either file stops the start with its name.
    app[POLICY] = load_policy(settings.policy.file)
    app[CALENDAR] = CalendarHolder.load(settings.policy.calendar)
    app[POWERS] = read_powers(settings.powers.file) if settings.powers.file else None

    app.cleanup_ctx.append(_calendar)
    app.cleanup_ctx.append(partial(_database, migrate=migrate))
    if load_org:
        app.cleanup_ctx.append(_org)
    if process is None:  # only the dispatcher classifies text
        app.cleanup_ctx.append(_router)
    app.cleanup_ctx.append(_http)
    if settings.wecom.aibot.long_connection:
        app.cleanup_ctx.append(_aibot_socket)
    app.cleanup_ctx.append(_outbox if background else _no_outbox)
    app.cleanup_ctx.append(partial(_inbox, process=process))
    app.cleanup_ctx.append(partial(_kf, catch_up=background))
    if background and process is None:  # tickers need the handlers' services
        app.cleanup_ctx.append(_scheduler)

    app.router.add_get("/wecom/app", wecom_app.get)
    app.router.add_post("/wecom/app", wecom_app.post)
    app.router.add_get("/wecom/aibot", wecom_aibot.get)
    app.router.add_post("/wecom/aibot", wecom_aibot.post)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics_page)
    from bot.console import add_console  # the leaders' console: pages and /api/v1/ on the same app

    add_console(app)
    return app


# -- watching: /healthz, /metrics and the callbacks' counts and trace ids ---------------------------------

# /healthz names a problem when these are exceeded (the sample alerts in deploy/alerts.yml use the same).
INBOX_AGE_LIMIT = 300.0  # seconds an inbox row may wait for the dispatcher
OUTBOX_AGE_LIMIT = 600.0  # seconds a due outbox row may wait for WeCom
WECOM_SILENCE_LIMIT = 600.0  # seconds without WeCom accepting anything while rows are due


@web.middleware
async def count_callbacks(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Every request gets a trace id (in the JSON log lines and the X-Trace-Id header); WeCom's callbacks
    are counted by channel and result."""
    from bot import logs, metrics

    token = logs.TRACE_ID.set(logs.new_trace_id())
    status = 500  # unless the handler answers
    try:
        response = await handler(request)
        status = response.status
        response.headers["X-Trace-Id"] = logs.TRACE_ID.get()
        return response
    except web.HTTPException as exc:
        status = exc.status
        exc.headers["X-Trace-Id"] = logs.TRACE_ID.get()
        raise
    finally:
        if request.path.startswith("/wecom/"):
            metrics.CALLBACKS.labels(request.path.removeprefix("/wecom/"), metrics.callback_result(status)).inc()
            log.info("callback %s %s answered %s", request.method, request.path, status)
        logs.TRACE_ID.reset(token)


async def healthz(request: web.Request) -> web.Response:
    """200 whenever the service is serving; what is wrong is in the body (`ok`, `problems`)."""
    from bot import metrics

    now = request.app[CLOCK].now()
    try:
        state = await metrics.read_state(now, routing=False)
    except Exception as exc:  # the database is the problem: say so, keep answering
        log.warning("healthz: database unreachable: %s", exc)
        return web.json_response({"ok": False, "database": "unreachable", "problems": [f"database: {exc}"]})
    problems = []
    if state.age(state.inbox_oldest) > INBOX_AGE_LIMIT:
        problems.append(f"inbox: oldest unhandled message waits {state.age(state.inbox_oldest):.0f} s")
    if state.age(state.outbox_oldest_due) > OUTBOX_AGE_LIMIT:
        problems.append(f"outbox: oldest due message waits {state.age(state.outbox_oldest_due):.0f} s")
    if state.outbox_due and state.age(state.last_sent or state.outbox_oldest_due) > WECOM_SILENCE_LIMIT:
        problems.append("wecom: nothing accepted for over 10 minutes while messages are due (60020? 企业可信IP)")
    if state.dead_letters:
        problems.append(f"outbox: {state.dead_letters} dead letters")
    aibot = (
        await _aibot_link_health(request.app, problems) if request.app[SETTINGS].wecom.aibot.long_connection else None
    )
    return web.json_response(
        {
            **({"aibot_long_connection": aibot} if aibot is not None else {}),
            "ok": not problems,
            "problems": problems,
            "database": "ok",
            "inbox_pending": state.inbox_pending,
            "inbox_oldest_age_seconds": round(state.age(state.inbox_oldest)),
            "outbox_due": state.outbox_due,
            "outbox_waiting": state.outbox_waiting,
            "outbox_oldest_due_age_seconds": round(state.age(state.outbox_oldest_due)),
            "dead_letters": state.dead_letters,
            "backlog": backlog(request.app, state),
            "last_wecom_success": state.last_sent.isoformat() if state.last_sent else None,
        }
    )


async def _aibot_link_health(app: web.Application, problems: list[str]) -> dict[str, object]:
    """The long connection as the database knows it (whichever process holds it); a problem when it is
    displaced, or down longer than [wecom.aibot] outage_alert_seconds."""
    from bot.channels.wecom_aibot_ws import link_status

    aibot, now = app[SETTINGS].wecom.aibot, app[CLOCK].now()
    link = await link_status(aibot.bot_id)
    if link is None:
        problems.append("aibot long connection: never connected yet")
        return {"up": False}
    down_for = (now - link.down_since).total_seconds() if link.down_since and not link.up else 0.0
    if link.state == "displaced":
        problems.append(
            "aibot long connection: displaced by another connection; `gridwhistle aibot resume` (or a restart)"
            " takes it back"
        )
    elif down_for > aibot.outage_alert_seconds:
        problems.append(f"aibot long connection: down for {down_for:.0f} s")
    since = link.up_since if link.up else link.down_since
    return {
        "up": link.up,
        "state": link.state,
        "since": since.isoformat() if since else None,
        "reconnects": link.reconnects,
        "last_frame_age_seconds": round((now - link.last_frame_at).total_seconds()) if link.last_frame_at else None,
        "holder": link.holder,
    }


def backlog(app: web.Application, state: Any) -> dict[str, int]:
    """What waits now, and the most this process has seen waiting (an operator's view of a flood)."""
    worker = app.get(INBOX)
    return {
        "inbox_pending": state.inbox_pending,
        "outbox_due": state.outbox_due,
        "outbox_waiting": state.outbox_waiting,
        "inbox_largest_seen": worker.largest_backlog if worker is not None else 0,
    }


async def metrics_page(request: web.Request) -> web.Response:
    from bot import metrics

    scheduler = request.app.get(SCHEDULER)
    state = await metrics.read_state(request.app[CLOCK].now())
    body = metrics.render(state, scheduler.is_leader if scheduler is not None else None)
    return web.Response(body=body, headers={"Content-Type": metrics.CONTENT_TYPE})


# -- the cleanup contexts, in start order -------------------------------------------------------------


async def _calendar(app: web.Application) -> AsyncIterator[None]:
    """The work calendar, loaded in create_app: warn about a year without holidays, then follow edits."""
    holder = app[CALENDAR]
    holder.warn_about_missing_years(app[CLOCK].now().date())
    task = asyncio.get_running_loop().create_task(_follow_calendar(holder), name="calendar-reload")
    yield
    await stop_task(task)


async def _follow_calendar(holder: CalendarHolder, every: float = RELOAD_SECONDS) -> None:
    while True:
        await asyncio.sleep(every)
        try:
            holder.check()  # one stat; a read (a few KB) only after an edit
        except Exception:
            log.exception("calendar reload failed; the previous calendar stays in use")


async def _database(app: web.Application, *, migrate: bool) -> AsyncIterator[None]:
    """First: everything else reads or writes the database. Migrations run before the ORM opens."""
    url = app[SETTINGS].database.url
    if migrate:
        from models.migrate import upgrade

        applied = await upgrade(url)
        for name in applied:
            log.info("applied migration %s", name)
    await open_db(url)
    yield
    await close_db()


async def _org(app: web.Application) -> AsyncIterator[None]:
    """The county's org file, loaded idempotently; a bad file stops the start with its mistakes."""
    from models.org import load_org

    settings = app[SETTINGS]
    # load_org holds the org advisory lock itself, so processes starting together load one at a time.
    summary = await load_org([settings.org.file], app[CLOCK].now())
    log.info("org file %s loaded: %s", settings.org.file, summary)
    yield


async def _router(app: web.Application) -> AsyncIterator[None]:
    """The routing table, built in a thread (jieba takes ~0.7 s) before the first message; then
    re-read when the file changes, also off the event loop."""
    from bot.routing import build_router_holder

    holder = await asyncio.to_thread(build_router_holder, app[SETTINGS])
    app[ROUTER] = holder
    task = asyncio.get_running_loop().create_task(_reload_routes(holder), name="routing-reload")
    yield
    await stop_task(task)


async def _reload_routes(holder: RouterHolder, every: float = 5.0) -> None:
    while True:
        await asyncio.sleep(every)
        try:
            await holder.maybe_reload()
        except Exception:
            log.exception("routing table reload failed; the previous table stays in use")


async def _http(app: web.Application) -> AsyncIterator[None]:
    """One ClientSession for every call to WeCom (connection reuse), and the API client on it."""
    async with aiohttp.ClientSession() as session:
        app[HTTP] = session
        app[WECOM_API] = WecomApi(session, app[SETTINGS].wecom, app[CLOCK])
        yield


async def _aibot_socket(app: web.Application) -> AsyncIterator[None]:
    """The AI bot's long connection ([wecom.aibot] mode = "long_connection"): before the outbox, whose worker
    sends answers over it. Frames are stored in the inbox as they come; the inbox worker, started next, takes
    them up. A (re)start clears a displacement: that is how an admin takes the bot back."""
    from bot.channels.types import Address, Inbound, Outbound
    from bot.channels.wecom_aibot_ws import AibotSocket
    from bot.outbox import enqueue

    settings, clock, texts = app[SETTINGS], app[CLOCK], Texts.load()

    async def store(inbound: Inbound, key: str) -> bool:
        row_id = await inbox.record(inbound, key)
        if row_id is None:
            return False
        if INBOX in app:
            app[INBOX].stored(row_id, inbound)
        return True

    async def alert(key: str, text_key: str, params: dict[str, object]) -> None:
        text = texts.render(text_key, **params)
        for admin in settings.alerts.admins:
            await enqueue(Outbound(to=Address("app", admin), text=text), now=clock.now(), dedupe_key=f"{key}:{admin}")
        if OUTBOX_WAKE in app:
            app[OUTBOX_WAKE].set()

    socket = AibotSocket(
        settings.wecom.aibot, clock, app[HTTP], database_url=settings.database.url, store=store, alert=alert
    )
    app[AIBOT_SOCKET] = socket
    await socket.clear_displacement()
    socket.start()
    yield
    await socket.stop()


async def _outbox(app: web.Application) -> AsyncIterator[None]:
    """The outbox worker sends what handlers queued; the dispatcher wakes it after each commit."""
    from bot.outbox import OutboxWorker, combine

    combine.allowance()  # a mistake in config/outbox.toml stops the start, naming the key
    worker = OutboxWorker(app[WECOM_API], app[CLOCK], app[SETTINGS].alerts.admins, socket=app.get(AIBOT_SOCKET))
    wake = app[OUTBOX_WAKE] = asyncio.Event()
    app[OUTBOX_WORKER] = worker
    task = asyncio.get_running_loop().create_task(worker.run_forever(wake), name="outbox-worker")
    yield
    await stop_task(task)


async def _no_outbox(app: web.Application) -> AsyncIterator[None]:
    app[OUTBOX_WAKE] = asyncio.Event()  # rows stay queued; nothing is sent
    yield


async def _inbox(app: web.Application, *, process: Process | None) -> AsyncIterator[None]:
    """The inbox worker: every stored message goes through the dispatcher, after its 200.

    Started last among the message parts so that a row left pending by a crash meets a complete service.
    """
    urgent = process_lanes = after_drain = None
    if process is None:
        dispatcher = build_dispatcher(app)
        app[DISPATCHER] = dispatcher
        process, urgent, process_lanes = dispatcher.process, dispatcher.urgent, dispatcher.process_lanes
        after_drain = dispatcher.after_backlog
    # SQLite writes one transaction at a time: lanes side by side only make the callbacks' inserts queue longer.
    sqlite = app[SETTINGS].database.url.startswith("sqlite")
    worker = inbox.InboxWorker(
        process,
        app[CLOCK],
        urgent=urgent,
        workers=1 if sqlite else inbox.WORKERS,
        process_lanes=process_lanes,
        rows_per_transaction=inbox.SQLITE_ROWS_PER_TRANSACTION if sqlite else inbox.ROWS_PER_TRANSACTION,
        after_drain=after_drain,
    )
    app[INBOX] = worker
    worker.start()
    yield
    await worker.stop()


def build_services(app: web.Application) -> Services:
    """What every handler and ticker shares (handlers.core.context.Services), built once."""
    from config.subcommands import Subcommands
    from config.texts import CommandWords
    from handlers.core.context import Services

    settings, holder = app[SETTINGS], app[ROUTER]
    return Services(
        clock=app[CLOCK],
        texts=Texts.load(),
        commands=CommandWords.load(),
        policy=app[POLICY],
        calendar=app[CALENDAR],
        router=lambda: holder.router,
        admins=tuple(settings.alerts.admins),
        subcommands=Subcommands.load_all(),
        powers=app[POWERS],
        index=read_index(settings.index.file) if settings.index.file is not None else None,
        files=partial(inbound_file, app[WECOM_API]) if WECOM_API in app else None,  # a sheet sent in chat
    )


def build_dispatcher(app: web.Application) -> Dispatcher:
    """The Dispatcher with every feature's router; it wakes the outbox worker after each commit."""
    from bot.dispatch import Dispatcher
    from handlers.features import routers

    app[SERVICES] = app.get(SERVICES) or build_services(app)
    return Dispatcher(app[SERVICES], routers(), on_enqueued=app[OUTBOX_WAKE].set)


async def _kf(app: web.Application, *, catch_up: bool) -> AsyncIterator[None]:
    """Customer service: pulls on each kf_msg_or_event; at start, catches up what came while down."""
    puller = KfPuller(
        app[WECOM_API],
        app[CLOCK],
        on_stored=app[INBOX].notify,
        default_open_kfid=app[SETTINGS].wecom.kf.open_kfid,
    )
    app[KF] = puller
    puller.start()
    if catch_up:
        await puller.catch_up()
    yield
    await puller.stop()


async def _scheduler(app: web.Application) -> AsyncIterator[None]:
    """Last: tickers only queue outbox rows, so everything they need is up. One leader across processes."""
    from bot.scheduler import Scheduler
    from handlers.features import ticker_registrations

    scheduler = Scheduler(clock=app[CLOCK], database_url=app[SETTINGS].database.url)
    services = app[SERVICES]
    for register in ticker_registrations():  # each feature's deadlines, reminders and digests
        register(scheduler, services)
    scheduler.every("media.copy", MEDIA_COPY_SECONDS, partial(_copy_media, app))
    scheduler.cron("retention.sweep", partial(_retention_sweep, app), hour=3, minute=15)
    scheduler.every("console.rates", RATES_SECONDS, partial(_console_rates, app))
    app[SCHEDULER] = scheduler
    async with scheduler.running():
        yield


async def _copy_media(app: web.Application, now: datetime) -> None:
    """Evidence photos and files get a local copy well within WeCom's 3-day media lifetime."""
    from bot.media_copies import copy_pending

    await copy_pending(app[WECOM_API], app[SETTINGS].media.dir)


async def _console_rates(app: web.Application, now: datetime) -> None:
    """The console's rates: the minute's events read into the parts, the large figure sets in use recounted."""
    from models.rate_snapshots import Reuse, tick

    await tick(now, Reuse(app[SETTINGS].server.console_rates_reuse_seconds))


async def _retention_sweep(app: web.Application, now: datetime) -> None:
    """Personal data past [retention]'s periods anonymised or deleted, nightly; the sweep logs its report."""
    from bot.retention.sweep import sweep

    await sweep(app[SETTINGS].retention, now)
