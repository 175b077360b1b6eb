"""The index's tickers: each month's standing to every village secretary ([index] standing_roles), and at the
year's end the township's villages' results to its committee members to confirm before they are final.

The outbox row IS the record that a message went: its dedupe key (index:{year}:{month}:standing:{village}:
{userid}, index:{year}:final:{township}:{userid}) is unique, so a restart, a second run or a second process
never sends one twice. A message is due from its day and hour until the month (or, for the year end, 31
days) is over, so a run missed while the service was down is made up by the next.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial

from bot.scheduler import Scheduler
from config.index_file import Index, number
from handlers.core.context import Services
from handlers.index.cards import final_card
from handlers.index.service import scorer_roles, standing_lines
from models import OutboxMessage, Role
from models.area_tree import AreaTree
from models.index_standing import standing
from models.performance import confirmed_townships


def register(scheduler: Scheduler, services: Services) -> None:
    if services.index is not None:
        scheduler.cron("index.tell", partial(tick, services), minute=7)


def monthly_due(index: Index, now: datetime) -> bool:
    """From the monthly day and hour to the month's end, February to December of the index's year."""
    tell = index.tell
    return now.year == index.year and now.month >= 2 and (now.day, now.hour) >= (tell.monthly_day, tell.hour)


def final_due(index: Index, now: datetime) -> bool:
    tell = index.tell
    start = now.replace(
        year=index.year,
        month=tell.confirm_month,
        day=tell.confirm_day,
        hour=tell.hour,
        minute=0,
        second=0,
        microsecond=0,
    )
    return start <= now < start + timedelta(days=31)


async def tick(services: Services, now: datetime | None = None) -> int:
    """Queue what is due and not queued yet; how many messages were queued now."""
    index = services.index
    if index is None:
        return 0
    now = now or services.clock.now()
    queued = 0
    if monthly_due(index, now):
        queued += await _monthly(services, index, now)
    if final_due(index, now):
        queued += await _final(services, index, now)
    return queued


async def _unsent(keys: list[str]) -> set[str]:
    sent = set(await OutboxMessage.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True)) if keys else set()
    return set(keys) - sent


async def _monthly(services: Services, index: Index, now: datetime) -> int:
    tree = await AreaTree.load()
    wanted: dict[str, tuple[str, int]] = {}  # key → (userid, village id)
    for role in (
        await Role.filter(role__in=services.policy.index.standing_roles).prefetch_related("person").order_by("id")
    ):
        village = tree.village_of(role.area_id)
        if village is not None and role.person.userid:
            key = f"index:{index.year}:{now.month:02d}:standing:{village.code}:{role.person.userid}"
            wanted[key] = (role.person.userid, village.id)
    due = await _unsent(list(wanted))
    if not due:
        return 0
    result = await standing(index, services.policy, now, tree)
    queued = 0
    for key in sorted(due):
        userid, village_id = wanted[key]
        lines = [services.texts.render("index.monthly_header", month=now.month)]
        lines += standing_lines(services.texts, result, result.villages[village_id])
        queued += await services.reach.person(userid, text="\n".join(lines), dedupe_key=key)
    return queued


async def _final(services: Services, index: Index, now: datetime) -> int:
    tree = await AreaTree.load()
    done = await confirmed_townships(index.year)
    wanted: dict[str, tuple[str, int]] = {}
    for role in await Role.filter(role__in=scorer_roles(services.policy)).prefetch_related("person").order_by("id"):
        township = tree.township_of(role.area_id)
        if township is not None and township.id not in done and role.person.userid:
            wanted[f"index:{index.year}:final:{township.code}:{role.person.userid}"] = (role.person.userid, township.id)
    due = await _unsent(list(wanted))
    if not due:
        return 0
    result = await standing(index, services.policy, now, tree)
    queued = 0
    for key in sorted(due):
        userid, township_id = wanted[key]
        lines = [
            services.texts.render(
                "index.final_line",
                rank=v.rank_township,
                village=v.name,
                total=number(v.total),
                missing=len(v.missing),
            )
            for v in result.ranked(township_id)
        ]
        card = final_card(services.texts, index.year, tree.areas[township_id], lines)
        queued += await services.reach.person(userid, card=card, dedupe_key=key)
    return queued
