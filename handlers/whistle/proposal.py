"""A routed request that is not urgent waits for the township: the confirmation card (确认吹哨 / 改派) to the
committee members, its button keys, and greying it out once the request went out."""

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
from models import Area, Department, Request, TicketEvent
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


async def propose(services: Services, request: Request, departments: list[Department]) -> bool:
    """A confirmation card (确认吹哨 / 改派) to the township committee; False when these departments were
    already proposed. A request re-routed while waiting gets a new card (and its time-out starts again)."""
    earlier = await TicketEvent.filter(request_id=request.id, kind="proposed").order_by("id")
    if earlier and earlier[-1].data.get("departments") == [d.code for d in departments]:
        return False
    now = services.clock.now()
    area = await Area.get_or_none(id=request.area_id) if request.area_id else None
    township = await ancestor_at(area, "township")
    if township is None:
        log.warning("request #%s has no township: cannot propose a whistle", request.number)
        return False
    await record("proposed", now, request=request, departments=[d.code for d in departments])
    timeout = services.policy.whistle.confirm_timeout_minutes
    texts = services.texts
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
            (texts.render("whistle.field_goes_at"), stamp(now + timedelta(minutes=timeout))),
        ),
        buttons=(
            Button(str(WhistleKey("confirm", request.number)), texts.render("whistle.button_confirm"), 1),
            Button(str(WhistleKey("reassign", request.number)), texts.render("whistle.button_reassign"), 2),
        ),
    )
    members = [p.userid for p in await committee_of(township) if p.userid]
    await services.reach.together(members, card=card, dedupe_key=f"card:{card.task_id}")
    return True


async def close_proposal(services: Services, request: Request, township: Area, text: str, click_code: str = "") -> None:
    """Grey out the confirmation card for every committee member of `township` once the request went out
    (no proposal was made without a township, so there is nothing to grey out then)."""
    members = [p.userid for p in await committee_of(township) if p.userid]
    rounds = await TicketEvent.filter(request_id=request.id, kind="proposed").count()
    if rounds:
        await update_card(
            services, members, task_id=confirm_task_id(request, rounds), click_code=click_code, replace_name=text
        )


def confirm_task_id(request: Request, round_: int) -> str:
    """The confirmation card's task id: unique per app, so a re-routed request's new card gets a new one."""
    return f"gw-confirm-{request.number}" + (f"-{round_}" if round_ > 1 else "")
