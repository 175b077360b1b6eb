"""Year-end grades from a spreadsheet (双考评 by upload): one row per member, the unit's and/or the village's grade.

Columns 账号 / `userid`, 单位考评 / `unit`, 村考评 / `village` (either grade may be left empty). Every row is
checked first; any mistake is listed with its sheet and row and nothing is written; else all rows in one
transaction (a grade given before is replaced).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from tortoise.transactions import in_transaction

from models.members import MemberGrade, PartyMember

COLUMNS = {"userid": ("账号", "企业微信账号", "userid"), "unit": ("单位考评", "unit"), "village": ("村考评", "village")}


def read_grades(path: Path, grades: list[str]) -> tuple[list[tuple[str, str, str, str]], list[str]]:
    """([(where, userid, side, grade)], [mistakes])."""
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (OSError, InvalidFileException, KeyError, ValueError) as exc:
        return [], [f"{path}: cannot read the spreadsheet: {exc}"]
    found: list[tuple[str, str, str, str]] = []
    mistakes: list[str] = []
    names = {name.lower(): key for key, accepted in COLUMNS.items() for name in accepted}
    try:
        for sheet in book.worksheets:
            header: dict[int, str] | None = None
            for number, cells in enumerate(sheet.iter_rows(values_only=True), 1):
                texts = ["" if c is None else str(c).strip() for c in cells]
                if not any(texts):
                    continue
                where = f"{path} sheet {sheet.title} row {number}"
                if header is None:
                    header = {i: names[t.lower()] for i, t in enumerate(texts) if t and t.lower() in names}
                    unknown = [t for i, t in enumerate(texts) if t and i not in header]
                    if unknown or "userid" not in header.values():
                        mistakes.append(f"{where}: columns are 账号, 单位考评, 村考评 (found {', '.join(texts)})")
                        break
                    continue
                row = {key: texts[i] if i < len(texts) else "" for i, key in header.items()}
                if not row.get("userid"):
                    mistakes.append(f"{where} column 账号: is empty")
                    continue
                for side in ("unit", "village"):
                    grade = row.get(side, "")
                    if grade and grade not in grades:
                        mistakes.append(
                            f"{where} column {COLUMNS[side][0]}: {grade!r} is not one of {'、'.join(grades)}"
                        )
                    elif grade:
                        found.append((where, row["userid"], side, grade))
    finally:
        book.close()
    return found, mistakes


async def write_grades(rows: list[tuple[str, str, str, str]], year: int, now: datetime) -> tuple[int, list[str]]:
    """(grades written, mistakes); nothing is written when there is a mistake."""
    members = {m.person.userid: m for m in await PartyMember.filter(status="confirmed").prefetch_related("person")}
    mistakes = [
        f"{where} column 账号: {userid!r} is not a registered serving Party member"
        for where, userid, _, _ in rows
        if userid not in members
    ]
    if mistakes:
        return 0, mistakes
    async with in_transaction():
        for _, userid, side, grade in rows:
            member = members[userid]
            updated = await MemberGrade.filter(member_id=member.id, year=year, side=side).update(
                grade=grade, at=now, by_id=None
            )
            if not updated:
                await MemberGrade.create(member=member, year=year, side=side, grade=grade, at=now)
    return len(rows), []
