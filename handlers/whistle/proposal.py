"""A routed request that is not urgent waits for the township: the confirmation card (确认吹哨 / 改派, and a
button for each department the router considered close) to the committee members, its button keys, and
greying it out once the request went out."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import ClassVar, Literal

from bot.channels.types import Button, Card
from handlers.common.format import stamp
from handlers.core.card_keys import CardKey
from handlers.core.context import Services
from handlers.tickets.audit import record
from handlers.tickets.cards import update_card
from handlers.tickets.departments import NOT_COUNTY
from models import Area, Department, Request, TicketEvent
from models.area_cache import area_of, departments_by_code
from models.ticket_queries import (
    ancestor_at,
    committee_of,
    place_of,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WhistleKey(CardKey):
    """The confirmation card's buttons: `whistle:<confirm|reassign>:<request number>`."""

    scheme: ClassVar[str] = "whistle"
    action: Literal["confirm", "reassign"]
    request_number: int


@dataclass(frozen=True)
class RunnerUpKey(CardKey):
    """The card's button for a department the router considered close: `whistle_to:<request number>:<code>`
    whistles the request to that department instead of the proposed primary."""

    scheme: ClassVar[str] = "whistle_to"
    request_number: int
    department: str


async def runners_up(services: Services, request: Request, departments: list[Department]) -> list[Department]:
    """The departments the router considered close to its choice (at most two, closest first), other than
    those proposed: a township cadre who sees the router was torn can pick one with a tap."""
    proposed = {d.code for d in departments}
    codes = [
        c for c in services.router().classify(request.text).runners_up if c not in proposed and c not in NOT_COUNTY
    ]
    by_code = await departments_by_code(codes)
    return [by_code[c] for c in codes if c in by_code]


async def propose(services: Services, request: Request, departments: list[Department], *, fresh: bool = False) -> bool:
    """A confirmation card (确认吹哨 / 改派, and one button per runner-up) to the township committee; False
    when these departments were already proposed. A request re-routed while waiting gets a new card (and
    its time-out starts again). fresh: recorded in this very message, so proposed for the first time."""
    earlier = [] if fresh else await TicketEvent.filter(request_id=request.id, kind="proposed").order_by("id")
    if earlier and earlier[-1].data.get("departments") == [d.code for d in departments]:
        return False
    now = services.clock.now()
    area = await area_of(request.area_id)
    township = await ancestor_at(area, "township")
    if township is None:
        log.warning("request #%s has no township: cannot propose a whistle", request.number)
        return False
    close = await runners_up(services, request, departments)
    await record(
        "proposed", now, request=request, departments=[d.code for d in departments], runners_up=[d.code for d in close]
    )
    timeout = services.policy.whistle.confirm_timeout_minutes
    texts = services.texts
    others = tuple(
        Button(str(RunnerUpKey(request.number, d.code)), texts.render("whistle.button_runner_up", department=d.name), 2)
        for d in close
    )
    card = Card(
        task_id=confirm_task_id(request, len(earlier) + 1),
        title=texts.render("whistle.confirm_title", number=request.number),
        description=request.text[:120],
        fields=(
            (texts.render("whistle.field_place"), await place_of(area)),
            (texts.render("whistle.field_primary"), departments[0].name),
            (
                texts.render("whistle.field_assisting"),
                "、".join(d.name for d in departments[1:]) or texts.render("whistle.none"),
            ),
            *(((texts.render("whistle.field_runners_up"), "、".join(d.name for d in close)),) if close else ()),
            (texts.render("whistle.field_goes_at"), stamp(now + timedelta(minutes=timeout))),
        ),
        buttons=(
            Button(str(WhistleKey("confirm", request.number)), texts.render("whistle.button_confirm"), 1),
            *others,
            Button(str(WhistleKey("reassign", request.number)), texts.render("whistle.button_reassign"), 2),
        ),
    )
    members = [p.userid for p in await committee_of(township) if p.userid]
    await services.reach.together(members, card=card, dedupe_key=f"card:{card.task_id}")
    return True


async def close_proposal(services: Services, request: Request, township: Area, text: str, click_code: str = "") -> None:
    """Grey out the confirmation card for every committee member of `township` once the request went out
    (no proposal was made without a township, so there is nothing to grey out then)."""
    rounds = await TicketEvent.filter(request_id=request.id, kind="proposed").count()
    if rounds:  # an urgent matter whistled at once had no card: nobody to look up
        members = [p.userid for p in await committee_of(township) if p.userid]
        await update_card(
            services, members, task_id=confirm_task_id(request, rounds), click_code=click_code, replace_name=text
        )


def confirm_task_id(request: Request, round_: int) -> str:
    """The confirmation card's task id: unique per app, so a re-routed request's new card gets a new one."""
    return f"gw-confirm-{request.number}" + (f"-{round_}" if round_ > 1 else "")
