"""Each village's daily digest to both secretaries (村书记, 第一书记) in a county with the village tier on: yesterday's
new matters, what the village closed and sent up, and what is still with it (late ones marked). Sent from
village_digest_at, once per secretary and day (dedupe key `village-digest:{day}:{village}:{userid}`); a village
with nothing to tell is not written to."""

from __future__ import annotations

from datetime import datetime, timedelta

from tortoise.transactions import in_transaction

from config.timezone import SHANGHAI
from handlers.common.format import summary
from handlers.common.privacy import mask_private
from handlers.core.context import Services
from handlers.village.service import AT_VILLAGE, tier_on
from models import Area, CountySetting, OutboxMessage, Request, TicketEvent
from models.request_queries import area_ids_under, people_with_role
from models.request_states import RequestState

DIGEST_ROLES = ("village_secretary", "first_secretary")  # 双书记
OPEN_LINES = 5


async def send_village_digests(services: Services, now: datetime) -> int:
    local = now.astimezone(SHANGHAI)
    if local.time() < services.policy.shifts.village_digest_at:
        return 0
    if not await CountySetting.filter(village_tier=True).exists():
        return 0  # no county has the village tier: nothing to ask every minute
    today = local.replace(hour=0, minute=0, second=0, microsecond=0)
    queued = 0
    for village in await Area.filter(level="village").order_by("code"):
        people = [p.userid for p in await people_with_role(village, *DIGEST_ROLES) if p.userid]
        key = f"village-digest:{today.date()}:{village.code}"
        if not people or await _all_sent(key, people) or not await tier_on(village):
            continue
        async with in_transaction():
            text = await digest_text(services, village, today, now)
            if text:
                queued += await services.reach.people(people, text=text, dedupe_key=key)
    return queued


async def _all_sent(key: str, people: list[str]) -> bool:
    """Every secretary has today's digest already (reach.people appends the userid to the key)."""
    keys = [f"{key}:{userid}" for userid in people]
    return await OutboxMessage.filter(dedupe_key__in=keys).count() == len(set(keys))


async def digest_text(services: Services, village: Area, today: datetime, now: datetime) -> str:
    texts = services.texts
    yesterday = today - timedelta(days=1)
    area_ids = await area_ids_under(village)
    mine = Request.filter(area_id__in=area_ids, merged_into_id=None)
    new = await mine.filter(created_at__gte=yesterday, created_at__lt=today)
    new_ids = [r.id for r in new]
    staged = set(await TicketEvent.filter(request_id__in=new_ids, kind=AT_VILLAGE).values_list("request_id", flat=True))
    resolved = await Request.filter(
        area_id__in=area_ids, merged_into_id=None, resolved_at__gte=yesterday, resolved_at__lt=today
    ).count()
    sent_up = await TicketEvent.filter(
        kind="escalated", at__gte=yesterday, at__lt=today, request__area_id__in=area_ids
    ).count()
    still = await Request.filter(
        area_id__in=area_ids,
        merged_into_id=None,
        status__in=(RequestState.AT_VILLAGE, RequestState.KEPT_IN_GRID),
    ).order_by("created_at")
    due = {
        e.request_id: datetime.fromisoformat(e.data["due"])
        for e in await TicketEvent.filter(request_id__in=[r.id for r in still], kind=AT_VILLAGE)
        if "due" in e.data
    }
    late = {r.id for r in still if r.id in due and now >= due[r.id]}
    if not new and not resolved and not still:
        return ""
    lines = [
        texts.render("village.digest_header", village=village.name, date=f"{today:%m-%d}"),
        texts.render(
            "village.digest_counts",
            new=len(new),
            at_village=len(staged),
            kept=sum(1 for r in new if r.primary == "village"),
            resolved=resolved,
            sent_up=sent_up,
            open=len(still),
            overdue=len(late),
        ),
    ]
    if still:
        lines.append(texts.render("village.digest_open_header"))
        for request in still[:OPEN_LINES]:
            lines.append(
                texts.render(
                    "village.digest_line",
                    number=request.number,
                    summary=summary(mask_private(request.text)),
                    since=f"{request.created_at.astimezone(SHANGHAI):%m-%d %H:%M}",
                    late=texts.render("village.digest_late") if request.id in late else "",
                )
            )
        if len(still) > OPEN_LINES:
            lines.append(texts.render("village.digest_more", count=len(still) - OPEN_LINES))
    return "\n".join(lines)
