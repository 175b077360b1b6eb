"""The performance index computed: each village's points per criterion, category and in all; its rank in the
township and the county; each star-rated cadre's post score, star score, stars and subsidy basis.

How a criterion is scored (config/index_file.py): the township's newest confirmed score, the figure through
its rule, or both added. A score the township has not given yet counts 0 and is listed as missing; a figure
with nothing to judge yet (暂无) counts 0 as well.
A cadre's post score is what the village earned on the criteria tied to their post plus the township's score
of the person (when the index gives `[stars] person_points`), as a share of those criteria's points plus
person_points, on a scale of 100; a person's score not given yet counts 0. A post with neither takes the
village score. A person holding two star-rated posts brings the one score of them to both. The star score
is post_share × post score + (1 − post_share) × village score (the village's total on a scale of 100).
Villages with equal totals share a rank (1, 2, 2, 4).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from config.index_file import Criterion, Index
from config.policy import Policy
from config.village_posts import read_village_posts
from models.area_tree import AreaTree
from models.index_figures import VillageFigures, village_figures
from models.performance import IndexScore, confirmed_townships, current_person_scores, current_scores
from models.posts import PostHolder


@dataclass(frozen=True)
class CriterionResult:
    criterion: Criterion
    points: float
    figure: float | None = None
    figure_points: float = 0.0
    township: IndexScore | None = None

    @property
    def missing(self) -> bool:
        """The township has not scored a criterion it should."""
        return self.criterion.scored_by != "figure" and self.township is None


@dataclass
class VillageResult:
    village_id: int
    name: str
    code: str
    township: str
    township_id: int | None
    results: dict[str, CriterionResult] = field(default_factory=dict)  # by criterion code
    rank_county: int = 0
    rank_township: int = 0
    final: bool = False  # the township confirmed the year's results

    @property
    def total(self) -> float:
        return round(sum(r.points for r in self.results.values()), 2)

    def category(self, code: str) -> float:
        return round(sum(r.points for r in self.results.values() if r.criterion.category == code), 2)

    def percent(self, index: Index) -> float:
        return round(100 * self.total / index.points, 2) if index.points else 0.0

    @property
    def missing(self) -> list[Criterion]:
        return [r.criterion for r in self.results.values() if r.missing]


@dataclass(frozen=True)
class CadreResult:
    person_id: int
    name: str
    userid: str
    village_id: int
    post: str  # post code
    post_name: str
    post_score: float  # of 100
    village_score: float  # of 100
    score: float  # the star score
    stars: int
    subsidy: float
    weak: tuple[CriterionResult, ...]  # the post's criteria short of full points, most missed first
    person: IndexScore | None = None  # the township's current score of the person
    person_points: float = 0.0  # its points (0 while not given); of index.person_points


@dataclass
class Standing:
    index: Index
    villages: dict[int, VillageResult]
    cadres: list[CadreResult]
    figures: dict[int, VillageFigures]

    def ranked(self, township_id: int | None = None) -> list[VillageResult]:
        rows = [v for v in self.villages.values() if township_id is None or v.township_id == township_id]
        return sorted(rows, key=lambda v: (-v.total, v.township, v.code))


def score_village(index: Index, figures: VillageFigures, scores: dict[str, IndexScore]) -> dict[str, CriterionResult]:
    """{criterion code: its result} for one village, from its figures and the township's current scores."""
    results = {}
    for criterion in index.criteria:
        value = figures.values.get(criterion.figure) if criterion.figure else None
        from_figure = criterion.figure_score(value) if criterion.scored_by != "township" else 0.0
        given = scores.get(criterion.code) if criterion.scored_by != "figure" else None
        points = from_figure + (given.points if given is not None else 0.0)
        results[criterion.code] = CriterionResult(criterion, round(points, 2), value, from_figure, given)
    return results


def _rank(rows: list[VillageResult]) -> list[int]:
    """Competition ranks on the totals: equal totals share a rank, the next rank skips."""
    ordered = sorted(rows, key=lambda v: -v.total)
    ranks: dict[int, int] = {}
    for place, row in enumerate(ordered, 1):
        ranks[row.village_id] = (
            place if place == 1 or row.total != ordered[place - 2].total else ranks[ordered[place - 2].village_id]
        )
    return [ranks[r.village_id] for r in rows]


def post_score(
    index: Index, results: dict[str, CriterionResult], post: str, village_score: float, person_points: float = 0.0
) -> float:
    tied = [r for r in results.values() if r.criterion.post == post]
    possible = sum(r.criterion.points for r in tied) + index.person_points
    if not possible:
        return village_score
    return round(100 * (sum(r.points for r in tied) + person_points) / possible, 2)


def rate_cadre(
    index: Index, village: VillageResult, holder: PostHolder, person: IndexScore | None = None
) -> CadreResult:
    posts = read_village_posts()
    village_score = village.percent(index)
    given = person.points if person is not None and index.person_points else 0.0
    own = post_score(index, village.results, holder.post, village_score, given)
    score = round(index.post_share * own + (1 - index.post_share) * village_score, 2)
    stars = index.stars(score)
    weak = sorted(
        (r for r in village.results.values() if r.criterion.post == holder.post and r.points < r.criterion.points),
        key=lambda r: (r.points - r.criterion.points, r.criterion.code),
    )
    found = posts.find(holder.post)
    return CadreResult(
        holder.person_id,
        holder.person.name,
        holder.person.userid or "",
        village.village_id,
        holder.post,
        found.name if found else holder.post,
        own,
        village_score,
        score,
        stars,
        index.subsidy(holder.post, stars),
        tuple(weak),
        person if index.person_points else None,
        given,
    )


async def standing(index: Index, policy: Policy, now: datetime, tree: AreaTree | None = None) -> Standing:
    """The whole county's standing for the index's year, as of `now`."""
    tree = tree or await AreaTree.load()
    figures = await village_figures(policy, index.year, now, tree)
    scores = await current_scores(index.year)
    by_village: dict[int, dict[str, IndexScore]] = {}
    for (village_id, code), score in scores.items():
        by_village.setdefault(village_id, {})[code] = score
    final = await confirmed_townships(index.year)
    villages: dict[int, VillageResult] = {}
    for area in tree.areas.values():
        if area.level != "village":
            continue
        township = tree.township_of(area.id)
        result = VillageResult(
            area.id, area.name, area.code, township.name if township else "", township.id if township else None
        )
        result.results = score_village(index, figures[area.id], by_village.get(area.id, {}))
        result.final = result.township_id in final
        villages[area.id] = result
    rows = list(villages.values())
    for row, rank in zip(rows, _rank(rows), strict=True):
        row.rank_county = rank
    for township_id in {r.township_id for r in rows}:
        group = [r for r in rows if r.township_id == township_id]
        for row, rank in zip(group, _rank(group), strict=True):
            row.rank_township = rank
    star_rated = {p.code for p in read_village_posts().star_rated}
    holders = await PostHolder.filter(post__in=star_rated).prefetch_related("person").order_by("village_id", "id")
    people = await current_person_scores(index.year)
    cadres = [
        rate_cadre(index, villages[h.village_id], h, people.get((h.village_id, h.person_id)))
        for h in holders
        if h.village_id in villages
    ]
    return Standing(index, villages, cadres, figures)
