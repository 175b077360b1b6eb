"""The township's scores of the performance index (绩效指数) and its year-end confirmation.

Append-only: a score is never changed or deleted. A correction is a new row naming the one it corrects, so
the trail keeps every author, time and note; the current score of a criterion is its newest confirmed row.
A score typed in chat waits for its card's 确认 (`confirmed_at` is set once, by IndexScore.confirm); one
imported from a sheet is confirmed as it is written.

A score may be the township's score of a person (a cadre holding a star-rated post) rather than of a village
on a criterion: its `person` is set and its criterion is PERSON; it enters that person's post score (the
index file's `[stars] person_points`). Each (village, criterion, person) has its own trail.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from models.areas import Area
    from models.people import Person


PERSON = "@person"  # the criterion of a person's score: no code of an index file starts with @


class IndexScore(Model):
    id = fields.IntField(primary_key=True)
    year = fields.IntField(db_index=True)
    village: fields.ForeignKeyRelation[Area] = fields.ForeignKeyField(
        "models.Area", related_name="index_scores", on_delete=fields.RESTRICT
    )
    village_id: int
    criterion = fields.CharField(max_length=32)  # a criterion code of the year's index file
    points = fields.FloatField()
    note = fields.TextField(default="")
    author: fields.ForeignKeyNullableRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="index_scores", null=True, on_delete=fields.SET_NULL
    )
    author_id: int | None
    author_name = fields.CharField(max_length=64, default="")  # kept when the person is erased
    source = fields.CharField(max_length=8, default="chat")  # chat | sheet
    created_at = fields.DatetimeField()
    confirmed_at = fields.DatetimeField(null=True)
    corrects: fields.ForeignKeyNullableRelation[IndexScore] = fields.ForeignKeyField(
        "models.IndexScore", related_name="corrected_by", null=True, on_delete=fields.RESTRICT
    )
    corrects_id: int | None
    person: fields.ForeignKeyNullableRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="index_person_scores", null=True, on_delete=fields.RESTRICT
    )
    person_id: int | None
    person_name = fields.CharField(max_length=64, default="")  # as the trail showed it when scored

    class Meta:
        table = "index_score"

    async def confirm(self, now: datetime) -> bool:
        """Confirm a waiting score once, naming the score it corrects as of now; False when it was confirmed
        already (a second click). Only a waiting row changes, and only here: confirmed rows are the trail."""
        current = await current_score(self.year, self.village_id, self.criterion, self.person_id)
        corrects = current.id if current is not None else None
        changed = await IndexScore.filter(id=self.id, confirmed_at__isnull=True).update(
            confirmed_at=now, corrects_id=corrects
        )
        if changed:
            self.confirmed_at, self.corrects_id = now, corrects
        return bool(changed)


class IndexConfirmation(Model):
    """A township committee member confirmed the township's villages' results of a year: they are final."""

    id = fields.IntField(primary_key=True)
    year = fields.IntField()
    township: fields.ForeignKeyRelation[Area] = fields.ForeignKeyField(
        "models.Area", related_name="index_confirmations", on_delete=fields.RESTRICT
    )
    township_id: int
    by: fields.ForeignKeyNullableRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="index_confirmations", null=True, on_delete=fields.SET_NULL
    )
    by_id: int | None
    by_name = fields.CharField(max_length=64, default="")
    at = fields.DatetimeField()

    class Meta:
        table = "index_confirmation"
        unique_together = (("year", "township"),)


async def current_score(year: int, village_id: int, criterion: str, person_id: int | None = None) -> IndexScore | None:
    return (
        await IndexScore.filter(
            year=year, village_id=village_id, criterion=criterion, person_id=person_id, confirmed_at__isnull=False
        )
        .order_by("-confirmed_at", "-id")
        .first()
    )


async def add_score(
    year: int,
    village_id: int,
    criterion: str,
    points: float,
    *,
    note: str,
    author: Person | None,
    author_name: str,
    now: datetime,
    source: str,
    confirmed: bool,
    person: Person | None = None,
) -> IndexScore:
    """A new row of the trail: waiting for its card's 确认 (chat), or confirmed at once (a sheet). With
    `person`, the township's score of that person (criterion PERSON)."""
    score = await IndexScore.create(
        person=person,
        person_name=person.name if person is not None else "",
        year=year,
        village_id=village_id,
        criterion=criterion,
        points=points,
        note=note,
        author=author,
        author_name=author_name,
        source=source,
        created_at=now,
    )
    if confirmed:
        await score.confirm(now)
    return score


async def current_scores(year: int, village_ids: list[int] | None = None) -> dict[tuple[int, str], IndexScore]:
    """{(village id, criterion): its newest confirmed score} of `year`; the villages', not the persons'."""
    query = IndexScore.filter(year=year, confirmed_at__isnull=False, person_id__isnull=True)
    if village_ids is not None:
        query = query.filter(village_id__in=village_ids)
    found: dict[tuple[int, str], IndexScore] = {}
    for row in await query.order_by("confirmed_at", "id"):
        found[(row.village_id, row.criterion)] = row
    return found


async def current_person_scores(year: int) -> dict[tuple[int, int], IndexScore]:
    """{(village id, person id): the township's newest confirmed score of the person} of `year`."""
    found: dict[tuple[int, int], IndexScore] = {}
    for row in await IndexScore.filter(year=year, confirmed_at__isnull=False, person_id__isnull=False).order_by(
        "confirmed_at", "id"
    ):
        found[(row.village_id, row.person_id)] = row  # type: ignore[index]  # not null: filtered
    return found


async def trail(year: int, village_ids: list[int] | None = None) -> list[IndexScore]:
    """Every confirmed score of `year`, oldest first (corrections included): the report's evidence."""
    query = IndexScore.filter(year=year, confirmed_at__isnull=False)
    if village_ids is not None:
        query = query.filter(village_id__in=village_ids)
    return await query.order_by("confirmed_at", "id")


async def confirmed_townships(year: int) -> dict[int, IndexConfirmation]:
    return {c.township_id: c for c in await IndexConfirmation.filter(year=year)}
