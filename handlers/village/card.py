"""The village tier's card: the matter, where it would go, and 当天; buttons 村办结 / 上报乡镇 (the village card's own
keys, `village:<close|escalate>:<request id>`, so a tap or the typed words act alike: handlers/requests/village)."""

from __future__ import annotations

from datetime import datetime

from bot.channels.types import Button, Card
from handlers.common.format import stamp
from handlers.common.privacy import mask_private
from handlers.core.context import Services
from handlers.requests.village.service import VillageKey, place_words, who_words
from models import Request
from models.area_cache import departments_by_code


async def departments_words(request: Request) -> str:
    codes = [c for c in dict.fromkeys([request.primary, *request.also]) if c]
    names = {c: d.name for c, d in (await departments_by_code(codes)).items()}
    return "、".join(names[c] for c in codes if c in names)


async def send_tier_card(services: Services, request: Request, userids: list[str], due: datetime) -> int:
    """One card to each of the village's people; once per person and matter."""
    texts = services.texts
    card = Card(
        task_id=f"village-tier-{request.id}",
        title=texts.render("village.card_title", number=request.number),
        description=mask_private(request.text)[:200],
        fields=(
            (texts.render("village.card_who"), await who_words(request)),
            (texts.render("village.card_where"), await place_words(request)),
            (texts.render("village.card_departments"), await departments_words(request)),
            (texts.render("village.card_due"), stamp(due)),
        ),
        buttons=(
            Button(key=str(VillageKey("close", request.id)), text=texts.render("village.button_close")),
            Button(key=str(VillageKey("escalate", request.id)), text=texts.render("village.button_up"), style=2),
        ),
    )
    return await services.reach.people(userids, card=card, dedupe_key=f"village-tier:{request.id}:card")
