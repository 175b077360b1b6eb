"""Duty rosters (值班表): who leads (带班) and who is on duty (值班) in a township or village, by day and shift;
and the county's switches for how matters travel (the village tier, 村级吹哨)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from models.areas import Area
    from models.people import Person

SHIFTS = ("day", "night")  # 白班 starts the day; 夜班 runs from its start to the next day's 白班 ([shifts] policy)
POSTS = ("lead", "duty")  # 带班, 值班


class DutySlot(Model):
    """One post of one shift of one day in one township or village, and who holds it.

    (area, day, shift, post) is unique: a roster sheet or `值班 排班` replaces the holder, never adds a second."""

    id = fields.BigIntField(primary_key=True)
    area: fields.ForeignKeyRelation[Area] = fields.ForeignKeyField(
        "models.Area", related_name="duty_slots", on_delete=fields.CASCADE
    )
    area_id: int
    day = fields.DateField(db_index=True)
    shift = fields.CharField(max_length=8)  # one of SHIFTS
    post = fields.CharField(max_length=8)  # one of POSTS
    person: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="duty_slots", on_delete=fields.CASCADE
    )
    person_id: int
    updated_at = fields.DatetimeField()

    class Meta:
        table = "duty_slot"
        unique_together = (("area", "day", "shift", "post"),)


class CountySetting(Model):
    """A county's switches from its org file's `[county]` table; one row per county, written by every load.

    `village_tier`: matters for county departments that are not urgent go to the village first (村办结 or
    上报乡镇); off, they go straight to the township's confirmation card."""

    id = fields.IntField(primary_key=True)
    county: fields.OneToOneRelation[Area] = fields.OneToOneField(
        "models.Area", related_name="county_setting", on_delete=fields.CASCADE
    )
    county_id: int
    village_tier = fields.BooleanField(default=False)
    updated_at = fields.DatetimeField()

    class Meta:
        table = "county_setting"
