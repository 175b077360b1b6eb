"""The urgent notice to the cadres nearest a matter, and its button's key.

`alert_nearest(services, request)` is called when an urgent request goes out (beside the township and the
departments); each cadre gets a card of their own, so each one's 收到 is theirs. Acknowledgements are events
on the request (`urgent_ack`), so the trail shows who knew and when.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from bot.channels.types import Button, Card
from handlers.core.card_keys import CardKey
from handlers.core.context import Services
from handlers.tickets.reporter import reporter_of
from models import Area, Department, Person, Request
from models.request_queries import ancestor_at, people_with_role
from models.ticket_queries import place_of

NEAREST_ROLES = {"grid": ("grid_member",), "village": ("village_secretary", "first_secretary")}


@dataclass(frozen=True)
class UrgentKey(CardKey):
    """The 收到 button of an urgent notice: `urgent:<request id>`."""

    scheme: ClassVar[str] = "urgent"
    request_id: int


async def nearest_cadres(request: Request) -> list[Person]:
    """The grid members of the matter's grid, then the village secretary and first secretary of its village."""
    area = await Area.get_or_none(id=request.area_id) if request.area_id else None
    people: list[Person] = []
    for level, roles in NEAREST_ROLES.items():
        people += await people_with_role(await ancestor_at(area, level), *roles)
    return list({p.id: p for p in people}.values())


def task_id(request: Request, userid: str) -> str:
    return f"gw-urgent-{request.number}-{userid}"


async def urgent_card(services: Services, request: Request, *, task: str) -> Card:
    texts = services.texts
    place = await place_of(await Area.get_or_none(id=request.area_id) if request.area_id else None)
    who = await reporter_of(request)  # in full: the card goes to each cadre's own chat
    codes = [c for c in dict.fromkeys([request.primary, *request.also]) if c]
    names = {d.code: d.name for d in await Department.filter(code__in=codes)}
    departments = "、".join(names[c] for c in codes if c in names)
    return Card(
        task_id=task,
        title=texts.render("urgent.card_title", number=request.number, place=place),
        description=request.text[:120],
        fields=(
            (texts.render("urgent.field_reporter"), who.name or texts.render("urgent.unknown")),
            (texts.render("urgent.field_phone"), who.phone or texts.render("urgent.unknown")),
            (texts.render("urgent.field_place"), " ".join(w for w in (place, who.address) if w)),
            (texts.render("urgent.field_sent_to"), texts.render("urgent.sent_to", departments=departments)),
        ),
        buttons=(Button(str(UrgentKey(request.id)), texts.render("urgent.button_ack")),),
    )


async def alert_nearest(services: Services, request: Request) -> int:
    """Queue the notice to each nearest cadre at once (quiet hours do not hold it); how many were newly queued."""
    queued = 0
    for person in await nearest_cadres(request):
        if not person.userid:
            continue
        task = task_id(request, person.userid)
        queued += await services.reach.person(
            person.userid,
            card=await urgent_card(services, request, task=task),
            urgent=True,
            dedupe_key=f"card:{task}",
        )
    return queued
