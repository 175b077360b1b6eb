"""People who left: WeCom answers a send with `invaliduser` (some recipients are no longer members) or
fails it with 81013 / 60111 / 40031 (none is, or the userid is unknown). The person is marked
(`Person.left_wecom_at`) and the admins are told once per person — the dedupe key sees to it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from tortoise.transactions import in_transaction

from bot.channels.types import Address, Outbound
from config.texts import Texts
from models import OutboxMessage, Person

NOT_MEMBER_ERRORS = frozenset({81013, 60111, 40031})  # all recipients invalid; userid not found; invalid userid list
ALERT_PREFIX = "left-wecom:"


def invalid_users(result: dict[str, Any] | None) -> list[str]:
    """The userids WeCom reported as invalid in a send's answer ("a|b" or a list)."""
    value = (result or {}).get("invaliduser") or ""
    users = value.split("|") if isinstance(value, str) else [str(v) for v in value]
    return [u for u in users if u]


Enqueue = Callable[..., Awaitable[OutboxMessage | None]]  # bot.outbox.enqueue, handed in (it imports this module)


async def note_left(
    userids: list[str], *, now: datetime, admins: tuple[str, ...], texts: Texts, enqueue: Enqueue
) -> int:
    """Mark each userid's person as gone from WeCom and tell the admins once; returns how many were new."""
    newly = 0
    for userid in userids:
        async with in_transaction():
            marked = await Person.filter(userid__iexact=userid, left_wecom_at__isnull=True).update(left_wecom_at=now)
            if not marked:
                continue  # already known, or not in the org at all
            newly += 1
            person = await Person.filter(userid__iexact=userid).first()
            text = texts.render("outbox.left_wecom", name=person.name if person else userid, userid=userid)
            for admin in admins:
                if admin.lower() == userid.lower():
                    continue
                await enqueue(
                    Outbound(to=Address("app", admin), text=text), now=now, dedupe_key=f"{ALERT_PREFIX}{userid}:{admin}"
                )
    return newly
