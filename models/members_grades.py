"""Year-end grades from a spreadsheet (双考评 by upload): one row per member, the unit's and/or the village's grade.

Columns 账号 / `userid`, 单位考评 / `unit`, 村考评 / `village` (either grade may be left empty). Every row is
checked first; any mistake is listed with its sheet and row and nothing is written; else all rows in one
transaction (a grade given before is replaced). The same reader serves `gridwhistle members grades FILE` (its
mistakes in English, for the log) and a sheet sent in chat (handlers/members/grade_sheets.py, in Chinese).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from zipfile import BadZipFile

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from tortoise.transactions import in_transaction

from models.members import MemberGrade, PartyMember

if TYPE_CHECKING:
    from models.people import Person

COLUMNS = {"userid": ("账号", "企业微信账号", "userid"), "unit": ("单位考评", "unit"), "village": ("村考评", "village")}
Problem = Literal["unreadable", "columns", "empty", "not_a_grade", "not_a_member", "not_yours"]


@dataclass(frozen=True)
class SheetRow:
    """One grade a row gives: a member's (by WeCom account) unit or village grade."""

    sheet: str
    row: int
    userid: str
    side: str  # "unit" or "village"
    grade: str


@dataclass(frozen=True)
class SheetMistake:
    """What is wrong where: the sheet, the row (0: the file itself), the side's column ("" for 账号), the value."""

    problem: Problem
    sheet: str = ""
    row: int = 0
    side: str = ""
    value: str = ""
    detail: str = ""  # the file's error, the header found, or the accepted grades

    def english(self, path: Path | str) -> str:
        where = f"{path} sheet {self.sheet} row {self.row}"
        column = COLUMNS[self.side][0] if self.side else COLUMNS["userid"][0]
        if self.problem == "unreadable":
            return f"{path}: cannot read the spreadsheet: {self.detail}"
        if self.problem == "columns":
            return f"{where}: columns are 账号, 单位考评, 村考评 (found {self.detail})"
        if self.problem == "empty":
            return f"{where} column 账号: is empty"
        if self.problem == "not_a_grade":
            return f"{where} column {column}: {self.value!r} is not one of {self.detail}"
        if self.problem == "not_a_member":
            return f"{where} column 账号: {self.value!r} is not a registered serving Party member"
        return f"{where} column {column}: {self.value!r} may not be graded for this side by the sender"


def read_sheet(source: Path | bytes, grades: list[str]) -> tuple[list[SheetRow], list[SheetMistake]]:
    """Every grade the workbook gives, and every mistake in it (a file, or a file's content as sent in chat)."""
    try:
        book = load_workbook(BytesIO(source) if isinstance(source, bytes) else source, read_only=True, data_only=True)
    except (OSError, InvalidFileException, BadZipFile, KeyError, ValueError) as exc:  # not a workbook
        return [], [SheetMistake("unreadable", detail=str(exc))]
    found: list[SheetRow] = []
    mistakes: list[SheetMistake] = []
    names = {name.lower(): key for key, accepted in COLUMNS.items() for name in accepted}
    try:
        for sheet in book.worksheets:
            header: dict[int, str] | None = None
            for number, cells in enumerate(sheet.iter_rows(values_only=True), 1):
                texts = ["" if c is None else str(c).strip() for c in cells]
                if not any(texts):
                    continue
                if header is None:
                    header = {i: names[t.lower()] for i, t in enumerate(texts) if t and t.lower() in names}
                    unknown = [t for i, t in enumerate(texts) if t and i not in header]
                    if unknown or "userid" not in header.values():
                        mistakes.append(SheetMistake("columns", sheet.title, number, detail=", ".join(texts)))
                        break
                    continue
                row = {key: texts[i] if i < len(texts) else "" for i, key in header.items()}
                if not row.get("userid"):
                    mistakes.append(SheetMistake("empty", sheet.title, number))
                    continue
                for side in ("unit", "village"):
                    grade = row.get(side, "")
                    if grade and grade not in grades:
                        mistakes.append(
                            SheetMistake("not_a_grade", sheet.title, number, side, grade, detail="、".join(grades))
                        )
                    elif grade:
                        found.append(SheetRow(sheet.title, number, row["userid"], side, grade))
    finally:
        book.close()
    return found, mistakes


async def members_of(rows: list[SheetRow]) -> tuple[dict[str, PartyMember], list[SheetMistake]]:
    """The confirmed members the rows name (by account), and a mistake for each row naming nobody registered."""
    userids = {r.userid for r in rows}
    members = {
        m.person.userid or "": m
        for m in await PartyMember.filter(status="confirmed", person__userid__in=userids).prefetch_related("person")
    }
    mistakes = [SheetMistake("not_a_member", r.sheet, r.row, value=r.userid) for r in rows if r.userid not in members]
    return members, list(dict.fromkeys(mistakes))  # a row with both grades is one mistake


async def save_sheet(
    rows: list[SheetRow], members: dict[str, PartyMember], year: int, now: datetime, by: Person | None = None
) -> int:
    """All the rows' grades in one transaction (a grade given before is replaced); how many were written."""
    async with in_transaction():
        for row in rows:
            member = members[row.userid]
            updated = await MemberGrade.filter(member_id=member.id, year=year, side=row.side).update(
                grade=row.grade, at=now, by_id=by.id if by else None
            )
            if not updated:
                await MemberGrade.create(member=member, year=year, side=row.side, grade=row.grade, at=now, by=by)
    return len(rows)


def read_grades(path: Path, grades: list[str]) -> tuple[list[SheetRow], list[str]]:
    """For the CLI: the rows, and the mistakes in English with the file, sheet and row."""
    rows, mistakes = read_sheet(path, grades)
    return rows, [m.english(path) for m in mistakes]


async def write_grades(rows: list[SheetRow], year: int, now: datetime, path: Path | str = "") -> tuple[int, list[str]]:
    """For the CLI: (grades written, mistakes); nothing is written when there is a mistake."""
    members, mistakes = await members_of(rows)
    if mistakes:
        return 0, [m.english(path) for m in mistakes]
    return await save_sheet(rows, members, year, now), []
