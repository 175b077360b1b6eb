"""The card that asks a household to rate a resolved request, and its buttons' key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from bot.channels.types import Button, Card
from handlers.common.format import summary
from handlers.core.card_keys import CardKey
from handlers.core.context import Services
from models import Request

Rating = Literal["satisfied", "basically_satisfied", "unsatisfied"]
RATINGS: tuple[Rating, ...] = ("satisfied", "basically_satisfied", "unsatisfied")


@dataclass(frozen=True)
class RateKey(CardKey):
    """A rating button: `rate:<the household's request id>:<rating>`."""

    scheme: ClassVar[str] = "rate"
    request_id: int
    rating: Rating


def rating_card(services: Services, reporter: Request, main: Request) -> Card:
    texts = services.texts
    return Card(
        task_id=f"rate-{reporter.id}-{int(services.clock.now().timestamp())}",
        title=texts.render("requests.rate.card_title", number=main.number),
        description=summary(main.text, 60),
        buttons=tuple(
            Button(key=str(RateKey(reporter.id, rating)), text=texts.render(f"requests.rate.button.{rating}"))
            for rating in RATINGS
        ),
    )
