"""`gridwhistle report index --year Y [--township T] [--xlsx FILE] [--config FILE]`: the performance index per
village (each category and the total, ranks) and per star-rated cadre (post score, village score, stars,
subsidy basis), and the evidence: every township score and automatic figure the results were computed from.
The evidence sheet, filled in, is what `gridwhistle index scores import` reads back.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import datetime
from pathlib import Path

from bot.clock import SHANGHAI
from bot.commands import add_config_arg, settings_from
from bot.commands.tables import Sheet, text_table, write_xlsx
from config.errors import ConfigError
from config.index_file import Index, number, read_index
from config.policy import Policy, load_policy
from config.texts import Texts
from models.area_tree import AreaTree
from models.db import database
from models.index_standing import Standing, VillageResult, standing
from models.performance import IndexScore

EVIDENCE_COLUMNS = (
    "township",
    "village",
    "village_code",
    "criterion",
    "criterion_name",
    "part",
    "figure",
    "value",
    "basis",
    "points",
    "most",
    "note",
    "author",
    "at",
    "corrects",
    "person",
)


def register_report(actions: argparse._SubParsersAction) -> None:
    parser = actions.add_parser(
        "index",
        help="the performance index: villages' scores, cadres' stars and the evidence",
        description=__doc__.splitlines()[0],
    )
    parser.add_argument("--year", required=True, type=int, metavar="YYYY", help="the index file's year")
    parser.add_argument("--township", default=None, metavar="T", help="only this township (name or code)")
    parser.add_argument("--xlsx", metavar="FILE", default=None, help="also write an XLSX file")
    add_config_arg(parser)
    parser.set_defaults(run=run_index)


def index_for(settings_index_file: Path | None, year: int | None = None) -> Index:
    """The settings' index, checked against the year asked for."""
    if settings_index_file is None:
        raise ConfigError("no performance index is set: name its file in [index] file")
    index = read_index(settings_index_file)
    if year is not None and index.year != year:
        raise ConfigError(f"[index] file is the index of {index.year}, not of {year}")
    return index


