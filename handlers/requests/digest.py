"""Each grid member's daily list of their grid's messages judged not to be requests, to catch the router's misses.

A ticker: `send_non_request_digests(services, now)` may run as often as you like; from the policy's time
of day on it queues yesterday's list once per grid member (the dedupe key is the record that it went).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from handlers.common.privacy import mask_private
from handlers.core.context import Services
from models import Area, NonRequest, Person, Role
from models.area_cache import area_of

DIGEST_ROLE = "grid_member"


def digest_window(services: Services, now: datetime) -> tuple[datetime, datetime] | None:
    """Yesterday 00:00 to today 00:00, once today's digest time has come; None before it."""
    if now.timetz().replace(tzinfo=None) < services.policy.requests.non_request_digest_at:
        return None
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return today - timedelta(days=1), today


async def send_non_request_digests(services: Services, now: datetime) -> int:
    """Queue the lists that are due; returns how many were newly queued."""
    window = digest_window(services, now)
    if window is None:
        return 0
    start, end = window
    limit = services.policy.requests.non_request_digest_max
    grid_ids = (
        await NonRequest.filter(
            created_at__gte=start,
            created_at__lt=end,
            absorbed_into_id=None,
            area_id__not_isnull=True,
            kind__in=("text", "voice"),
        )
        .distinct()
        .values_list("area_id", flat=True)
    )
    queued = 0
    for grid in await Area.filter(id__in=set(grid_ids), level="grid"):
        rows = await NonRequest.filter(
            area_id=grid.id,
            created_at__gte=start,
            created_at__lt=end,
            absorbed_into_id=None,
            kind__in=("text", "voice"),
        ).order_by("created_at")
        text = await digest_text(services, grid, rows, limit)
        for role in await Role.filter(area_id=grid.id, role=DIGEST_ROLE).prefetch_related("person"):
            if role.person.userid:
                queued += await services.reach.person(
                    role.person.userid,
                    text=text,
                    dedupe_key=f"non-request-digest:{start.date()}:{grid.code}:{role.person.userid}",
                )
    return queued


async def digest_text(services: Services, grid: Area, rows: list[NonRequest], limit: int) -> str:
    texts = services.texts
    parent = await area_of(grid.parent_id)
    lines = [
        texts.render("requests.digest.header", grid=f"{parent.name if parent else ''}{grid.name}", count=len(rows))
    ]
    names = {p.id: p.name for p in await Person.filter(id__in={r.sender_id for r in rows if r.sender_id})}
    for row in rows[:limit]:
        who = names.get(row.sender_id, "") if row.sender_id else ""
        lines.append(
            texts.render(
                "requests.digest.line",
                time=row.created_at.astimezone(services.clock.now().tzinfo).strftime("%H:%M"),
                who=who or "未登记的人",
                text=mask_private(row.text),
            )
        )
    if len(rows) > limit:
        lines.append(texts.render("requests.digest.more", count=len(rows) - limit))
    return "\n".join(lines)
