"""Who answers for an item or a step in a village: the holders of its post (models/posts.py), and who hears a
failure warning (the post's holders, the village secretary, the township's roles named by the list)."""

from __future__ import annotations

from config.village_posts import read_village_posts
from models import Area, Person
from models.posts import holders
from models.request_queries import ancestor_at, people_with_role

SECRETARY = "secretary"


def post_name(code: str) -> str:
    found = read_village_posts().find(code)
    return found.name if found else code


async def village_of(area: Area | None) -> Area | None:
    return await ancestor_at(area, "village")


async def warned_people(village: Area, post: str, township_roles: tuple[str, ...]) -> list[Person]:
    """The post's holders, the village secretary, then the township's people with the list's roles; each once."""
    township = await ancestor_at(village, "township")
    found = [
        *await holders(village.id, post),
        *await holders(village.id, SECRETARY),
        *await people_with_role(township, *township_roles),
    ]
    return list({person.id: person for person in found}.values())


def names(people: list[Person]) -> str:
    return "、".join(p.name for p in people)
