"""The urgent notice to the cadres nearest a matter and to those on duty, and its button's key.

`alert_nearest(services, request)` is called when an urgent request goes out (beside the township and the
departments); each cadre gets a card of their own, so each one's 收到 is theirs: the grid member, both
secretaries, and the 值班 of the village and of the township for the shift the matter came in (the roster,
handlers/shifts). Acknowledgements are events on the request (`urgent_ack`), so the trail shows who knew and
when; the 带班 leaders called later (handlers/urgent/escalation.py) are `urgent_call` events.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

from bot.channels.types import Button, Card
from handlers.core.card_keys import CardKey
from handlers.core.context import Services
from handlers.shifts.roster import on_shift, shift_at
from handlers.tickets.reporter import Reporter, reporter_of
from models import Person, Request, TicketEvent
from models.area_cache import area_of, departments_by_code
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
    area = await area_of(request.area_id)
    people: list[Person] = []
    for level, roles in NEAREST_ROLES.items():
        people += await people_with_role(await ancestor_at(area, level), *roles)
    return list({p.id: p for p in people}.values())


async def on_duty_cadres(services: Services, request: Request) -> list[Person]:
    """The 值班 of the matter's village and township for the shift it came in."""
    area = await area_of(request.area_id)
    shift = shift_at(services.policy.shifts, request.created_at)
    people: list[Person] = []
    for level in ("village", "township"):
        duty = (await on_shift(await ancestor_at(area, level), shift)).get("duty")
        if duty is not None:
            people.append(duty)
    return people


async def alerted_cadres(services: Services, request: Request) -> list[Person]:
    """Everyone the notice went to: the nearest, those on duty, and the 带班 leaders called since."""
    called = await TicketEvent.filter(request_id=request.id, kind="urgent_call").prefetch_related("actor")
    people = [*await nearest_cadres(request), *await on_duty_cadres(services, request)]
    people += [event.actor for event in called if event.actor is not None]
    return list({p.id: p for p in people}.values())


def task_id(request: Request, userid: str) -> str:
    return f"gw-urgent-{request.number}-{userid}"


async def urgent_card(services: Services, request: Request, *, task: str, reporter: Reporter | None = None) -> Card:
    texts = services.texts
    place = await place_of(await area_of(request.area_id))
    who = reporter or await reporter_of(request)  # in full: the card goes to each cadre's own chat
    codes = [c for c in dict.fromkeys([request.primary, *request.also]) if c]
    names = {c: d.name for c, d in (await departments_by_code(codes)).items()}
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


async def alert_nearest(services: Services, request: Request, *, reporter: Reporter | None = None) -> int:
    """Queue the notice to each nearest and on-duty cadre at once (quiet hours hold none of them); how many
    were newly queued. The card is made once and only its task id differs from cadre to cadre (`reporter`:
    who reported it, when the caller has read that already)."""
    people = [*await nearest_cadres(request), *await on_duty_cadres(services, request)]
    card: Card | None = None
    queued = 0
    for person in people:
        if person.userid and card is None:
            card = await urgent_card(services, request, task="", reporter=reporter)
        queued += await send_notice(services, request, person, card=card)
    return queued


async def send_notice(services: Services, request: Request, person: Person, *, card: Card | None = None) -> bool:
    """One cadre's own card (`card`, when it is already made for this request, gets their task id); its dedupe
    key makes it once per cadre and matter."""
    if not person.userid:
        return False
    task = task_id(request, person.userid)
    return await services.reach.person(
        person.userid,
        card=replace(card, task_id=task) if card is not None else await urgent_card(services, request, task=task),
        urgent=True,
        dedupe_key=f"card:{task}",
    )
