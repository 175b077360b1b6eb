"""The demo's browser page: a static HTML+JS file and the few JSON endpoints it talks to.

Mounted under /demo on the service's own application. The page never does crypto: it posts plain JSON
here, and these endpoints play WeCom towards the service with the sandbox's CallbackClient (encrypted,
signed callbacks over real HTTP), wait until the service has handled them and sent what it queued,
and read back what the fake WeCom API received (bot/sandbox/demo_feed.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from defusedxml import ElementTree as SafeXml

from bot.keys import AIBOT_SOCKET, CLOCK, INBOX, KF, OUTBOX_WAKE, OUTBOX_WORKER, SETTINGS, WECOM_API
from bot.sandbox.callbacks import CallbackAnswer, CallbackClient
from bot.sandbox.demo_feed import WHERE, Click, PageLog, Said, View, build_feed
from bot.sandbox.fake_wecom import FakeWecom
from models import ROLES

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
PREFIX = "/demo"
SETTLE_SECONDS = 10.0  # how long a page request waits for the service to answer before showing what there is
KF_ID_PREFIX = "wmdemo"  # a villager's customer-service id is this + their userid (personal WeChat, not a member)
ROLE_ORDER = ROLES  # the page groups people by role in the order the org file documents them


@dataclass
class DemoState:
    """What the page's endpoints share: the service app, the fake WeCom, the callback client, the log."""

    service: web.Application
    fake: FakeWecom
    service_url: str
    log: PageLog = field(default_factory=PageLog)
    client: CallbackClient | None = None
    kf_entered: set[str] = field(default_factory=set)  # villagers who opened their grid's kf link this run
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)  # one callback at a time: the log's order is WeCom's
    reset: asyncio.Event = field(default_factory=asyncio.Event)  # 重置演示: the runner starts over on a fresh database

    @property
    def callbacks(self) -> CallbackClient:
        assert self.client is not None, "the demo page is not started"
        return self.client

    def last_seq(self) -> int:
        return self.fake.sent[-1].seq if self.fake.sent else 0

    async def settle(self) -> None:
        """Wait until every callback so far is handled and every message it queued that is due is sent."""
        try:
            async with asyncio.timeout(SETTLE_SECONDS):
                await self._settle()
        except TimeoutError:
            log.warning("demo: the service is still busy after %s s; the page shows what is there", SETTLE_SECONDS)

    async def _settle(self) -> None:
        from bot.outbox import OutboxWorker

        app = self.service
        await app[KF].until_idle()
        await app[INBOX].until_idle()
        worker = app.get(OUTBOX_WORKER) or OutboxWorker(app[WECOM_API], app[CLOCK], (), socket=app.get(AIBOT_SOCKET))
        while True:
            if await worker.run_once():
                continue
            if not await _due_rows(app[CLOCK].now()):
                return
            await asyncio.sleep(0.05)  # the background worker holds them (its lease); it finishes shortly


async def _due_rows(now: Any) -> int:
    from models import OutboxMessage

    return await OutboxMessage.filter(status="pending", not_before__lte=now).count()


DEMO = web.AppKey("demo", DemoState)


def add_demo_page(service: web.Application, state: DemoState) -> None:
    """Mount the page on the service app (before it starts); `/` leads to it."""
    page = web.Application()
    page[DEMO] = state
    page.add_routes(
        [
            web.get("/", _index),
            web.get("/api/people", _people),
            web.get("/api/feed", _feed),
            web.post("/api/say", _say),
            web.post("/api/click", _click),
            web.get("/api/waiting", _waiting),
            web.post("/api/send_now", _send_now),
            web.get("/console", _console),
            web.post("/api/reset", _reset),
            web.static("/static", STATIC_DIR),
        ]
    )
    service.router.add_get("/", _to_page)
    service.router.add_get(PREFIX, _to_page)
    service.add_subapp(PREFIX, page)
    service.cleanup_ctx.append(_client_ctx(state))


async def _console(request: web.Request) -> web.Response:
    """The page's 控制台 link: the fake WeCom signs the browser in as the person being played."""
    state = request.app[DEMO]
    userid = request.query.get("userid", "")
    if not userid:
        raise web.HTTPBadRequest(text="userid is needed")
    target = f"{state.service_url}/console/"
    raise web.HTTPFound(f"{state.fake.base_url}/_sandbox/play?{urlencode({'userid': userid, 'next': target})}")


async def _reset(request: web.Request) -> web.Response:
    """重置演示: answered first, then the runner (bot/sandbox/demo.py serve_demo) stops the demo, moves its
    SQLite file aside (nothing is deleted: the audit trail is append-only) and starts again on a fresh one."""
    from bot.sandbox.demo import archivable

    state = request.app[DEMO]
    if archivable(state.service[SETTINGS].database.url) is None:
        return web.json_response({"ok": False, "error": "只有 SQLite 文件数据库的演示可以重置"}, status=409)
    asyncio.get_running_loop().call_later(0.2, state.reset.set)  # after this answer has gone out
    return web.json_response({"ok": True})


