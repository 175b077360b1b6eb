"""The 实事 reminder ticker: asks the database who is due a reminder and queues each one exactly once.

The outbox row IS the record that a reminder was sent: its dedupe key (tasks:{year}:{kind}:{period}:{userid})
is unique, so a restart, a ticker run twice or two processes can never queue it twice. Who receives it is
decided from the database each run; the set only shrinks while an occurrence is relevant (a task finished
after the due time takes its cadre out), so late runs never reach anyone the timely run would have skipped.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from functools import partial

from bot.scheduler import Scheduler
from handlers.core.context import Services
from handlers.tasks.calendar import Occurrence, relevant
from handlers.tasks.service import Quota
from models import OutboxMessage, Role
from models.area_tree import AreaTree
from models.cadre_queries import Cadre, all_cadres
from models.tasks_queries import Tally, YearTasks
from models.tasks_report import village_rows


def register(scheduler: Scheduler, services: Services) -> None:
    """Add the 实事 ticker to bot/scheduler.py's Scheduler, at the hours of [tasks] tick_hours (a cron hour field)."""
    scheduler.cron("tasks.reminders", partial(tick, services), hour=services.policy.tasks.tick_hours, minute=0)


async def tick(services: Services, now: datetime | None = None) -> Counter[str]:
    """Queue every relevant reminder not queued yet; returns how many of each kind were queued now."""
    now = now or services.clock.now()
    queued: Counter[str] = Counter()
    due = relevant(services.policy.tasks, now, services.calendar.calendar)
    if not due:
        return queued
    tree = await AreaTree.load()
    cadres = await all_cadres(services.policy.tasks, tree)
    for year, occurrence in due:
        if occurrence.kind == "summary":
            messages = await _summary(services, year, tree)
        else:
            messages = await _cadre_messages(services, year, occurrence, cadres)
        queued[occurrence.kind] += await _queue_new(services, year, occurrence, messages)
    return +queued


Messages = dict[str, tuple[str, str]]  # the dedupe key's last part → (userid, text)


async def _queue_new(services: Services, year: int, occurrence: Occurrence, messages: Messages) -> int:
    """Queue the messages whose dedupe key is not in the outbox yet (one indexed query for all of them)."""
    keys = {occurrence.key(year, who): message for who, message in messages.items()}
    known = (
        set(await OutboxMessage.filter(dedupe_key__in=list(keys)).values_list("dedupe_key", flat=True))
        if keys
        else set()
    )
    queued = 0
    for key, (userid, text) in keys.items():
        if key not in known:
            queued += await services.reach.person(userid, text=text, dedupe_key=key)
    return queued


async def _cadre_messages(services: Services, year: int, occurrence: Occurrence, cadres: list[Cadre]) -> Messages:
    """userid → text for the cadres this occurrence concerns now."""
    texts, quota = services.texts, Quota.from_policy(services.policy.tasks)
    tasks = await YearTasks.load(year)
    counts = tasks.tallies()
    unfinished = tasks.unfinished(created_by=occurrence.due)
    found: Messages = {}
    for cadre in cadres:
        userid = cadre.userid
        if not userid:
            continue
        tally = counts.get(cadre.person_id, Tally())
        if occurrence.kind == "kickoff" and tally.registered < quota.low:
            found[userid] = (
                userid,
                texts.render("tasks.remind_kickoff", year=year, quota=quota, registered=tally.registered),
            )
        elif occurrence.kind == "monthly" and unfinished.get(cadre.person_id):
            items = [
                texts.render("tasks.remind_monthly_item", seq=seq, title=title)
                for seq, title in unfinished[cadre.person_id]
            ]
            found[userid] = userid, texts.render("tasks.remind_monthly", count=len(items), items="\n".join(items))
        elif occurrence.kind == "quarter" and tally.done < occurrence.min_done:
            day = occurrence.due.date()
            found[userid] = (
                userid,
                texts.render(
                    "tasks.remind_quarter", month=day.month, day=day.day, min_done=occurrence.min_done, done=tally.done
                ),
            )
        elif occurrence.kind == "last_call" and tally.done < quota.low:
            found[userid] = (
                userid,
                texts.render("tasks.remind_last_call", year=year, done=tally.done, quota_min=quota.low),
            )
    return found


async def _summary(services: Services, year: int, tree: AreaTree) -> Messages:
    """Per township committee member: one message with a line per village of their township.

    The dedupe key names the township as well as the person: tasks:{year}:summary:summary:{township}:{userid}.
    """
    texts, quota = services.texts, Quota.from_policy(services.policy.tasks)
    rows = await village_rows(services.policy.tasks, year, tree)
    found: Messages = {}
    roles = (
        await Role.filter(role__in=services.policy.tasks.township_stats_roles).prefetch_related("person").order_by("id")
    )
    for role in roles:
        township = tree.township_of(role.area_id)
        if township is None or not role.person.userid:
            continue
        lines = [texts.render("tasks.summary_header", township=township.name, year=year, quota=quota)]
        lines += [
            texts.render(
                "tasks.summary_line",
                village=r.village,
                cadres=r.cadres,
                registered=r.registered,
                done=r.done,
                behind=r.behind,
            )
            for r in rows
            if r.township_code == township.code
        ]
        found[f"{township.code}:{role.person.userid}"] = role.person.userid, "\n".join(lines)
    return found
