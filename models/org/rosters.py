"""Read CSV and XLSX rosters of people and households into specs; headers in Chinese or English.

Spreadsheets are where villages keep their rosters, so a row is reported the way the admin sees
it: file, sheet, row number (the header is row 1), column.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from models.org import values
from models.org.problems import Problems
from models.org.spec import HouseholdSpec, MemberSpec, PersonSpec, PostSpec, RoleSpec, ShiftSpec
from models.org.where import RowWhere

# Column headers as docs/org-file.md defines them: key ← accepted header names.
PEOPLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "name"),
    "userid": ("企业微信账号", "账号", "userid"),
    "mobile": ("手机", "手机号", "mobile"),
    "role": ("角色", "role", "roles"),
    "area": ("区域", "area"),
    "household": ("户号", "household"),
    "post": ("职务", "post", "posts"),
}
HOUSEHOLD_COLUMNS: dict[str, tuple[str, ...]] = {
    "code": ("户号", "code"),
    "head": ("户主", "head"),
    "grid": ("网格", "grid"),
    "address": ("住址", "address"),
    "tags": ("标签", "tags"),
    "care_cadre": ("包保干部", "care_cadre"),
}
# A duty roster sheet: one row per shift of a day in a township or village (带班 and 值班 are userids).
SHIFT_COLUMNS: dict[str, tuple[str, ...]] = {
    "day": ("日期", "date", "day"),
    "shift": ("班次", "shift"),
    "area": ("区域", "area"),
    "lead": ("带班", "lead"),
    "duty": ("值班", "duty"),
}
SHIFT_REQUIRED = ("day", "shift", "area")
# Serving Party members (在职党员): their own unit (a department's or township's code) and the grid they serve.
MEMBER_COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "name"),
    "userid": ("企业微信账号", "账号", "userid"),
    "mobile": ("手机", "手机号", "mobile"),
    "unit": ("单位", "unit"),
    "unit_secretary": ("单位书记", "unit_secretary"),
    "grid": ("网格", "grid"),
    "skills": ("特长", "skills"),
}
MEMBER_REQUIRED = ("name", "userid", "unit", "grid")
PEOPLE_REQUIRED = ("name", "userid")
HOUSEHOLD_REQUIRED = ("code", "head", "grid")

Row = tuple[RowWhere, dict[str, str]]


def read_people(path: Path, problems: Problems) -> list[PersonSpec]:
    people = []
    for where, row in _rows(path, PEOPLE_COLUMNS, PEOPLE_REQUIRED, problems):
        userid = _cell(row, where, "userid", problems, values.userid)
        name = _cell(row, where, "name", problems)
        mobile = _cell(row, where, "mobile", problems, values.mobile, required=False)
        household = row.get("household", "") or None
        roles, posts = _roles(row, where, problems), _posts(row, where, problems)
        people.append(PersonSpec(userid, name, mobile, household, roles, where, posts))
    return people


def read_households(path: Path, problems: Problems) -> list[HouseholdSpec]:
    households = []
    for where, row in _rows(path, HOUSEHOLD_COLUMNS, HOUSEHOLD_REQUIRED, problems):
        households.append(
            HouseholdSpec(
                _cell(row, where, "code", problems, values.code),
                _cell(row, where, "head", problems),
                _cell(row, where, "grid", problems),
                row.get("address", ""),
                tuple(values.split_list(row.get("tags", ""))),
                row.get("care_cadre", "") or None,
                where,
            )
        )
    return households


def read_shifts(path: Path, problems: Problems) -> list[ShiftSpec]:
    shifts = []
    for where, row in _rows(path, SHIFT_COLUMNS, SHIFT_REQUIRED, problems):
        day = _cell(row, where, "day", problems, values.day)
        shift = _cell(row, where, "shift", problems, values.shift)
        area = _cell(row, where, "area", problems, values.code)
        lead = _cell(row, where, "lead", problems, values.userid, required=False)
        duty = _cell(row, where, "duty", problems, values.userid, required=False)
        if day and shift and area:
            shifts.append(ShiftSpec(date.fromisoformat(day), shift, area, lead, duty, where))
    return shifts


def read_members(path: Path, problems: Problems) -> list[MemberSpec]:
    members = []
    for where, row in _rows(path, MEMBER_COLUMNS, MEMBER_REQUIRED, problems):
        members.append(
            MemberSpec(
                _cell(row, where, "userid", problems, values.userid),
                _cell(row, where, "name", problems),
                _cell(row, where, "mobile", problems, values.mobile, required=False),
                _cell(row, where, "unit", problems, values.code),
                _cell(row, where, "unit_secretary", problems, values.userid, required=False),
                _cell(row, where, "grid", problems, values.code),
                tuple(values.split_list(row.get("skills", ""))),
                where,
            )
        )
    return members


def _roles(row: dict[str, str], where: RowWhere, problems: Problems) -> tuple[RoleSpec, ...]:
    """角色 may hold several roles (网格员、村书记); 区域 holds one scope for all, or one per role."""
    names, scopes = values.split_list(row.get("role", "")), values.split_list(row.get("area", ""))
    if names and not scopes:
        problems.add(where, "area", "a role needs an area code (or, for a liaison, a department code)")
        return ()
    if scopes and len(scopes) not in (1, len(names)):
        problems.add(where, "area", f"{len(names)} roles but {len(scopes)} areas: give one area, or one per role")
        return ()
    roles = []
    for index, name in enumerate(names):
        try:
            role = values.role(name)
        except ValueError as exc:
            problems.add(where, "role", str(exc))
            continue
        scope = scopes[0] if len(scopes) == 1 else scopes[index]
        department = scope if role == "liaison" else None
        roles.append(RoleSpec(role, None if department else scope, department, where, "role", name, "area"))
    return tuple(roles)


def _posts(row: dict[str, str], where: RowWhere, problems: Problems) -> tuple[PostSpec, ...]:
    """职务 may hold several posts (书记、村委会主任: 一肩挑)."""
    posts = []
    for name in values.split_list(row.get("post", "")):
        try:
            posts.append(PostSpec(values.post(name), where, "post", name))
        except ValueError as exc:
            problems.add(where, "post", str(exc))
    return tuple(posts)


def _cell(row: dict[str, str], where: RowWhere, key: str, problems: Problems, check=None, required: bool = True) -> str:
    value = row.get(key, "")
    if not value:
        if required:
            problems.add(where, key, "is empty")
        return ""
    if check is None:
        return value
    try:
        return check(value)
    except ValueError as exc:
        problems.add(where, key, str(exc))
        return ""


def _rows(
    path: Path, columns: dict[str, tuple[str, ...]], required: tuple[str, ...], problems: Problems
) -> Iterator[Row]:
    """Non-blank rows as {key: text}, after the header row has been matched to `columns`."""
    for sheet, numbered in _tables(path, problems):
        header: dict[int, str] | None = None
        written: dict[str, str] = {}
        for number, cells in numbered:
            texts = [_text(cell) for cell in cells]
            if not any(texts):
                continue  # blank rows are skipped, wherever they are
            if header is None:
                header, written = _header(path, sheet, number, texts, columns, required, problems)
                if header is None:
                    break
                continue
            where = RowWhere(path, number, sheet, written)
            extra = [text for index, text in enumerate(texts) if text and index not in header]
            if extra:
                problems.add(where, None, f"values outside the named columns: {', '.join(extra)}")
            yield where, {key: texts[index] if index < len(texts) else "" for index, key in header.items()}


def _header(
    path: Path,
    sheet: str | None,
    number: int,
    texts: list[str],
    columns: dict[str, tuple[str, ...]],
    required: tuple[str, ...],
    problems: Problems,
) -> tuple[dict[int, str] | None, dict[str, str]]:
    names = {name.lower(): key for key, accepted in columns.items() for name in accepted}
    where = RowWhere(path, number, sheet)
    header: dict[int, str] = {}
    ok = True
    for index, text in enumerate(texts):
        if not text:
            continue
        key = names.get(text.lower())
        if key is None:
            accepted = ", ".join("/".join(accepted) for accepted in columns.values())
            problems.add(where, None, f"unknown column {text!r}; columns are {accepted}")
            ok = False
        elif key in header.values():
            problems.add(where, None, f"column {text!r} appears twice")
            ok = False
        else:
            header[index] = key
    for key in required:
        if key not in header.values():
            problems.add(where, None, f"column {columns[key][0]} ({key}) is missing")
            ok = False
    written = {key: texts[index] for index, key in header.items()}
    return (header if ok else None), written


def _tables(path: Path, problems: Problems) -> Iterator[tuple[str | None, Iterator[tuple[int, tuple]]]]:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        text = _csv_text(path, problems)
        if text is not None:
            reader = csv.reader(io.StringIO(text, newline=""))
            yield None, ((reader.line_num, tuple(cells)) for cells in reader)
    elif suffix in (".xlsx", ".xlsm"):
        yield from _sheets(path, problems)
    else:
        problems.add(str(path), None, "a roster must be a .csv or .xlsx file")


def _csv_text(path: Path, problems: Problems) -> str | None:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        problems.add(str(path), None, f"cannot read the roster: {exc.strerror or exc}")
        return None
    # Excel on a Chinese Windows saves CSV as GBK; everything else says UTF-8 (with or without BOM).
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    problems.add(str(path), None, "neither UTF-8 nor GBK text")
    return None


def _sheets(path: Path, problems: Problems) -> Iterator[tuple[str, Iterator[tuple[int, tuple]]]]:
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (OSError, InvalidFileException, KeyError, ValueError) as exc:
        problems.add(str(path), None, f"cannot read the spreadsheet: {exc}")
        return
    try:
        for sheet in workbook.worksheets:
            # Rows are materialised per sheet so the workbook can be closed afterwards.
            rows = [(number, cells) for number, cells in enumerate(sheet.iter_rows(values_only=True), 1)]
            yield sheet.title, iter(rows)
    finally:
        workbook.close()


def _text(cell: object) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)  # a phone number typed into a number cell
    return str(cell).replace("\u3000", " ").strip()
