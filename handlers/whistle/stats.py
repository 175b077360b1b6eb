"""统计: the township's figures for this month or last, and its departments' (models/ticket_metrics.py, the
one definition `gridwhistle report tickets` uses too)."""

from __future__ import annotations

from datetime import datetime

from handlers.core.context import Context
from models.area_cache import area_required
from models.resolution_shares import Resolution, where_resolved
from models.ticket_metrics import Rates, rates

MONTHS = ("this_month", "last_month")  # `统计 <word>`: the names of [subcommands.whistle_stats]


def month_bounds(now: datetime, which: str) -> tuple[datetime, datetime]:
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    if which == "last_month":
        end = start
        start = (
            start.replace(year=start.year - 1, month=12) if start.month == 1 else start.replace(month=start.month - 1)
        )
        return start, end
    end = start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)
    return start, end


def percent(ctx: Context, value: float | None) -> str:
    return ctx.say("whistle.stats_none") if value is None else f"{value * 100:.0f}%"


def hours(ctx: Context, value: float | None) -> str:
    return ctx.say("whistle.stats_none") if value is None else ctx.say("whistle.stats_hours", hours=f"{value:.1f}")


def rate_line(ctx: Context, row: Rates) -> str:
    return ctx.say(
        "whistle.stats_line",
        name=row.name,
        tickets=row.ticket_count,
        episodes=row.episodes,
        ongoing=row.ongoing,
        returned=ctx.say("whistle.stats_returned", count=row.returned) if row.returned else "",
        response=percent(ctx, row.response_rate),
        resolution=percent(ctx, row.resolution_rate),
        satisfaction=percent(ctx, row.satisfaction_rate),
        on_time=percent(ctx, row.on_time_rate),
        respond_hours=hours(ctx, row.avg_respond_hours),
        done_hours=hours(ctx, row.avg_done_hours),
    )


async def stats_reply(ctx: Context, township_id: int, which: str) -> str:
    start, end = month_bounds(ctx.now, which)
    township = await area_required(township_id)
    by_department, by_township = await rates(start, end, ctx.now, township_id)
    title = ctx.say("whistle.stats_title", township=township.name, month=start.strftime("%Y-%m"))
    shares = [resolution_line(ctx, r) for r in await where_resolved(start, end, ctx.now, township_id)]
    if not by_township:
        return "\n".join([title, ctx.say("whistle.stats_empty"), *shares])
    return "\n".join(
        [
            title,
            *(rate_line(ctx, r) for r in by_township),
            *shares,
            ctx.say("whistle.stats_by_department"),
            *(rate_line(ctx, r) for r in by_department),
            ctx.say("whistle.stats_legend"),
        ]
    )


def resolution_line(ctx: Context, row: Resolution) -> str:
    """Where the matters of a township or village were resolved, and its villages' same-day rate."""
    return ctx.say(
        "village.stats_line",
        name=row.name,
        resolved=row.resolved,
        grid=percent(ctx, row.grid_share),
        village=percent(ctx, row.village_share),
        departments=percent(ctx, row.department_share),
        same_day=percent(ctx, row.same_day_rate),
    )
