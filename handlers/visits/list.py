"""`走访 列表`: the cadre's paired households, each with its last visit and whether this period is covered."""

from __future__ import annotations

from datetime import timedelta

from handlers.core.context import Context
from handlers.core.router import Router
from handlers.visits.service import CADRE_VISITS
from models import CarePair
from models.area_tree import AreaTree
from models.care_periods import counted_periods, local_day, visit_days, visited_in

router = Router("visits-list")


@router.command("visit", *CADRE_VISITS, sub="list")
async def show_pairs(ctx: Context) -> None:
    pairs = await CarePair.filter(cadre=ctx.person).prefetch_related("household").order_by("household_id")
    if not pairs:
        ctx.reply("visits.list_empty")
        return
    tree = await AreaTree.load()
    today = local_day(ctx.now)
    days = await visit_days([p.household_id for p in pairs], ctx.now - timedelta(days=400))
    lines = [ctx.say("visits.list_header", count=len(pairs))]
    for pair in pairs:
        household = pair.household
        seen = days.get(household.id, set())
        chain = counted_periods(household.tags, None, today + timedelta(days=1), ctx.services.policy.visits)
        current = chain[-1] if chain else None
        status = (
            ctx.say("visits.status_free")
            if current is None
            else (
                ctx.say("visits.status_done")
                if visited_in(current, seen)
                else ctx.say("visits.status_due", end=f"{(current.end - timedelta(days=1)):%m-%d}")
            )
        )
        last = max(seen).strftime("%m-%d") if seen else ctx.say("visits.never")
        lines.append(
            ctx.say(
                "visits.list_item",
                head=household.head,
                place=tree.hamlet_name(household.grid_id),
                tags="、".join(household.tags),
                last=last,
                status=status,
            )
        )
    ctx.reply_text("\n".join(lines))
