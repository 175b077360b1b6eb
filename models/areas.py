"""The county's area tree and the departments that act on requests."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

AREA_LEVELS = ("county", "township", "village", "hamlet", "grid")


class Area(Model):
    """One node of county › township › village › hamlet › grid; `code` is the org file's key."""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=64, unique=True)
    name = fields.CharField(max_length=64)
    level = fields.CharField(max_length=16)  # one of AREA_LEVELS
    parent: fields.ForeignKeyNullableRelation[Area] = fields.ForeignKeyField(
        "models.Area", related_name="children", null=True, on_delete=fields.RESTRICT
    )
    parent_id: int | None

    class Meta:
        table = "area"

    def __str__(self) -> str:
        return self.name


class Department(Model):
    """A county department (or `village`, the village's own cadres); `code` is the routing table's key."""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=32, unique=True)
    name = fields.CharField(max_length=64)
    short_names: fields.JSONField[list[str]] = fields.JSONField(default=list)

    class Meta:
        table = "department"

    def __str__(self) -> str:
        return self.name
