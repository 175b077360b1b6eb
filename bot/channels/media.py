"""Downloading a message's media (photo, voice, file) with `media/get`, before WeCom forgets it after 3 days.

The answer is the file itself; an error comes back as a JSON body with an errcode instead.
"""

from __future__ import annotations

import json

import aiohttp

from bot.channels.types import Inbound
from bot.channels.wecom_api import WecomApi
from config.errors import ChannelError

TRANSPORT_ERROR = -2
MAX_MEDIA_BYTES = 20 * 1024 * 1024
EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "audio/amr": ".amr",
    "video/mp4": ".mp4",
    "application/pdf": ".pdf",
}


async def download_media(api: WecomApi, media_id: str) -> tuple[bytes, str]:
    """(content, file extension) of a media id; raises ChannelError with WeCom's errcode when it refuses."""
    params = {"access_token": await api.token(), "media_id": media_id}
    try:
        async with api.session.get(
            f"{api.base}/media/get", params=params, timeout=aiohttp.ClientTimeout(total=60)
        ) as response:
            if response.status >= 400:
                raise ChannelError(TRANSPORT_ERROR, f"HTTP {response.status}", "media/get")
            content_type = response.content_type
            body = await response.content.read(MAX_MEDIA_BYTES + 1)
    except (TimeoutError, aiohttp.ClientError) as exc:
        raise ChannelError(TRANSPORT_ERROR, f"{type(exc).__name__}: {exc}", "media/get") from None
    if content_type in ("application/json", "text/plain"):
        answer = json.loads(body or b"{}")
        raise ChannelError(int(answer.get("errcode", TRANSPORT_ERROR)), str(answer.get("errmsg", "")), "media/get")
    if len(body) > MAX_MEDIA_BYTES:
        raise ChannelError(TRANSPORT_ERROR, "media larger than 20 MB", "media/get")
    return body, EXTENSIONS.get(content_type, ".bin")


async def inbound_file(api: WecomApi, inbound: Inbound) -> bytes:
    """The content of a file sent to the app (its MediaId, kept in the message's extra); handlers get this
    through Services.files and never see the media id's API."""
    media_id = str(inbound.extra.get("media_id") or "")
    if inbound.channel != "app" or not media_id:
        raise ChannelError(TRANSPORT_ERROR, f"no media id on a {inbound.channel} {inbound.kind} message", "media/get")
    content, _ = await download_media(api, media_id)
    return content
