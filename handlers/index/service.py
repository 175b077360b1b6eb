"""Who may score or read which village, and the standing and stars as texts."""

from __future__ import annotations

from dataclasses import dataclass

from config.errors import UserError
from config.index_file import Index, number
from config.policy import Policy
from config.texts import Texts
from config.village_posts import read_village_posts
from handlers.core.context import Context
from models import Area, Person
from models.area_tree import AreaTree
from models.index_standing import CadreResult, Standing, VillageResult
from models.posts import PostHolder


def index_of(ctx: Context) -> Index:
    """The year's index; a polite answer when the county set none ([index] file)."""
    if ctx.services.index is None:
        raise UserError("index.none")
    return ctx.services.index


def scorer_roles(policy: Policy) -> tuple[str, ...]:
    """Who scores villages and their cadres, for their own township ([index] scorer_roles in the policy)."""
    return tuple(policy.index.scorer_roles)


def townships_of(ctx: Context, tree: AreaTree, roles: tuple[str, ...]) -> set[int]:
    found = set()
    for role in ctx.roles_named(*roles):
        township = tree.township_of(role.area_id)
        if township is not None:
            found.add(township.id)
    return found


def find_village(tree: AreaTree, word: str) -> Area | None:
    word = word.strip()
    return next((a for a in tree.areas.values() if a.level == "village" and word in (a.name, a.code)), None)


@dataclass(frozen=True)
class Cadre:
    person: Person
    posts: str  # the names of their star-rated posts in the village, 、-joined


async def find_cadre(village: Area, word: str) -> Cadre | None:
    """The village's holder of a star-rated post named by `word` (their name or userid); two people of one
    name are asked to be told apart by userid."""
    posts = read_village_posts()
    rated = {p.code: p.name for p in posts.star_rated}
    word = word.strip()
    rows = (
        await PostHolder.filter(village_id=village.id, post__in=list(rated)).order_by("id").prefetch_related("person")
    )
    found: dict[int, list[PostHolder]] = {}
    for row in rows:
        if word in (row.person.name, row.person.userid):
            found.setdefault(row.person_id, []).append(row)
    if len(found) > 1:
        userids = "、".join(rows_[0].person.userid or "" for rows_ in found.values())
        raise UserError("index.two_people", village=village.name, count=len(found), name=word, userids=userids)
    if not found:
        return None
    (held,) = found.values()
    return Cadre(held[0].person, "、".join(rated[h.post] for h in held))


def may_read(ctx: Context, tree: AreaTree, village: Area) -> bool:
    """The county, the village's township, and the village's own cadres."""
    policy = ctx.services.policy
    if ctx.has_role(*policy.index.county_roles):
        return True
    township = tree.township_of(village.id)
    if township is not None and township.id in townships_of(ctx, tree, scorer_roles(policy)):
        return True
    return any(tree.within(r.area_id, village.id) for r in ctx.roles_named(*policy.index.reader_roles))


def standing_lines(texts: Texts, standing: Standing, village: VillageResult) -> list[str]:
    index = standing.index
    township_count = len(standing.ranked(village.township_id))
    lines = [
        texts.render(
            "index.standing_header",
            village=village.name,
            title=index.title,
            total=number(village.total),
            most=number(index.points),
            rank_township=village.rank_township,
            townships=township_count,
            township=village.township,
            rank_county=village.rank_county,
            villages=len(standing.villages),
        )
    ]
    lines += [
        texts.render(
            "index.standing_category",
            name=c.name,
            points=number(village.category(c.code)),
            most=number(c.points),
        )
        for c in index.categories
    ]
    missing = village.missing
    if missing:
        lines.append(
            texts.render("index.standing_missing", count=len(missing), codes="、".join(c.code for c in missing[:8]))
        )
    lines.append(texts.render("index.final" if village.final else "index.not_final"))
    return lines


def stars_lines(texts: Texts, index: Index, cadre: CadreResult) -> list[str]:
    lines = [
        texts.render(
            "index.stars_line",
            post=cadre.post_name,
            stars="★" * cadre.stars + "☆" * (5 - cadre.stars),
            count=cadre.stars,
            score=number(cadre.score),
            post_score=number(cadre.post_score),
            village_score=number(cadre.village_score),
            subsidy=number(cadre.subsidy),
        )
    ]
    if index.person_points:
        most = number(index.person_points)
        lines.append(
            texts.render("index.stars_person", points=number(cadre.person_points), most=most)
            if cadre.person is not None
            else texts.render("index.stars_person_missing", most=most)
        )
    above = [t for t in index.thresholds if t > cadre.score]
    if above:
        lines.append(texts.render("index.stars_next", gap=number(above[0] - cadre.score), next=cadre.stars + 1))
        lines += [
            texts.render(
                "index.stars_weak",
                code=r.criterion.code,
                name=r.criterion.name,
                points=number(r.points),
                most=number(r.criterion.points),
            )
            for r in cadre.weak[:3]
        ]
        if not cadre.weak:
            lines.append(texts.render("index.stars_village_only"))
    else:
        lines.append(texts.render("index.stars_top"))
    return lines
