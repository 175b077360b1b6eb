"""Signing in to the console with WeCom (OAuth2 code flow), the session cookie, and who is asking.

`/console/…` without a valid session → WeCom (the authorize URL in its client, the QR sign-in in a
browser) with a fresh `state`, kept in a short-lived cookie to check on the way back. `/console/auth`
exchanges the code, maps the userid to a person and starts a session. The API also takes
`Authorization: Bearer TOKEN` (`gridwhistle token create`).
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from urllib.parse import quote, unquote

import aiohttp_jinja2
from aiohttp import web

from bot.channels.wecom_oauth import authorize_url, in_wecom_client, qr_login_url, userid_of_code
from bot.keys import CLOCK, SETTINGS, WECOM_API
from config.errors import ChannelError
from models import Person
from models.console_access import end_session, session_person, start_session, token_person
from models.console_scope import Scope, scope_of

log = logging.getLogger(__name__)

SESSION_COOKIE = "gw_console"
STATE_COOKIE = "gw_console_state"
STATE_SECONDS = 600  # WeCom's code lives 5 minutes; the state a little longer


def _secure(request: web.Request) -> bool:
    return request.app[SETTINGS].server.base_url.startswith("https://")


def _safe_next(path: str) -> str:
    """Only a path of the console itself: never an open redirect to another site."""
    return path if path.startswith("/console/") and not path.startswith("//") else "/console/"


def sign_in_redirect(request: web.Request) -> web.HTTPFound:
    settings = request.app[SETTINGS]
    state = secrets.token_urlsafe(24).replace("-", "a").replace("_", "b")  # WeCom allows a-zA-Z0-9
    redirect_uri = f"{settings.server.base_url}/console/auth"
    wecom = settings.wecom
    target = (
        authorize_url(wecom, redirect_uri, state)
        if in_wecom_client(request.headers.get("User-Agent", ""))
        else qr_login_url(wecom, redirect_uri, state)
    )
    response = web.HTTPFound(target)
    response.set_cookie(
        STATE_COOKIE,
        f"{state}|{quote(_safe_next(request.path_qs), safe='')}",
        max_age=STATE_SECONDS,
        httponly=True,
        samesite="Lax",
        secure=_secure(request),
        path="/console/",
    )
    return response


def refusal(request: web.Request, status: int, title: str, text: str) -> web.Response:
    return aiohttp_jinja2.render_template(
        "message.html", request, {"title": title, "text": text, "scope": None, "nav": []}, status=status
    )


async def auth(request: web.Request) -> web.StreamResponse:
    """GET /console/auth?code=…&state=…: WeCom sends the browser back here."""
    code, state = request.query.get("code", ""), request.query.get("state", "")
    remembered = request.cookies.get(STATE_COOKIE, "")
    expected, _, next_path = remembered.partition("|")
    if not code or not state or not expected or not secrets.compare_digest(state, expected):
        return refusal(
            request, 400, "登录已失效", "这次登录的校验码（state）不对或已过期。请回到企业微信重新打开控制台。"
        )
    try:
        userid = await userid_of_code(request.app[WECOM_API], code)
    except ChannelError as exc:
        log.info("console sign-in: code refused: %s", exc)
        return refusal(request, 400, "登录码无效", "登录码无效、已用过或已过期。请回到企业微信重新打开控制台。")
    person = await Person.get_or_none(userid=userid) if userid else None
    if person is None:
        return refusal(request, 403, "无权访问", "您不在本县的组织名单中，不能使用控制台。")
    scope = await scope_of(person)
    if scope.empty:
        return refusal(request, 403, "无权访问", "控制台供县、乡镇、部门和村的负责同志使用；您的角色没有查看权限。")
    clock, server = request.app[CLOCK], request.app[SETTINGS].server
    secret = await start_session(person.id, clock.now(), timedelta(hours=server.console_session_hours))
    response = web.HTTPFound(_safe_next(unquote(next_path)))
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        max_age=int(server.console_session_hours * 3600),
        httponly=True,
        samesite="Lax",
        secure=_secure(request),
        path="/",
    )
    response.del_cookie(STATE_COOKIE, path="/console/")
    log.info("console sign-in: %s", person.userid)
    raise response


async def logout(request: web.Request) -> web.StreamResponse:
    secret = request.cookies.get(SESSION_COOKIE)
    if secret:
        await end_session(secret, request.app[CLOCK].now())
    response = refusal(request, 200, "已退出", "您已退出控制台。")
    response.del_cookie(SESSION_COOKIE, path="/")
    return response


async def viewer(request: web.Request, *, api: bool = False) -> Scope | None:
    """The person asking and what they may see: from the session cookie, or (the API) a bearer token."""
    person_id = None
    header = request.headers.get("Authorization", "")
    if api and header.startswith("Bearer "):
        person_id = await token_person(header.removeprefix("Bearer ").strip())
    elif secret := request.cookies.get(SESSION_COOKIE):
        person_id = await session_person(secret, request.app[CLOCK].now())
    if person_id is None:
        return None
    person = await Person.get_or_none(id=person_id)
    return await scope_of(person) if person is not None else None
