"""The care-visit ticker: a period that ended without a visit reminds the paired cadre once; two such
periods in a row also tell the village secretary, once per period.

Due at [visits] send_hour on the day after a period ends, and relevant until the next period's reminder
is due (then that one speaks for it). Dedupe keys: visits:{household}:{period start}:cadre and
visits:{household}:{period start}:secretary:{userid}; the outbox row is the record that it went.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, time, timedelta
from functools import partial

from bot.clock import SHANGHAI
from bot.scheduler import Scheduler
from handlers.core.context import Services
from models import CarePair, OutboxMessage, Role
from models.area_tree import AreaTree
from models.care_periods import Period, counted_periods, local_day, visit_days, visited_in


def register(scheduler: Scheduler, services: Services) -> None:
    scheduler.cron("visits.reminders", partial(tick, services), hour=services.policy.visits.tick_hours, minute=0)


def _due(period: Period, hour: int) -> datetime:
    return datetime.combine(period.end, time(hour), SHANGHAI)


async def tick(services: Services, now: datetime | None = None) -> Counter[str]:
    now = now or services.clock.now()
    hour = services.policy.visits.send_hour
    pairs = await CarePair.filter().prefetch_related("household", "cadre")
    if not pairs:
        return Counter()
    days = await visit_days([p.household_id for p in pairs], now - timedelta(days=80))
    tree = await AreaTree.load()
    wanted: dict[str, tuple[str, str, str]] = {}  # dedupe key → (kind, userid, text)
    for pair in pairs:
        household = pair.household
        chain = [
            p
            for p in counted_periods(household.tags, pair.since, local_day(now), services.policy.visits)
            if _due(p, hour) <= now
        ]
        if not chain or visited_in(chain[-1], days.get(household.id, set())):
            continue
        last = chain[-1]
        params = dict(
            head=household.head,
            place=tree.hamlet_name(household.grid_id),
            tags="、".join(household.tags),
            start=f"{last.start:%m-%d}",
            end=f"{last.end - timedelta(days=1):%m-%d}",
            cadre=pair.cadre.name,
        )
        if pair.cadre.userid:
            wanted[f"visits:{household.id}:{last.start}:cadre"] = (
                "cadre",
                pair.cadre.userid,
                services.texts.render("visits.remind_overdue", **params),
            )
        if len(chain) >= 2 and not visited_in(chain[-2], days.get(household.id, set())):
            village = tree.village_of(household.grid_id)
            for role in await Role.filter(
                role__in=("village_secretary", "first_secretary"), area_id=village.id if village else -1
            ).prefetch_related("person"):
                if role.person.userid:
                    wanted[f"visits:{household.id}:{last.start}:secretary:{role.person.userid}"] = (
                        "secretary",
                        role.person.userid,
                        services.texts.render("visits.tell_secretary", **params),
                    )
    known = (
        set(await OutboxMessage.filter(dedupe_key__in=list(wanted)).values_list("dedupe_key", flat=True))
        if wanted
        else set()
    )
    queued: Counter[str] = Counter()
    for key, (kind, userid, text) in wanted.items():
        if key not in known:
            queued[kind] += await services.reach.person(userid, text=text, dedupe_key=key)
    return +queued
