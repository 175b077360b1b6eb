"""The members' cards: the village confirms a registration (双报到), a member is offered a request fitting a skill."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Literal

from bot.channels.types import Button, Card
from handlers.common.format import summary
from handlers.common.privacy import mask_private
from handlers.core.card_keys import CardKey
from handlers.core.context import Services
from models import Area, Person, PracticalTask, Request
from models.members import PartyMember


@dataclass(frozen=True)
class ConfirmKey(CardKey):
    """`member:<yes|no>:<member id>:<grid id>`: the grid is in the key, so a card of an older registration is stale."""

    scheme: ClassVar[str] = "member"
    answer: Literal["yes", "no"]
    member_id: int
    grid_id: int


@dataclass(frozen=True)
class OfferKey(CardKey):
    """`offer:<request id>`: the member who taps it claims the request (as `实事 认领 #N`)."""

    scheme: ClassVar[str] = "offer"
    request_id: int


@dataclass(frozen=True)
class OfferIntoKey(CardKey):
    """`offerinto:<request id>:<task id>`: the member claims the request as part of their open 实事 (task id)."""

    scheme: ClassVar[str] = "offerinto"
    request_id: int
    task_id: int


def confirm_task(member: PartyMember, grid: Area) -> str:
    return f"gw-member-{member.id}-{grid.id}-{int(member.registered_at.timestamp())}"


def confirm_card(services: Services, member: PartyMember, person: Person, grid: Area, village: str) -> Card:
    say = services.texts.render
    return Card(
        task_id=confirm_task(member, grid),
        title=say("members.card_title", name=person.name, village=village, grid=grid.name),
        description=say("members.card_description"),
        fields=(
            (say("members.card_unit"), member.unit_name),
            (say("members.card_skills"), "、".join(member.skills) or say("members.none")),
        ),
        buttons=(
            Button(str(ConfirmKey("yes", member.id, grid.id)), say("members.card_yes")),
            Button(str(ConfirmKey("no", member.id, grid.id)), say("members.card_no"), style=2),
        ),
    )


def offer_task(request: Request, person: Person) -> str:
    return f"gw-offer-{request.id}-{person.id}"


def offer_card(
    services: Services,
    request: Request,
    person: Person,
    skills: list[str],
    place: str,
    open_tasks: Sequence[PracticalTask] = (),
) -> Card:
    """A new 实事 with the first button; part of one of the member's open 实事 with the others (the newest few)."""
    say = services.texts.render
    into = [
        Button(str(OfferIntoKey(request.id, task.id)), say("members.offer_into", seq=task.seq), style=2)
        for task in open_tasks[: services.policy.members.offer_into_max]
    ]
    return Card(
        task_id=offer_task(request, person),
        title=say("members.offer_title", number=request.number, skills="、".join(skills)),
        description=mask_private(summary(request.text, 60)),  # the member is not the villager: details masked
        fields=((say("members.offer_place"), place),),
        buttons=(Button(str(OfferKey(request.id)), say("members.offer_button")), *into),
    )
