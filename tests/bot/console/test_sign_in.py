"""Signing in through the sandbox's WeCom: the redirect, the exchange, the cookie, and every refusal."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import aiohttp

from models import ConsoleSession
from tests.bot.console.conftest import Console, SignIn


def jar() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


async def test_signed_out_goes_to_wecom_with_a_fresh_state(console: Console) -> None:
    async with jar() as http:
        async with http.get(f"{console.url}/console/", allow_redirects=False) as response:
            assert response.status == 302
            target = urlsplit(response.headers["Location"])
        assert target.path == "/wwlogin/sso/login"  # an ordinary browser: the QR sign-in
        query = parse_qs(target.query)
        assert query["redirect_uri"] == [f"{console.url}/console/auth"]
        assert query["appid"] and query["agentid"] and len(query["state"][0]) >= 16
        async with http.get(
            f"{console.url}/console/", allow_redirects=False, headers={"User-Agent": "Mozilla/5.0 wxwork/4.1"}
        ) as response:
            inside = urlsplit(response.headers["Location"])
        assert inside.path == "/connect/oauth2/authorize" and "scope=snsapi_base" in inside.query
        assert parse_qs(inside.query)["state"] != query["state"]


async def test_sign_in_sets_a_safe_cookie_and_logout_ends_it(console: Console, signed_in: SignIn) -> None:
    http = await signed_in("zhangwei")
    async with http.get(f"{console.url}/console/") as response:
        assert response.status == 200
        assert "张伟" in await response.text()
    cookie = next(c for c in http.cookie_jar if c.key == "gw_console")
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and not cookie["secure"]
    assert await ConsoleSession.filter(ended_at=None).count() == 1
    async with http.get(f"{console.url}/console/logout") as response:
        assert response.status == 200 and "已退出" in await response.text()
    assert await ConsoleSession.filter(ended_at=None).count() == 0
    async with http.get(f"{console.url}/console/", allow_redirects=False) as response:
        assert response.status == 302


async def test_session_expires(console: Console, signed_in: SignIn) -> None:
    http = await signed_in("zhangwei")
    console.clock.advance(hours=9)  # [server] console_session_hours is 8 by default
    async with http.get(f"{console.url}/api/v1/metrics") as response:
        assert response.status == 401


async def test_wrong_state_used_code_and_bad_code_get_a_clear_page(console: Console) -> None:
    async with jar() as http:
        async with http.get(f"{console.url}/console/", allow_redirects=False) as response:
            authorize = response.headers["Location"]
        # the fake WeCom sends the browser back with a code, as WeCom would
        async with http.get(authorize + "&sandbox_userid=zhangwei", allow_redirects=False) as response:
            back = response.headers["Location"]
        wrong_state = back.replace("state=", "state=x")
        async with http.get(wrong_state, allow_redirects=False) as response:
            assert response.status == 400 and "state" in await response.text()
        async with http.get(back, allow_redirects=False) as response:
            assert response.status == 302  # the code was not spent by the wrong-state attempt
    used_code = parse_qs(urlsplit(back).query)["code"][0]
    async with jar() as http:  # someone replays the spent code with a state of their own
        async with http.get(f"{console.url}/console/", allow_redirects=False) as response:
            state = parse_qs(urlsplit(response.headers["Location"]).query)["state"][0]
        async with http.get(
            f"{console.url}/console/auth?code={used_code}&state={state}", allow_redirects=False
        ) as response:
            text = await response.text()
            assert response.status == 400 and "登录码无效" in text and "Traceback" not in text
        async with http.get(f"{console.url}/console/auth?code=nonsense&state=abc", allow_redirects=False) as response:
            assert response.status == 400


async def test_villagers_and_strangers_are_refused_at_sign_in(console: Console, signed_in: SignIn) -> None:
    for userid in ("jiangfeng_not_in_org", "lidawei"):  # unknown; a grid member
        http = await signed_in(userid)
        async with http.get(f"{console.url}/console/") as response:
            assert response.status in (302, 403) or response.url.path == "/console/auth"
            assert response.status == 403, userid
            assert "无权访问" in await response.text()
