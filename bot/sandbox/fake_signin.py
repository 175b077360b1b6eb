"""WeCom's web sign-in, played by the fake WeCom: the OAuth2 authorize page, the QR sign-in page, and
`auth/getuserinfo`, so the console signs in against the sandbox exactly as it does against WeCom.

Who is signing in: whoever the demo page is playing (`/_sandbox/play?userid=…&next=…` remembers it in
a cookie of the fake's own, as the WeCom client knows its user), else the one typed into a small form.
Codes are single-use and live 5 minutes, as WeCom's do: a second exchange or a stale code gets 40029.
"""

from __future__ import annotations

import html
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlencode, urlsplit

from aiohttp import web

from bot.sandbox.fake_wecom import FAKE_WECOM

CODE_LIFETIME = timedelta(minutes=5)
INVALID_CODE = 40029
PLAYING_COOKIE = "sandbox_playing"  # the fake's cookie; the service's own cookies have other names


@dataclass
class Code:
    userid: str
    issued_at: datetime
    used: bool = False


@dataclass
class FakeSignIn:
    codes: dict[str, Code] = field(default_factory=dict)
    outsiders: set[str] = field(default_factory=set)  # userids answered with an openid (not in the corp)

    def issue(self, userid: str, now: datetime) -> str:
        code = secrets.token_urlsafe(24)
        self.codes[code] = Code(userid, now)
        return code


FAKE_SIGNIN = web.AppKey("fake_signin", FakeSignIn)


def add_sign_in(app: web.Application) -> None:
    app[FAKE_SIGNIN] = FakeSignIn()
    app.add_routes(
        [
            web.get("/connect/oauth2/authorize", _authorize),
            web.get("/wwlogin/sso/login", _authorize),
            web.get("/cgi-bin/auth/getuserinfo", _getuserinfo),
            web.get("/_sandbox/play", _play),
        ]
    )


def _redirect_back(request: web.Request, userid: str) -> web.Response:
    redirect_uri, state = request.query.get("redirect_uri", ""), request.query.get("state", "")
    if urlsplit(redirect_uri).scheme not in ("http", "https"):
        return web.Response(status=400, text="redirect_uri参数错误")
    code = request.app[FAKE_SIGNIN].issue(userid, request.app[FAKE_WECOM].clock.now())
    joiner = "&" if "?" in redirect_uri else "?"
    raise web.HTTPFound(f"{redirect_uri}{joiner}{urlencode({'code': code, 'state': state})}")


async def _authorize(request: web.Request) -> web.Response:
    """Signed in already (the person being played), or typed in the form: back to the redirect URI with a code."""
    userid = request.query.get("sandbox_userid") or request.cookies.get(PLAYING_COOKIE, "")
    if userid:
        return _redirect_back(request, userid)
    hidden = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
        for k, v in request.query.items()
        if k != "sandbox_userid"
    )
    page = (
        '<!doctype html><html lang="zh-CN"><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>企业微信登录（沙盒）</title>"
        '<body style="font-family:sans-serif;max-width:360px;margin:3em auto;padding:0 1em">'
        "<h2>企业微信登录（沙盒）</h2><p>以哪位成员的身份登录？</p>"
        f'<form method="get" action="{html.escape(request.path)}">{hidden}'
        '<input name="sandbox_userid" placeholder="企业微信账号，如 zhangwei" required '
        'style="width:100%;padding:.6em;font-size:1em;box-sizing:border-box">'
        '<button style="margin-top:1em;padding:.6em 2em;font-size:1em">登录</button></form></body></html>'
    )
    return web.Response(text=page, content_type="text/html")


async def _getuserinfo(request: web.Request) -> web.Response:
    fake = request.app[FAKE_WECOM]
    path = "auth/getuserinfo"
    fake.arrived[path] += 1
    token_error = fake._token_error(request)
    if token_error:
        return web.json_response({"errcode": token_error, "errmsg": "invalid access_token"})
    signin = request.app[FAKE_SIGNIN]
    code = signin.codes.get(request.query.get("code", ""))
    if code is None or code.used or fake.clock.now() - code.issued_at > CODE_LIFETIME:
        return web.json_response({"errcode": INVALID_CODE, "errmsg": "invalid code"})
    code.used = True
    if code.userid in signin.outsiders or code.userid in fake.left:
        return web.json_response({"errcode": 0, "errmsg": "ok", "openid": "o" + code.userid})
    return web.json_response({"errcode": 0, "errmsg": "ok", "userid": code.userid, "user_ticket": ""})


async def _play(request: web.Request) -> web.Response:
    """The demo page's 控制台 link: remember whom the browser plays, then open the console."""
    userid, target = request.query.get("userid", ""), request.query.get("next", "")
    if not userid or urlsplit(target).scheme not in ("http", "https"):
        return web.Response(status=400, text="userid and an http(s) next are needed")
    response = web.HTTPFound(target)
    response.set_cookie(PLAYING_COOKIE, userid, httponly=True, samesite="Lax", path="/")
    raise response
