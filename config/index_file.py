"""The year's performance index (绩效指数) as data: categories → items → criteria, the star thresholds, the
subsidy table and when the standing is told (the file named by the settings' `[index] file`).

Read and checked here, so a mistake names its file and line (config/toml_lines.py): an unknown figure, a
rule that gives more than the criterion's points, a post that is not in config/village_posts.toml.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from config.errors import ConfigError
from config.texts import shown
from config.toml_lines import line_of
from config.village_posts import read_village_posts

SCORED_BY = ("township", "figure", "both")
# The figures the product computes per village (models/index_figures.py); rates are fractions 0..1.
FIGURES = (
    "response_rate",
    "resolution_rate",
    "on_time_rate",
    "satisfaction_rate",
    "requests_per_100_households",
    "kept_in_village_share",
    "tasks_registered_share",
    "tasks_done_share",
    "care_visit_rate",
)
_CODE = re.compile(r"[a-z0-9][a-z0-9_]{0,31}")
_TOP_KEYS = ("year", "title", "stars", "subsidy", "tell", "category")
_CRITERION_KEYS = ("code", "name", "points", "scored_by", "figure", "rule", "post")
_STARS_KEYS = ("post_share", "thresholds", "person_points")
_MONTH_DAY = re.compile(r"(\d\d)-(\d\d)")


@dataclass(frozen=True)
class Step:
    """One step of a rule: the figure at least (or at most) `bound` gives `points`."""

    bound: float
    at_least: bool
    points: float

    def holds(self, value: float) -> bool:
        return value >= self.bound if self.at_least else value <= self.bound


@dataclass(frozen=True)
class Criterion:
    code: str
    name: str
    points: float
    scored_by: str  # one of SCORED_BY
    figure: str = ""
    rule: tuple[Step, ...] = ()
    post: str = ""  # a village post code; "" when the criterion is the whole village's
    category: str = ""  # the category's code
    item: str = ""  # the item's code

    @property
    def figure_points(self) -> float:
        """The most the figure can give (the rest, for `both`, is the township's)."""
        return max((s.points for s in self.rule), default=0.0)

    @property
    def township_points(self) -> float:
        """The most the township can give on this criterion (0 when only a figure scores it)."""
        if self.scored_by == "figure":
            return 0.0
        return self.points - (self.figure_points if self.scored_by == "both" else 0.0)

    def figure_score(self, value: float | None) -> float:
        """The rule applied to the figure; a figure with nothing to judge yet (None) gives 0."""
        if value is None:
            return 0.0
        return next((s.points for s in self.rule if s.holds(value)), 0.0)


@dataclass(frozen=True)
class Item:
    code: str
    name: str
    criteria: tuple[Criterion, ...]

    @property
    def points(self) -> float:
        return sum(c.points for c in self.criteria)


@dataclass(frozen=True)
class Category:
    code: str
    name: str
    items: tuple[Item, ...]

    @property
    def points(self) -> float:
        return sum(i.points for i in self.items)

    @property
    def criteria(self) -> tuple[Criterion, ...]:
        return tuple(c for i in self.items for c in i.criteria)


@dataclass(frozen=True)
class Tell:
    monthly_day: int = 5
    hour: int = 9
    confirm_month: int = 12
    confirm_day: int = 31


@dataclass(frozen=True)
class Index:
    year: int
    title: str
    categories: tuple[Category, ...]
    post_share: float  # the post score's share of a cadre's star score; the village's is the rest
    thresholds: tuple[float, ...]  # four ascending scores: reaching the n-th gives n + 1 stars
    subsidy_base: dict[str, float]  # post code → yearly base
    default_base: float
    factors: tuple[float, ...]  # one per star, 1 to 5
    tell: Tell
    person_points: float = 0.0  # the most the township gives a person towards their post score; 0: no such scores

    @property
    def criteria(self) -> tuple[Criterion, ...]:
        return tuple(c for cat in self.categories for c in cat.criteria)

    @property
    def points(self) -> float:
        return sum(c.points for c in self.categories)

    def find(self, word: str) -> Criterion | None:
        """A criterion by its code or its exact name."""
        word = word.strip()
        return next((c for c in self.criteria if word in (c.code, c.name)), None)

    def stars(self, score: float) -> int:
        return 1 + sum(round(score, 2) >= t for t in self.thresholds)

    def subsidy(self, post: str, stars: int) -> float:
        """The subsidy basis: the post's base times the factor of its stars (a table, not an expression)."""
        return round(self.subsidy_base.get(post, self.default_base) * self.factors[stars - 1], 2)

    def shape(self) -> str:
        items = sum(len(c.items) for c in self.categories)
        return f"{len(self.categories)} 类 {items} 项 {len(self.criteria)} 条, 满分 {number(self.points)}"


def number(value: float) -> str:
    """3.0 → "3", 2.5 → "2.5": points as a person writes them."""
    return f"{round(value, 2):g}"


class _Problems:
    def __init__(self, file: str, text: str) -> None:
        self.file, self.text, self.found = file, text, list[str]()

    def add(self, path: tuple[str | int, ...], message: str) -> None:
        self.found.append(f"{self.file}:{line_of(self.text, path)}: {message}")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _rule(raw: Any, at: tuple[str | int, ...], problems: _Problems) -> tuple[Step, ...]:
    if not isinstance(raw, list) or not raw:
        problems.add((*at, "rule"), "rule should be a list like [{ at_least = 0.9, points = 3 }, …]")
        return ()
    steps = []
    for step in raw:
        bound_keys = [k for k in ("at_least", "at_most") if isinstance(step, dict) and k in step]
        if (
            not isinstance(step, dict)
            or len(bound_keys) != 1
            or set(step) - {"at_least", "at_most", "points"}
            or not _is_number(step.get(bound_keys[0]))
            or not _is_number(step.get("points"))
            or step["points"] < 0
        ):
            problems.add((*at, "rule"), f"rule step {step!r} should be {{ at_least = N, points = P }} or at_most")
            continue
        steps.append(Step(float(step[bound_keys[0]]), bound_keys[0] == "at_least", float(step["points"])))
    return tuple(steps)


def _criterion(raw: Any, at: tuple[str | int, ...], problems: _Problems, where: tuple[str, str]) -> Criterion | None:
    if not isinstance(raw, dict):
        problems.add(at, "a criterion should be a [[category.item.criterion]] table")
        return None
    for key in raw:
        if key not in _CRITERION_KEYS:
            problems.add((*at, key), f"unknown key {key!r}; keys are {', '.join(_CRITERION_KEYS)}")
    code, name, points, scored_by = raw.get("code"), raw.get("name"), raw.get("points"), raw.get("scored_by")
    ok = True
    if not isinstance(code, str) or not _CODE.fullmatch(code):
        problems.add((*at, "code"), "code should be lower-case letters, digits and _ (like p01)")
        ok = False
    if not isinstance(name, str) or not name.strip():
        problems.add((*at, "name") if "name" in raw else at, "name is missing")
        ok = False
    if not _is_number(points) or float(points) <= 0:  # type: ignore[arg-type]  # a number, just checked
        problems.add((*at, "points") if "points" in raw else at, "points should be a number above 0")
        ok = False
    most = float(points) if ok else 0.0  # type: ignore[arg-type]
    if scored_by not in SCORED_BY:
        problems.add((*at, "scored_by") if "scored_by" in raw else at, f"scored_by should be one of {SCORED_BY}")
        ok = False
    figure, rule = raw.get("figure", ""), tuple[Step, ...]()
    if scored_by in ("figure", "both"):
        if figure not in FIGURES:
            problems.add((*at, "figure") if "figure" in raw else at, f"figure should be one of {', '.join(FIGURES)}")
            ok = False
        rule = _rule(raw.get("rule"), at, problems)
        top = max((step.points for step in rule), default=0.0)
        if most and (top > most or (scored_by == "both" and top >= most)):
            limit = "below" if scored_by == "both" else "at most"
            problems.add((*at, "rule"), f"the rule gives {number(top)}: it should be {limit} points ({points})")
            ok = False
    elif "figure" in raw or "rule" in raw:
        problems.add(
            (*at, "figure" if "figure" in raw else "rule"), 'figure and rule belong to scored_by = "figure" or "both"'
        )
        ok = False
    post = raw.get("post", "")
    if post and (not isinstance(post, str) or read_village_posts().find(post) is None):
        problems.add((*at, "post"), f"post {post!r} is not a code of config/village_posts.toml")
        ok = False
    if not ok:
        return None
    found = read_village_posts().find(post) if post else None
    return Criterion(
        str(code),
        str(name),
        most,
        str(scored_by),
        str(figure),
        rule,
        found.code if found else "",
        *where,
    )


def index_problems(table: dict[str, Any], text: str, file: str) -> tuple[Index | None, list[str]]:
    """The index and every mistake of the file at once, one line each: `file:line: problem`."""
    problems = _Problems(file, text)
    for key in table:
        if key not in _TOP_KEYS:
            problems.add((key,), f"unknown key {key!r}; keys are {', '.join(_TOP_KEYS)}")
    year = table.get("year")
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        problems.add(("year",), "year should be the index's year, like 2026")
    categories: list[Category] = []
    item_no = criterion_no = 0
    seen: dict[str, str] = {}
    raw_categories = table.get("category")
    if not isinstance(raw_categories, list) or not raw_categories:
        problems.add(("category",), "no [[category]] entries")
        raw_categories = []
    for c_no, raw_cat in enumerate(raw_categories):
        at_cat = ("category", c_no)
        items: list[Item] = []
        for i_raw in raw_cat.get("item", []) if isinstance(raw_cat, dict) else []:
            at_item = ("category", "item", item_no)
            item_no += 1
            criteria: list[Criterion] = []
            for raw_crit in i_raw.get("criterion", []) if isinstance(i_raw, dict) else []:
                at = ("category", "item", "criterion", criterion_no)
                criterion_no += 1
                found = _criterion(raw_crit, at, problems, (str(raw_cat.get("code")), str(i_raw.get("code"))))
                if found is None:
                    continue
                for word in (found.code, found.name):
                    if word in seen:
                        problems.add((*at, "code"), f"{word!r} already names criterion {seen[word]}")
                    seen.setdefault(word, found.code)
                criteria.append(found)
            if not isinstance(i_raw, dict) or not i_raw.get("name") or not _CODE.fullmatch(str(i_raw.get("code"))):
                problems.add(at_item, "an item needs a code (lower-case letters) and a name")
            elif not i_raw.get("criterion"):
                problems.add(at_item, f"item {i_raw['code']} has no [[category.item.criterion]]")
            else:
                items.append(Item(i_raw["code"], i_raw["name"], tuple(criteria)))
                _check_declared(i_raw, items[-1].points, at_item, problems)
        if not isinstance(raw_cat, dict) or not raw_cat.get("name") or not _CODE.fullmatch(str(raw_cat.get("code"))):
            problems.add(at_cat, "a category needs a code (lower-case letters) and a name")
        elif not raw_cat.get("item"):
            problems.add(at_cat, f"category {raw_cat['code']} has no [[category.item]]")
        else:
            categories.append(Category(raw_cat["code"], raw_cat["name"], tuple(items)))
            _check_declared(raw_cat, categories[-1].points, at_cat, problems)
    stars = _stars(table.get("stars", {}), problems)
    subsidy = _subsidy(table.get("subsidy", {}), problems)
    tell = _tell(table.get("tell", {}), problems)
    if problems.found or stars is None or subsidy is None or tell is None or not isinstance(year, int):
        return None, problems.found
    title = str(table.get("title", f"{year}年村级绩效指数"))
    share, thresholds, person_points = stars
    base, default, factors = subsidy
    return Index(year, title, tuple(categories), share, thresholds, base, default, factors, tell, person_points), []


def _check_declared(raw: dict[str, Any], total: float, at: tuple[str | int, ...], problems: _Problems) -> None:
    """A category or item may write its points; then they must be its criteria's sum."""
    declared = raw.get("points")
    if declared is not None and (not _is_number(declared) or abs(declared - total) > 1e-9):
        problems.add((*at, "points"), f"points = {declared} but its criteria add up to {number(total)}")


def _stars(raw: Any, problems: _Problems) -> tuple[float, tuple[float, ...], float] | None:
    if not isinstance(raw, dict):
        problems.add(("stars",), "[stars] should be a table")
        return None
    share = raw.get("post_share", 0.5)
    thresholds = raw.get("thresholds", [60, 70, 80, 90])
    person = raw.get("person_points", 0)
    ok = True
    for key in raw:
        if key not in _STARS_KEYS:
            problems.add(("stars", key), f"unknown key {key!r}; keys are {', '.join(_STARS_KEYS)}")
            ok = False
    if not _is_number(person) or person < 0:
        problems.add(
            ("stars", "person_points"),
            "person_points should be a number from 0 (the most the township gives a person; 0: none)",
        )
        ok = False
    if not _is_number(share) or not 0 <= share <= 1:
        problems.add(
            ("stars", "post_share"), "post_share should be a number from 0 to 1 (0.5: half post, half village)"
        )
        ok = False
    if (
        not isinstance(thresholds, list)
        or len(thresholds) != 4
        or not all(_is_number(t) for t in thresholds)
        or sorted(thresholds) != thresholds
        or len(set(thresholds)) != 4
    ):
        problems.add(("stars", "thresholds"), "thresholds should be four rising scores, like [60, 70, 80, 90]")
        ok = False
    return (float(share), tuple(float(t) for t in thresholds), float(person)) if ok else None


def _subsidy(raw: Any, problems: _Problems) -> tuple[dict[str, float], float, tuple[float, ...]] | None:
    if not isinstance(raw, dict):
        problems.add(("subsidy",), "[subsidy] should be a table")
        return None
    base, default, factors = raw.get("base", {}), raw.get("default_base", 0), raw.get("factor", [1, 1, 1, 1, 1])
    ok = True
    if not isinstance(base, dict) or not all(_is_number(v) and v >= 0 for v in base.values()):
        problems.add(("subsidy", "base"), "base should be { post code = yearly amount, … }")
        base, ok = {}, False
    for post in base:
        if read_village_posts().find(post) is None:
            problems.add(("subsidy", "base"), f"base names {post!r}, not a code of config/village_posts.toml")
            ok = False
    if not _is_number(default) or default < 0:
        problems.add(("subsidy", "default_base"), "default_base should be a yearly amount")
        ok = False
    if not isinstance(factors, list) or len(factors) != 5 or not all(_is_number(f) and f >= 0 for f in factors):
        problems.add(
            ("subsidy", "factor"), "factor should be five numbers, one per star, like [0.6, 0.8, 1.0, 1.1, 1.2]"
        )
        ok = False
    if not ok:
        return None
    return {k: float(v) for k, v in base.items()}, float(default), tuple(float(f) for f in factors)


def _tell(raw: Any, problems: _Problems) -> Tell | None:
    if not isinstance(raw, dict):
        problems.add(("tell",), "[tell] should be a table")
        return None
    day, hour = raw.get("monthly_day", 5), raw.get("hour", 9)
    confirm = _MONTH_DAY.fullmatch(str(raw.get("confirm_date", "12-31")))
    ok = True
    if not isinstance(day, int) or not 1 <= day <= 28:
        problems.add(("tell", "monthly_day"), "monthly_day should be a day from 1 to 28")
        ok = False
    if not isinstance(hour, int) or not 0 <= hour <= 23:
        problems.add(("tell", "hour"), "hour should be an hour from 0 to 23")
        ok = False
    if confirm is None or not _is_day(int(confirm.group(1)), int(confirm.group(2))):
        problems.add(("tell", "confirm_date"), 'confirm_date should be "MM-DD", like "12-31"')
        ok = False
    if not ok or confirm is None:
        return None
    return Tell(day, hour, int(confirm.group(1)), int(confirm.group(2)))


def _is_day(month: int, day: int) -> bool:
    try:
        date(2001, month, day)  # not a leap year: 02-29 is no day every year
    except ValueError:
        return False
    return True


def read_index(path: Path) -> Index:
    """The checked index; ConfigError naming the file and line of every mistake."""
    try:
        text = path.read_text(encoding="utf-8")
        table = tomllib.loads(text)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{shown(path)}: {exc}") from exc
    index, problems = index_problems(table, text, shown(path))
    if index is None:
        raise ConfigError("\n".join(problems))
    return index
