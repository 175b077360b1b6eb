"""The members' thin tickers: offer new requests to the grid's members with a fitting skill (every minute), and
send last month's summaries (双报告) to each member, their unit's Party secretary and their village's secretaries.

Each message is an outbox row with a deterministic dedupe key — `members:offer:{request id}:{userid}`,
`members:monthly:{YYYY-MM}:{member|unit|village}:…:{userid}` — so a run twice, a restart or a second process
never sends one twice, and a run missed is made up by the next (the month's reports until the next month's).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta
from functools import partial

from bot.scheduler import Scheduler
from config.skills import SkillTable, read_skills
from handlers.core.context import Services
from handlers.members.cards import offer_card
from handlers.members.service import previous_month, work_line
from models import OutboxMessage, PracticalTask, Request, Role
from models.area_tree import AreaTree
from models.members import PartyMember
from models.members_queries import confirmed_members, work_of
from models.request_states import CLAIMABLE
from models.tasks_queries import OPEN_STATES

OFFER_TICK_SECONDS = 60


def register(scheduler: Scheduler, services: Services) -> None:
    skills = read_skills()  # read once at start; a mistake stops the start with the file and key
    scheduler.every("members.offers", OFFER_TICK_SECONDS, partial(offer_tick, services, skills))
    scheduler.cron(
        "members.monthly", partial(monthly_tick, services), hour=services.policy.members.tick_hours, minute=0
    )


async def _unsent(keys: list[str]) -> set[str]:
    known = set(await OutboxMessage.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True)) if keys else set()
    return set(keys) - known


async def offer_tick(services: Services, skills: SkillTable | None = None, now: datetime | None = None) -> int:
    """Offer each recent claimable request of a grid to its confirmed members whose skills it needs."""
    now = now or services.clock.now()
    skills = skills or read_skills()
    since = now - timedelta(hours=services.policy.members.offer_watch_hours)
    requests = await Request.filter(created_at__gte=since, status__in=CLAIMABLE, merged_into_id=None).order_by("id")
    if not requests:
        return 0
    members = await PartyMember.filter(status="confirmed", grid_id__in=[r.area_id for r in requests if r.area_id])
    if not members:
        return 0
    await PartyMember.fetch_for_list(members, "person")
    by_grid: dict[int, list[PartyMember]] = defaultdict(list)
    for member in members:
        by_grid[member.grid_id].append(member)
    tree = await AreaTree.load()
    offers = []
    for request in requests:
        needed = skills.needed([request.primary, *request.also], request.text)
        for member in by_grid.get(request.area_id or 0, []):
            fitting = [s for s in needed if s in member.skills]
            if fitting and member.person.userid:
                offers.append((f"members:offer:{request.id}:{member.person.userid}", request, member, fitting))
    unsent = await _unsent([key for key, *_ in offers])
    open_tasks: dict[int, list[PracticalTask]] = defaultdict(list)  # a claim may join one of these instead
    for task in await PracticalTask.filter(
        cadre_id__in=[m.person_id for _, _, m, _ in offers], year=now.year, status__in=OPEN_STATES
    ).order_by("-seq"):
        open_tasks[task.cadre_id].append(task)
    queued = 0
    for key, request, member, fitting in offers:
        if key in unsent:
            village, grid = tree.village_of(request.area_id), tree.get(request.area_id)
            place = f"{village.name if village else ''}{grid.name if grid else ''}"
            card = offer_card(services, request, member.person, fitting, place, open_tasks[member.person_id])
            queued += await services.reach.person(member.person.userid or "", card=card, dedupe_key=key)
    return queued


async def monthly_tick(services: Services, now: datetime | None = None) -> Counter[str]:
    """From the report day's send hour, last month's summaries, once per recipient."""
    now = now or services.clock.now()
    policy = services.policy.members
    due = now.replace(day=policy.report_day, hour=policy.send_hour, minute=0, second=0, microsecond=0)
    queued: Counter[str] = Counter()
    if now < due:
        return queued
    start, end = previous_month(now)
    month = f"{start:%Y-%m}"
    members = [m for m in await confirmed_members() if m.confirmed_at is None or m.confirmed_at < end]
    if not members:
        return queued
    works = await work_of([m.person_id for m in members], start, end)
    tree = await AreaTree.load()
    messages: dict[str, tuple[str, str, str]] = {}  # key → (kind, userid, text)
    say = services.texts.render
    secretaries: dict[int, list[str]] = defaultdict(list)  # village id → its secretaries' userids, one query
    for area_id, userid in await Role.filter(role__in=policy.village_grade_roles).values_list(
        "area_id", "person__userid"
    ):
        if area_id is not None and userid:
            secretaries[area_id].append(userid)
    unit_lines: dict[str, list[str]] = defaultdict(list)
    village_lines: dict[tuple[str, str], list[str]] = defaultdict(list)
    for member in members:
        line = work_line(services, member, works[member.person_id])
        if member.person.userid:
            text = say("members.monthly_member", month=month, line=line)
            messages[f"members:monthly:{month}:member:{member.person.userid}"] = ("member", member.person.userid, text)
        if member.unit_secretary is not None and member.unit_secretary.userid:
            unit_lines[member.unit_secretary.userid].append(line)
        village = tree.village_of(member.grid_id)
        if village is not None:
            for userid in secretaries.get(village.id, []):
                village_lines[(village.code, userid)].append(line)
    for userid, lines in unit_lines.items():
        text = say("members.monthly_unit", month=month, count=len(lines), lines="\n".join(lines))
        messages[f"members:monthly:{month}:unit:{userid}"] = ("unit", userid, text)
    for (village_code, userid), lines in village_lines.items():
        text = say("members.monthly_village", month=month, count=len(lines), lines="\n".join(lines))
        messages[f"members:monthly:{month}:village:{village_code}:{userid}"] = ("village", userid, text)
    unsent = await _unsent(list(messages))
    for key, (kind, userid, text) in messages.items():
        if key in unsent:
            queued[kind] += await services.reach.person(userid, text=text, dedupe_key=key)
    return +queued
