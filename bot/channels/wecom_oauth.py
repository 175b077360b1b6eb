"""WeCom's web sign-in (网页授权登录): where to send a browser, and who a returned code names.

Inside the WeCom client a page goes to the OAuth2 authorize URL (silent, `snsapi_base`); in an ordinary
browser to the QR sign-in. Both come back to our redirect URI with `code` and `state`, and the code is
exchanged with the app's access token at `auth/getuserinfo`: a member's `userid`, or `openid` for
someone outside the corp (the older `user/getuserinfo` spelled it `UserId`).
"""

from __future__ import annotations

from urllib.parse import urlencode

from bot.channels.wecom_api import WecomApi
from config.errors import ChannelError
from config.settings import WecomSettings

WECOM_CLIENT_MARK = "wxwork"  # in the User-Agent of WeCom's in-app browser


def in_wecom_client(user_agent: str) -> bool:
    return WECOM_CLIENT_MARK in user_agent.lower()


def authorize_url(wecom: WecomSettings, redirect_uri: str, state: str) -> str:
    query = urlencode(
        {
            "appid": wecom.corp_id,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": "snsapi_base",
            "state": state,
            "agentid": wecom.app.agent_id,
        }
    )
    return f"{wecom.oauth_base.rstrip('/')}/connect/oauth2/authorize?{query}#wechat_redirect"


def qr_login_url(wecom: WecomSettings, redirect_uri: str, state: str) -> str:
    query = urlencode(
        {
            "login_type": "CorpApp",
            "appid": wecom.corp_id,
            "agentid": wecom.app.agent_id,
            "redirect_uri": redirect_uri,
            "state": state,
        }
    )
    return f"{wecom.sso_base.rstrip('/')}/wwlogin/sso/login?{query}"


async def userid_of_code(api: WecomApi, code: str) -> str | None:
    """The member a sign-in code names; None for someone outside the corp. A bad, used or expired code
    raises ChannelError (40029 and the like), as any refused call does."""
    answer = await api.call("auth/getuserinfo", method="GET", params={"code": code})
    userid = answer.get("userid") or answer.get("UserId")
    if userid:
        return str(userid)
    if answer.get("openid") or answer.get("OpenId"):
        return None
    raise ChannelError(-1, "getuserinfo answered without userid or openid", "auth/getuserinfo")
