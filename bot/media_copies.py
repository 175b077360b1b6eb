"""Keeping a local copy of every photo and file attached to a request: WeCom's media ids expire after 3 days.

`copy_pending(api, media_dir)` copies what has none yet; it runs after the handler committed the Attachment
(a handler never calls WeCom), as a ticker. A copy that fails stays pending and is tried again next run.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from bot.channels.media import download_media
from bot.channels.wecom_api import WecomApi
from config.errors import ChannelError
from models import Attachment

log = logging.getLogger(__name__)


async def copy_pending(api: WecomApi, media_dir: Path, *, limit: int = 20) -> int:
    """Download up to `limit` attachments without a local copy; returns how many were copied."""
    copied = 0
    for attachment in await Attachment.filter(local_path="").exclude(media_id="").order_by("id").limit(limit):
        try:
            content, extension = await download_media(api, attachment.media_id)
        except ChannelError as exc:
            log.warning("attachment %s: media %s not copied (%s)", attachment.id, attachment.media_id, exc)
            continue
        path = media_dir / str(attachment.request_id) / f"{attachment.id}{extension}"
        await asyncio.to_thread(_write, path, content)
        attachment.local_path = str(path)
        await attachment.save(update_fields=["local_path"])
        copied += 1
    return copied


def _write(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
