"""The roster gap ticker: the day before, each township's roster keepers hear which posts nobody holds.

Only a township that keeps a roster is asked: one with a post held, in it or its villages, within
`IN_USE` before tomorrow or any day after; a county that has not started rosters hears nothing every day.

One message per keeper per township per day; its outbox dedupe key (shifts:gaps:{township}:{day}:{userid})
is unique, so a ticker run twice, a restart or a second process never sends it twice. A gap filled before the
report hour is not reported; one filled after it was reported already.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import partial

from bot.scheduler import Scheduler
from config.timezone import SHANGHAI
from handlers.core.context import Services
from handlers.shifts.handover import send_handovers
from handlers.shifts.roster import Gap, gaps
from models import Area, DutySlot, OutboxMessage, Role
from models.area_tree import AreaTree

IN_USE = timedelta(days=14)
HANDOVER_TICK_SECONDS = 300  # the hand-over reaches the next shift within five minutes of its start


def register(scheduler: Scheduler, services: Services) -> None:
    scheduler.cron("shifts.gaps", partial(tick, services), hour=services.policy.shifts.tick_hours, minute=0)
    scheduler.every("shifts.handover", HANDOVER_TICK_SECONDS, partial(handover_tick, services))


async def handover_tick(services: Services, now: datetime | None = None) -> int:
    return await send_handovers(services, now or services.clock.now())


async def tick(services: Services, now: datetime | None = None) -> int:
    """Report tomorrow's gaps to each township's keepers not told yet; how many messages were queued."""
    policy = services.policy.shifts
    local = (now or services.clock.now()).astimezone(SHANGHAI)
    if local.hour < policy.gap_report_hour:
        return 0
    tomorrow = local.date() + timedelta(days=1)
    tree = await AreaTree.load()
    keepers = await Role.filter(role__in=policy.township_manager_roles).prefetch_related("person").order_by("id")
    by_township: dict[int, list[str]] = {}
    for role in keepers:
        township = tree.township_of(role.area_id)
        if township is not None and role.person.userid:
            by_township.setdefault(township.id, []).append(role.person.userid)
    queued = 0
    for township_id, userids in by_township.items():
        township = tree.get(township_id)
        assert township is not None
        keys = {f"shifts:gaps:{township.code}:{tomorrow}:{u}": u for u in dict.fromkeys(userids)}
        known = set(await OutboxMessage.filter(dedupe_key__in=list(keys)).values_list("dedupe_key", flat=True))
        if len(known) == len(keys):
            continue
        if not await _keeps_a_roster(tree, township, tomorrow):
            continue
        found = await gaps(tree, township, tomorrow)
        if not found:
            continue
        text = _report(services, township, tomorrow, found)
        for key, userid in keys.items():
            if key not in known:
                queued += await services.reach.person(userid, text=text, dedupe_key=key)
    return queued


async def _keeps_a_roster(tree: AreaTree, township: Area, day: date) -> bool:
    area_ids = [township.id, *(v.id for v in tree.villages_in(township.id))]
    return await DutySlot.filter(area_id__in=area_ids, day__gte=day - IN_USE).exists()


def _report(services: Services, township: Area, day: date, found: list[Gap]) -> str:
    texts = services.texts
    by_area: dict[str, list[str]] = {}
    for gap in found:
        by_area.setdefault(gap.area.name, []).append(
            texts.render(
                "shifts.gap_post",
                shift=texts.render(f"shifts.shift_{gap.shift}"),
                post=texts.render(f"shifts.post_{gap.post}"),
            )
        )
    lines = [texts.render("shifts.gap_header", township=township.name, day=f"{day:%m-%d}")]
    lines += [texts.render("shifts.gap_line", area=area, posts="、".join(posts)) for area, posts in by_area.items()]
    lines.append(texts.render("shifts.gap_footer"))
    return "\n".join(lines)
