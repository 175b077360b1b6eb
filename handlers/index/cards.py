"""The cards of the index: a township score to confirm (确认 / 取消), and the year's results to confirm."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from bot.channels.types import Button, Card
from config.index_file import Criterion, number
from config.texts import Texts
from handlers.common.format import stamp
from handlers.core.card_keys import CardKey
from models import Area, IndexScore


@dataclass(frozen=True)
class ScoreKey(CardKey):
    """A score's card: `iscore:<confirm|cancel>:<score id>`."""

    scheme: ClassVar[str] = "iscore"
    action: Literal["confirm", "cancel"]
    score_id: int


@dataclass(frozen=True)
class FinalKey(CardKey):
    """The year-end card to a township committee member: `ifinal:<year>:<township id>`."""

    scheme: ClassVar[str] = "ifinal"
    year: int
    township_id: int


def score_task_id(score: IndexScore) -> str:
    return f"gw-iscore-{score.id}"


@dataclass(frozen=True)
class Scored:
    """What a score is given on: a criterion of the village, or a person (`posts` their star-rated posts)."""

    criterion: Criterion | None = None
    person_name: str = ""
    posts: str = ""
    person_most: float = 0.0


def score_card(texts: Texts, score: IndexScore, village: Area, what: Scored, current: IndexScore | None) -> Card:
    """What the scorer confirms; a correction shows the score it replaces, so nothing changes unseen."""
    points = number(score.points)
    if what.criterion is not None:
        target = (texts.render("index.field_criterion"), f"{what.criterion.code} {what.criterion.name}")
        shown = texts.render("index.points_of", points=points, most=number(what.criterion.township_points))
    else:
        target = (
            texts.render("index.field_person"),
            texts.render("index.person_of", name=what.person_name, posts=what.posts),
        )
        shown = texts.render("index.person_points_of", points=points, most=number(what.person_most))
    fields = [(texts.render("index.field_village"), village.name), target, (texts.render("index.field_points"), shown)]
    if current is not None:
        fields.append(
            (
                texts.render("index.field_replaces"),
                texts.render(
                    "index.replaces",
                    points=number(current.points),
                    author=current.author_name,
                    at=stamp(current.confirmed_at or current.created_at),
                ),
            )
        )
    if score.note:
        fields.append((texts.render("index.field_note"), score.note))
    return Card(
        task_id=score_task_id(score),
        title=texts.render("index.card_title" if current is None else "index.card_title_correction"),
        fields=tuple(fields),
        buttons=(
            Button(str(ScoreKey("confirm", score.id)), texts.render("index.button_confirm"), 1),
            Button(str(ScoreKey("cancel", score.id)), texts.render("index.button_cancel"), 2),
        ),
    )


def final_card(texts: Texts, year: int, township: Area, lines: list[str]) -> Card:
    return Card(
        task_id=f"gw-ifinal-{year}-{township.id}",
        title=texts.render("index.final_title", year=year, township=township.name),
        description="\n".join(lines)[:500],
        buttons=(Button(str(FinalKey(year, township.id)), texts.render("index.button_final"), 1),),
    )