def run_index(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    index = index_for(settings.index.file, args.year)
    policy = load_policy(settings.policy.file)
    texts = Texts.load()
    try:
        sheets = asyncio.run(
            _sheets(settings.database.url, index, policy, texts, args.township, datetime.now(SHANGHAI))
        )
    except OSError as exc:
        print(f"gridwhistle report index: cannot reach the database in [database] url: {exc}", file=sys.stderr)
        return 1
    except LookupError as exc:
        print(f"gridwhistle report index: {exc}", file=sys.stderr)
        return 2
    for title, headers, rows in sheets:
        print(texts.render("index.report.title", year=args.year, part=title))
        print(text_table(headers, rows) if rows else texts.render("index.report.empty"))
        print()
    if args.xlsx is not None:
        write_xlsx(Path(args.xlsx), sheets)
        print(texts.render("index.report.written", file=args.xlsx))
    return 0


async def _sheets(
    url: str, index: Index, policy: Policy, texts: Texts, township: str | None, now: datetime
) -> list[Sheet]:
    async with database(url):
        tree = await AreaTree.load()
        township_id = None
        if township is not None:
            found = next(
                (a for a in tree.areas.values() if a.level == "township" and township in (a.name, a.code)), None
            )
            if found is None:
                raise LookupError(f"no township {township!r} in the org file")
            township_id = found.id
        result = await standing(index, policy, now, tree)
        corrected = {
            s.id: s
            for s in await IndexScore.filter(
                id__in=[
                    r.township.corrects_id
                    for v in result.villages.values()
                    for r in v.results.values()
                    if r.township and r.township.corrects_id
                ]
                + [c.person.corrects_id for c in result.cadres if c.person and c.person.corrects_id]
            )
        }
        return report_sheets(texts, result, township_id, corrected)


def report_sheets(
    texts: Texts, result: Standing, township_id: int | None, corrected: dict[int, IndexScore] | None = None
) -> list[Sheet]:
    def say(key: str) -> str:
        return texts.render(f"index.report.{key}")

    index = result.index
    villages = result.ranked(township_id)
    yes, no = say("yes"), say("no")
    village_rows = [
        [
            v.township,
            v.name,
            v.code,
            *(number(v.category(c.code)) for c in index.categories),
            number(v.total),
            str(v.rank_township),
            str(v.rank_county),
            str(len(v.missing)),
            yes if v.final else no,
        ]
        for v in villages
    ]
    village_headers = [
        say("township"),
        say("village"),
        say("village_code"),
        *(c.name for c in index.categories),
        say("total"),
        say("rank_township"),
        say("rank_county"),
        say("missing"),
        say("final"),
    ]
    shown = {v.village_id: v for v in villages}
    cadre_rows = [
        [
            shown[c.village_id].township,
            shown[c.village_id].name,
            c.name,
            c.userid,
            c.post_name,
            number(c.post_score),
            number(c.village_score),
            number(c.score),
            str(c.stars),
            number(c.subsidy),
            *([number(c.person_points) if c.person else ""] if index.person_points else []),
        ]
        for c in result.cadres
        if c.village_id in shown
    ]
    cadre_headers = [
        say(k)
        for k in (
            "township",
            "village",
            "name",
            "userid",
            "post",
            "post_score",
            "village_score",
            "score",
            "stars",
            "subsidy",
            *(("part_person",) if index.person_points else ()),
        )
    ]
    evidence = [row for v in villages for row in evidence_rows(texts, result, v, corrected or {})]
    return [
        (say("villages"), village_headers, village_rows),
        (say("cadres"), cadre_headers, cadre_rows),
        (say("evidence"), [say(k) for k in EVIDENCE_COLUMNS], evidence),
    ]


def _figure_text(name: str, value: float | None) -> str:
    if value is None:
        return ""
    return f"{value * 100:.1f}%" if name.endswith(("_rate", "_share")) else number(value)


def evidence_rows(
    texts: Texts, result: Standing, village: VillageResult, corrected: dict[int, IndexScore]
) -> list[list[str]]:
    """A row per automatic figure and per township part of each criterion; a township row left without
    points is a score still missing (fill it in and import the sheet)."""
    rows = []
    figures = result.figures[village.village_id]
    for code, r in village.results.items():
        c = r.criterion
        head = [village.township, village.name, village.code, code, c.name]
        if c.scored_by in ("figure", "both"):
            rows.append(
                [
                    *head,
                    texts.render("index.report.part_figure"),
                    c.figure,
                    _figure_text(c.figure, r.figure),
                    figures.basis.get(c.figure, ""),
                    number(r.figure_points),
                    number(c.figure_points),
                    "",
                    "",
                    "",
                    "",
                    "",
                ]
            )
        if c.scored_by in ("township", "both"):
            s = r.township
            before = corrected.get(s.corrects_id) if s is not None and s.corrects_id else None
            rows.append(
                [
                    *head,
                    texts.render("index.report.part_township"),
                    "",
                    "",
                    "",
                    number(s.points) if s is not None else "",
                    number(c.township_points),
                    s.note if s is not None else "",
                    s.author_name if s is not None else "",
                    (s.confirmed_at or s.created_at).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if s else "",
                    number(before.points) if before is not None else "",
                    "",
                ]
            )
    if result.index.person_points:
        rows += person_rows(texts, result, village, corrected)
    return rows


def person_rows(
    texts: Texts, result: Standing, village: VillageResult, corrected: dict[int, IndexScore]
) -> list[list[str]]:
    """A row per star-rated cadre of the village for the township's score of the person; left without points
    while not given (fill it in and import the sheet)."""
    rows, seen = [], set()
    for c in result.cadres:
        if c.village_id != village.village_id or c.person_id in seen:
            continue
        seen.add(c.person_id)
        s = c.person
        before = corrected.get(s.corrects_id) if s is not None and s.corrects_id else None
        posts = "、".join(
            o.post_name for o in result.cadres if o.village_id == c.village_id and o.person_id == c.person_id
        )
        rows.append(
            [
                village.township,
                village.name,
                village.code,
                "",
                f"{c.name}（{posts}）",
                texts.render("index.report.part_person"),
                "",
                "",
                "",
                number(s.points) if s is not None else "",
                number(result.index.person_points),
                s.note if s is not None else "",
                s.author_name if s is not None else "",
                (s.confirmed_at or s.created_at).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if s else "",
                number(before.points) if before is not None else "",
                c.userid,
            ]
        )
    return rows
