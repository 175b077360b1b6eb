"""Who holds which village post (职务: 书记, 村委会主任, 民兵连长 …, config/village_posts.toml)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from config.village_posts import read_village_posts

if TYPE_CHECKING:
    from models.areas import Area
    from models.people import Person


class PostHolder(Model):
    """A person holding a post of a village; one person may hold several (书记 and 村委会主任, 一肩挑)."""

    id = fields.IntField(primary_key=True)
    person: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="posts", on_delete=fields.CASCADE
    )
    person_id: int
    village: fields.ForeignKeyRelation[Area] = fields.ForeignKeyField(
        "models.Area", related_name="post_holders", on_delete=fields.RESTRICT
    )
    village_id: int
    post = fields.CharField(max_length=32)  # a code of config/village_posts.toml

    class Meta:
        table = "post_holder"
        unique_together = (("person", "village", "post"),)


async def holders(village_id: int, post: str) -> list[Person]:
    """The people holding `post` in the village, in the order they were written."""
    rows = await PostHolder.filter(village_id=village_id, post=post).order_by("id").prefetch_related("person")
    return [row.person for row in rows]


async def post_names(person_ids: list[int]) -> dict[int, list[str]]:
    """{person id: the names of their posts}, for showing a cadre's 职务 beside their role."""
    posts = read_village_posts()
    names: dict[int, list[str]] = {}
    for row in await PostHolder.filter(person_id__in=person_ids).order_by("id"):
        found = posts.find(row.post)
        names.setdefault(row.person_id, []).append(found.name if found else row.post)
    return names