def _client_ctx(state: DemoState):
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        async with aiohttp.ClientSession() as http:
            state.client = CallbackClient(http, state.service_url, app[SETTINGS].wecom, app[CLOCK], state.fake)
            yield
            state.client = None

    return ctx


async def prime_kf(state: DemoState) -> None:
    """Start customer service on a clean cursor: the fake WeCom is new at each start, so a cursor the
    database kept from an earlier run would skip its messages; and a first pull ever answers nothing,
    so the demo makes that first (empty) pull itself."""
    from models import KfCursor

    open_kfid = state.service[SETTINGS].wecom.kf.open_kfid
    await state.service[KF].until_idle()  # the start-up catch-up, on the old cursor
    await KfCursor.filter(open_kfid=open_kfid).delete()
    await state.callbacks.kf_event(open_kfid, "")
    await state.service[KF].until_idle()


# -- views ------------------------------------------------------------------------------------------


async def _to_page(request: web.Request) -> web.Response:
    raise web.HTTPFound(PREFIX + "/")


async def _index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})


async def _people(request: web.Request) -> web.Response:
    """Everyone in the county, grouped by role, with the groups they would talk in."""
    from models import Area, Chat, Role
    from models.posts import post_names

    areas = {a.id: a for a in await Area.all()}
    chats = [c for c in await Chat.filter(channel="aibot").order_by("id")]
    chat_rows = [
        {"chatid": c.chatid, "name": c.name or c.chatid, "area": areas[c.area_id].code if c.area_id else ""}
        for c in chats
    ]
    groups: dict[str, list[dict[str, Any]]] = {role: [] for role in ROLE_ORDER}
    roles = await Role.all().prefetch_related("person", "department").order_by("id")
    posts = await post_names(sorted({role.person_id for role in roles}))
    for role in roles:
        if role.person.userid is None:
            continue
        area = areas.get(role.area_id) if role.area_id else None
        groups.setdefault(role.role, []).append(
            {
                "userid": role.person.userid,
                "name": role.person.name,
                "place": role.department.name if role.department else (area.name if area else ""),
                "where": _path_of(area, areas),
                "chat": _home_chat(area, chats, areas),
                "kf": role.role == "villager",
                "posts": "、".join(posts.get(role.person_id, ())) if role.area_id else "",
            }
        )
    return web.json_response(
        {"roles": [{"role": r, "people": p} for r, p in groups.items() if p], "chats": chat_rows},
        headers={"X-Demo-Run": str(id(request.app[DEMO]))},  # changes when 重置演示 has started a new run
    )


def _path_of(area: Any, areas: dict[int, Any]) -> str:
    """后道老村 三屯 3网格: the place below the township, as a cadre would say it."""
    names = []
    while area is not None and area.level not in ("county", "township"):
        names.append(area.name)
        area = areas.get(area.parent_id)
    return " ".join(reversed(names)) if names else (area.name if area else "")


def _home_chat(area: Any, chats: list[Any], areas: dict[int, Any]) -> str:
    """The group a person most likely talks in: their own area's, else the nearest one above or below it."""
    if area is None:
        return ""
    above = area
    while above is not None:
        for chat in chats:
            if chat.area_id == above.id:
                return chat.chatid
        above = areas.get(above.parent_id)
    below = [c for c in chats if c.area_id is not None and _within(areas[c.area_id], area.id, areas)]
    return below[0].chatid if below else ""


def _within(area: Any, ancestor_id: int, areas: dict[int, Any]) -> bool:
    while area is not None:
        if area.id == ancestor_id:
            return True
        area = areas.get(area.parent_id)
    return False


async def _feed(request: web.Request) -> web.Response:
    state = request.app[DEMO]
    view = _view(request.query)
    return web.json_response({"items": await _items(state, view), "seq": state.last_seq()})


async def _items(state: DemoState, view: View) -> list[dict[str, Any]]:
    from models import Chat

    webhooks = {c.webhook_key: c.chatid for c in await Chat.filter(channel="aibot").exclude(webhook_key="")}
    return build_feed(
        view,
        list(state.fake.sent),
        state.log,
        webhook_chats=webhooks,
        appchat_members={k: list(v.get("userlist", [])) for k, v in state.fake.chats.items()},
        appchat_names={k: str(v.get("name") or k) for k, v in state.fake.chats.items()},
    )


def _view(data: Any) -> View:
    where, userid = str(data.get("where", "app")), str(data.get("userid", "")).strip()
    if where not in WHERE or not userid:
        raise web.HTTPBadRequest(text="where must be app, group or kf, and userid is required")
    chatid = str(data.get("chatid", "")) if where == "group" else ""
    if where == "group" and not chatid:
        raise web.HTTPBadRequest(text="a group view needs chatid")
    return View(where, userid, chatid, KF_ID_PREFIX + userid if where == "kf" else "")


