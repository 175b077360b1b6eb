"""小事不出网格: a `village` matter goes to its grid member, village secretary and first secretary as a card; they close it
(the villager is told and asked to rate it) or escalate it to the township committee."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from bot.channels.types import Button, Card
from config.errors import UserError
from handlers.common.privacy import mask_private
from handlers.core.card_keys import CardKey
from handlers.core.context import Services
from handlers.tickets.cards import update_card
from handlers.tickets.departments import NOT_COUNTY
from handlers.whistle.service import whistle_request
from models import Household, OutboxMessage, Person, Request, TicketEvent
from models.area_cache import area_of
from models.lifecycle import Event
from models.request_queries import ancestor_at, ancestors, people_with_role
from models.request_states import HANDLED_BY_VILLAGE, RequestState, move_request

HANDLERS_OF_GRID = ("grid_member",)
HANDLERS_OF_VILLAGE = ("village_secretary", "first_secretary")  # 双书记: both hold the village's matters


@dataclass(frozen=True)
class VillageKey(CardKey):
    """The village card's buttons: `village:<close|escalate>:<request id>`."""

    scheme: ClassVar[str] = "village"
    action: Literal["close", "escalate"]
    request_id: int


async def village_handlers(request: Request) -> list[Person]:
    """The grid member(s) of the request's grid and the two secretaries of its village."""
    area = await area_of(request.area_id)
    grid = await ancestor_at(area, "grid")
    village = await ancestor_at(area, "village")
    people = await people_with_role(grid, *HANDLERS_OF_GRID) + await people_with_role(village, *HANDLERS_OF_VILLAGE)
    people += await _given_at_village(request)
    return list({p.id: p for p in people if p.userid}.values())


async def _given_at_village(request: Request) -> list[Person]:
    """Whom the village tier gave the matter to (handlers/village: the 值班 of that shift among them)."""
    stage = await TicketEvent.filter(request_id=request.id, kind="at_village").order_by("id").first()
    userids = list(stage.data.get("userids", [])) if stage else []
    return list(await Person.filter(userid__in=userids)) if userids else []


async def place_words(request: Request) -> str:
    """屯 and 村 a cadre recognises, e.g. 后道老村三屯3网格."""
    area = await area_of(request.area_id)
    chain = [a for a in reversed(await ancestors(area)) if a.level in ("village", "hamlet", "grid")]
    return "".join(a.name for a in chain)


async def who_words(request: Request) -> str:
    person = await Person.get_or_none(id=request.sender_id) if request.sender_id else None
    household = await Household.get_or_none(id=request.household_id) if request.household_id else None
    if person is not None:
        return person.name
    return f"{household.head}户" if household else "村民"


async def _description(services: Services, request: Request, urged: bool) -> str:
    """The villager's words; after 不满意, why they were not satisfied first."""
    text = mask_private(request.text)[:200]
    reopened = await TicketEvent.filter(request_id=request.id, kind="reopened").order_by("-id").first()
    if urged and reopened is not None and reopened.reason:
        return services.texts.render(
            "requests.village.card_unsatisfied", reason=mask_private(reopened.reason), text=text
        )
    return text


async def send_village_card(services: Services, request: Request, *, urged: bool = False) -> int:
    """The card with 办结 / 上报乡镇; a reopened (督办) matter gets a fresh card marked as such."""
    texts = services.texts
    rounds = await TicketEvent.filter(request_id=request.id, kind="reopened").count()
    title_key = "requests.village.card_title_urged" if urged else "requests.village.card_title"
    card = Card(
        task_id=f"village-{request.id}-{rounds}",
        title=texts.render(title_key, number=request.number),
        description=await _description(services, request, urged),
        fields=(
            (texts.render("requests.village.card_who"), await who_words(request)),
            (texts.render("requests.village.card_where"), await place_words(request)),
        ),
        buttons=(
            Button(key=str(VillageKey("close", request.id)), text=texts.render("requests.village.button_close")),
            Button(
                key=str(VillageKey("escalate", request.id)),
                text=texts.render("requests.village.button_escalate"),
                style=2,
            ),
        ),
    )
    userids = [p.userid for p in await village_handlers(request) if p.userid]
    return await services.reach.people(
        userids, card=card, urgent=request.urgency == "urgent", dedupe_key=f"request:{request.id}:village-card:{rounds}"
    )


async def village_request_for(
    person: Person | None, request_id: int | None = None, number: int | None = None
) -> Request:
    """The kept-in-grid request a village cadre acts on; refuses a matter outside their village."""
    request = await (
        Request.get_or_none(id=request_id) if request_id is not None else Request.get_or_none(number=number)
    )
    if request is None:
        raise UserError("requests.village.unknown", number=number or "")
    handlers = await village_handlers(request)
    if person is None or person.id not in {p.id for p in handlers}:
        raise UserError("requests.village.not_yours", number=request.number)
    return request


async def settle_village_cards(
    services: Services, request: Request, label: str, *, click: tuple[str, str] = ("", "")
) -> int:
    """The buttons of every village card of the matter (the grid's 办结 / 上报乡镇 card, its latest round, and the
    village tier's 村办结 / 上报乡镇 card) give way to `label` — for each person, whose card and code are their own.
    click: (userid, response_code) of the button that was pressed, which updates the presser's card. How many
    cards were updated (a card whose code is spent or too old stays as it was: the text they get says it)."""
    rounds = await TicketEvent.filter(request_id=request.id, kind="reopened").count()
    tier = await TicketEvent.filter(request_id=request.id, kind="at_village").order_by("id").first()
    sent = [(f"village-{request.id}-{rounds}", f"request:{request.id}:village-card:{rounds}")]
    if tier is not None:
        sent.append((f"village-tier-{request.id}", f"village-tier:{request.id}:card"))
    # Each person's card was queued as `<key>:<userid>` (reach.people): look up exactly those keys (an index read).
    people = [p.userid for p in await village_handlers(request) if p.userid]
    keys = {f"{key}:{userid}": task_id for task_id, key in sent for userid in people}
    clicker, click_code = click
    updated = 0
    for sent_key, userid in await OutboxMessage.filter(dedupe_key__in=list(keys)).values_list("dedupe_key", "target"):
        updated += await update_card(
            services,
            [str(userid)],
            task_id=keys[str(sent_key)],
            click_code=click_code if userid == clicker else "",
            replace_name=label,
            sent_key=str(sent_key),
        )
    return updated


async def escalate(services: Services, request: Request, actor: Person, reason: str) -> None:
    """上报乡镇: the township committee is told and whistles it like any other recorded request."""
    now = services.clock.now()
    escalated = Event("escalated", request=request, actor=actor, reason=reason)
    if not await move_request(request, RequestState.RECORDED, now, only_from=HANDLED_BY_VILLAGE, event=escalated):
        return  # another cadre escalated or closed it a moment ago
    area = await area_of(request.area_id)
    township = await ancestor_at(area, "township")
    committee = [p.userid for p in await people_with_role(township, "township_committee") if p.userid]
    text = texts_escalated(services, request, actor, reason, await place_words(request))
    await services.reach.people(committee, text=text, dedupe_key=f"request:{request.id}:escalated:{now.isoformat()}")
    if request.primary not in NOT_COUNTY:  # a county department's matter: the township's confirmation card
        await whistle_request(services, request)


def texts_escalated(services: Services, request: Request, actor: Person, reason: str, place: str) -> str:
    return services.texts.render(
        "requests.village.township_notice",
        number=request.number,
        place=place,
        text=mask_private(request.text),
        cadre=actor.name,
        reason=reason or "—",
    )
