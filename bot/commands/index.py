"""`gridwhistle index …`: the performance index (绩效指数).

- `index check FILE`: check an index file; print its shape ("4 类 8 项 31 条, 满分 100") or every mistake
  with its file and line.
- `index scores import FILE --by USERID [--correct] [--config FILE]`: read the township's scores from the
  evidence sheet (明细) of `report index --xlsx`, filled in. A row scoring a criterion not scored yet is
  added; one that changes a score already given is a correction, written only with --correct (without it
  the corrections are listed and nothing is written). All or nothing, in one transaction. A 本人评分 row scores
  the cadre its 干部账号 column names (the township's score of the person, up to the index's person_points).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from openpyxl import load_workbook
from tortoise.transactions import in_transaction

from bot.clock import SHANGHAI
from bot.commands import add_config_arg, settings_from
from bot.commands.report_index import EVIDENCE_COLUMNS, index_for
from config.errors import ConfigError
from config.index_file import Index, number, read_index
from config.policy import load_policy
from config.texts import Texts
from config.village_posts import read_village_posts
from models import IndexConfirmation, Person, Role
from models.area_tree import AreaTree
from models.db import database
from models.performance import PERSON, add_score, current_person_scores, current_scores
from models.posts import PostHolder


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("index", help="the performance index: check its file, import township scores")
    actions = parser.add_subparsers(dest="index_command", required=True, metavar="ACTION")
    check = actions.add_parser("check", help="check an index file and print its shape")
    check.add_argument("file", type=Path, metavar="FILE")
    check.set_defaults(run=run_check)
    scores = actions.add_parser("scores", help="the township's scores")
    score_actions = scores.add_subparsers(dest="scores_command", required=True, metavar="ACTION")
    load = score_actions.add_parser("import", help="import scores from the filled-in evidence sheet")
    load.add_argument("file", type=Path, metavar="FILE", help="the XLSX of `report index --xlsx`, filled in")
    load.add_argument("--by", required=True, metavar="USERID", help="the township committee member giving them")
    load.add_argument("--correct", action="store_true", help="also write rows that change a score given before")
    add_config_arg(load)
    load.set_defaults(run=run_import)


def run_check(args: argparse.Namespace) -> int:
    try:
        index = read_index(args.file)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    print(f"{args.file}: {index.title}: {index.shape()}")
    return 0


@dataclass(frozen=True)
class SheetScore:
    row: int
    village_code: str
    criterion: str  # PERSON for a person's score
    points: float
    note: str
    person: str = ""  # the cadre's userid, for a person's score


def read_sheet(path: Path, index: Index, texts: Texts) -> list[SheetScore]:
    """The township rows of the evidence sheet that carry points; ConfigError naming file, sheet and row."""
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (OSError, ValueError, KeyError) as exc:
        raise ConfigError(f"{path}: not a readable XLSX file ({exc})") from None
    title = texts.render("index.report.evidence")
    if title not in book.sheetnames:
        raise ConfigError(f"{path}: no sheet {title!r}; export one with `gridwhistle report index --xlsx`")
    rows = book[title].iter_rows(values_only=True)
    headers = [str(h) if h is not None else "" for h in next(rows, ())]
    column = {}
    for key in EVIDENCE_COLUMNS:
        name = texts.render(f"index.report.{key}")
        if name not in headers and key == "person":
            continue  # a sheet from before person scores: its village rows still count
        if name not in headers:
            raise ConfigError(f"{path}: sheet {title}: no column {name!r}")
        column[key] = headers.index(name)
    township_part, person_part = texts.render("index.report.part_township"), texts.render("index.report.part_person")
    found, problems = [], []
    for number_, row in enumerate(rows, 2):
        cells = list(row) + [None] * len(headers)
        if cells[column["part"]] not in (township_part, person_part) or cells[column["points"]] in (None, ""):
            continue
        code, village = str(cells[column["criterion"]] or ""), str(cells[column["village_code"]] or "")
        raw = cells[column["points"]]
        at = f"{path}: {title} row {number_}"
        if cells[column["part"]] == person_part:
            person = str(cells[column["person"]] or "").strip() if "person" in column else ""
            problem, points = _person_points(raw, person, index)
            if problem:
                problems.append(f"{at}: {problem}")
            else:
                note = str(cells[column["note"]] or "").strip()
                found.append(SheetScore(number_, village, PERSON, points, note, person))
            continue
        criterion = index.find(code)
        if criterion is None or criterion.scored_by == "figure":
            problems.append(f"{at}: {code!r} is not a criterion the township scores")
            continue
        try:
            points = float(str(raw))
        except ValueError:
            problems.append(f"{at}: points {raw!r} is not a number")
            continue
        if not 0 <= points <= criterion.township_points:
            problems.append(f"{at}: {code} takes 0 to {number(criterion.township_points)} points, not {raw}")
            continue
        found.append(SheetScore(number_, village, criterion.code, points, str(cells[column["note"]] or "").strip()))
    if problems:
        raise ConfigError("\n".join(problems))
    return found


def _person_points(raw: object, person: str, index: Index) -> tuple[str, float]:
    """(the problem, or "", and the points) of a 本人评分 row."""
    if not index.person_points:
        return "this year's index gives no person scores ([stars] person_points)", 0.0
    if not person:
        return "a 本人评分 row needs the cadre's userid in its 干部账号 column", 0.0
    try:
        points = float(str(raw))
    except ValueError:
        return f"points {raw!r} is not a number", 0.0
    if not 0 <= points <= index.person_points:
        return f"a person takes 0 to {number(index.person_points)} points, not {raw}", 0.0
    return "", points


def run_import(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    index = index_for(settings.index.file)
    roles = tuple(load_policy(settings.policy.file).index.scorer_roles)  # who scores villages
    texts = Texts.load()
    scores = read_sheet(args.file, index, texts)
    try:
        lines, code = asyncio.run(
            _import(settings.database.url, index, scores, (args.by, roles), args.correct, datetime.now(SHANGHAI))
        )
    except OSError as exc:
        print(f"gridwhistle index scores import: cannot reach the database in [database] url: {exc}", file=sys.stderr)
        return 1
    print("\n".join(lines), file=sys.stderr if code else sys.stdout)
    return code


async def _import(
    url: str, index: Index, scores: list[SheetScore], by: tuple[str, tuple[str, ...]], correct: bool, now: datetime
) -> tuple[list[str], int]:
    userid, scorer_roles = by
    async with database(url):
        person = await Person.get_or_none(userid=userid)
        if person is None:
            return [f"--by {userid}: nobody with this userid in the org file"], 2
        tree = await AreaTree.load()
        by_code = {a.code: a for a in tree.areas.values() if a.level == "village"}
        roles = await Role.filter(person_id=person.id, role__in=scorer_roles)
        mine = {t.id for r in roles if (t := tree.township_of(r.area_id)) is not None}
        final = set(await IndexConfirmation.filter(year=index.year).values_list("township_id", flat=True))
        current = await current_scores(index.year)
        people = await current_person_scores(index.year)
        cadres = await _cadres([s.person for s in scores if s.person])
        problems, new, corrections = [], [], []
        for s in scores:
            village = by_code.get(s.village_code)
            township = tree.township_of(village.id) if village else None
            cadre = cadres.get((village.id, s.person)) if village and s.person else None
            if village is None or township is None:
                problems.append(f"row {s.row}: no village {s.village_code!r} in the org file")
            elif township.id not in mine:
                problems.append(
                    f"row {s.row}: {village.name} is not in a township {person.name} is on the committee of"
                )
            elif township.id in final:
                problems.append(f"row {s.row}: {township.name}'s results of {index.year} are confirmed and final")
            elif s.person and cadre is None:
                problems.append(f"row {s.row}: {s.person!r} holds no star-rated post in {village.name}")
            else:
                before = people.get((village.id, cadre.id)) if cadre else current.get((village.id, s.criterion))
                if before is None:
                    new.append((village, s, cadre))
                elif abs(before.points - s.points) > 1e-9:
                    corrections.append((village, s, cadre, before.points))
        if problems:
            return problems, 2
        listed = [
            f"row {s.row}: {v.name} {p.name if p else s.criterion} {number(b)} → {number(s.points)}"
            for v, s, p, b in corrections
        ]
        if corrections and not correct:
            return [f"{len(corrections)} rows change a score given before; add --correct to write them:", *listed], 2
        async with in_transaction():
            for village, s, cadre in [*new, *((v, s, p) for v, s, p, _ in corrections)]:
                await add_score(
                    index.year,
                    village.id,
                    s.criterion,
                    s.points,
                    note=s.note,
                    author=person,
                    author_name=person.name,
                    now=now,
                    source="sheet",
                    confirmed=True,
                    person=cadre,
                )
        unchanged = len(scores) - len(new) - len(corrections)
        return [f"imported: {len(new)} new, {len(corrections)} corrected, {unchanged} unchanged", *listed], 0


async def _cadres(userids: list[str]) -> dict[tuple[int, str], Person]:
    """{(village id, userid): the person} of everyone named who holds a star-rated post there."""
    rated = [p.code for p in read_village_posts().star_rated]
    rows = await PostHolder.filter(person__userid__in=userids, post__in=rated).prefetch_related("person")
    return {(r.village_id, r.person.userid or ""): r.person for r in rows}