async def _say(request: web.Request) -> web.Response:
    """Someone types a message: it reaches the service as WeCom would deliver it, then the feed."""
    from models import Person

    state = request.app[DEMO]
    data = await request.json()
    view = _view(data)
    text = str(data.get("text", "")).strip()
    person = await Person.get_or_none(userid=view.userid)
    if not text or person is None:
        raise web.HTTPBadRequest(text="text is required and userid must be someone of the county")
    async with state.lock:
        client = state.callbacks
        if view.where == "kf" and view.userid not in state.kf_entered:
            await _enter_kf(state, view)
        state.log.said.append(Said(state.last_seq(), view.userid, person.name, view.where, view.chatid, text))
        if view.where == "app":
            answer = await client.app_text(view.userid, text)
        elif view.where == "group" and state.fake.aibot_ws is not None and state.fake.aibot_ws.connected:
            # long-connection mode: the @-mention is pushed down the bot's socket, as WeCom would
            content = f"@{client.wecom.aibot.name} {text}"
            msgid = state.fake.aibot_ws.push_text(view.userid, content, chatid=view.chatid)
            await _until_stored(msgid)
            answer = CallbackAnswer(200, b"")
        elif view.where == "group":
            url = state.fake.response_url()  # made here so the answer can be placed in its group
            state.log.response_chats[url.rsplit("=", 1)[1]] = view.chatid
            content = f"@{client.wecom.aibot.name} {text}"
            answer = await client.aibot_message(
                view.userid, "text", {"text": {"content": content}, "response_url": url}, chatid=view.chatid
            )
        else:
            answer = await client.kf_text(view.external_userid, text)
        await state.settle()
    return web.json_response({"status": answer.status, "items": await _items(state, view)})


async def _until_stored(msgid: str) -> None:
    """The socket stores a pushed frame as it arrives; the page waits for it (at most 10 s)."""
    from models import InboxMessage

    async with asyncio.timeout(10):
        while not await InboxMessage.filter(channel="aibot", message_key=msgid).exists():
            await asyncio.sleep(0.02)


async def _enter_kf(state: DemoState, view: View) -> None:
    """A villager opens their grid's customer-service link first (its scene names the grid)."""
    from models import Role

    role = await Role.filter(person__userid=view.userid, role="villager").prefetch_related("area").first()
    scene = role.area.code if role is not None and role.area is not None else ""
    await state.callbacks.kf_enter_session(view.external_userid, scene)
    await state.settle()
    state.kf_entered.add(view.userid)


async def _click(request: web.Request) -> web.Response:
    """A card button: a real encrypted template_card_event callback, as WeCom sends on a click."""
    state = request.app[DEMO]
    data = await request.json()
    view = _view(data)
    task_id, key = str(data.get("task_id", "")), str(data.get("key", ""))
    if view.where != "app" or not task_id or not key:
        raise web.HTTPBadRequest(text="a click needs where=app, task_id and key")
    async with state.lock:
        code = state.fake.new_response_code()
        state.log.click_codes[code] = task_id
        before = state.last_seq()  # the service may answer the click before the callback returns
        selected = data.get("selected")
        if isinstance(selected, dict):  # 完成 on a card with drop-down lists: what was picked comes along
            picked = {str(q): [str(o) for o in options] for q, options in selected.items() if isinstance(options, list)}
            answer = await state.callbacks.app_card_submit(view.userid, key, task_id, picked, response_code=code)
        else:
            answer = await state.callbacks.app_event(
                view.userid,
                "template_card_event",
                key,
                TaskId=task_id,
                CardType="button_interaction",
                ResponseCode=code,
            )
        state.log.clicks.append(Click(before, view.userid, task_id, _ack(answer.reply)))
        await state.settle()
    return web.json_response({"status": answer.status, "items": await _items(state, view)})


def _ack(reply_xml: str) -> str:
    """The passive update_button reply's ReplaceName (what the clicker's buttons turned into)."""
    if not reply_xml:
        return ""
    return SafeXml.fromstring(reply_xml).findtext("./Button/ReplaceName") or ""


async def _waiting(request: web.Request) -> web.Response:
    """Messages the service holds back (quiet hours, news combined for 2 minutes, rate limits, retries);
    a card update WeCom refused is settled (its fresh card goes instead), not waiting."""
    from bot.outbox import held_back

    now = request.config_dict[CLOCK].now()
    rows = await held_back(now)
    return web.json_response(
        {"count": len(rows), "first": rows[0].not_before.astimezone(now.tzinfo).isoformat() if rows else None}
    )


async def _send_now(request: web.Request) -> web.Response:
    """The demo's fast-forward: everything held back is due now (no waiting for 07:30 or 2 minutes)."""
    from models import OutboxMessage

    state = request.app[DEMO]
    now = request.config_dict[CLOCK].now()
    released = await OutboxMessage.filter(status="pending", not_before__gt=now).update(not_before=now)
    request.config_dict[OUTBOX_WAKE].set()
    async with state.lock:
        await state.settle()
    return web.json_response({"released": released})
