"""A table as the console shows it and as its XLSX export holds it: the same title, columns and cells."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Cell:
    """A cell's value (a number stays a number in the XLSX), how the page shows it, and where it links."""

    value: Any
    shown: str = ""
    link: str = ""
    warn: bool = False

    def __str__(self) -> str:
        return self.shown or ("" if self.value is None else str(self.value))


@dataclass
class Table:
    name: str  # the export's file name and sheet
    title: str
    columns: list[str]
    rows: list[list[Cell]] = field(default_factory=list)

    def add(self, *cells: Any) -> None:
        self.rows.append([c if isinstance(c, Cell) else Cell(c) for c in cells])


def percent(rate: float | None) -> Cell:
    """A rate: 0.873 in the XLSX, 87.3% on the page, 暂无 when nothing was judged yet."""
    return Cell(
        None if rate is None else round(rate, 4),
        "暂无" if rate is None else f"{rate:.1%}",
        warn=rate is not None and rate < 0.8,
    )


def xlsx_bytes(table: Table) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = table.name[:31]
    sheet.append(table.columns)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in table.rows:
        sheet.append([c.value for c in row])
    for index, row in enumerate(table.rows, start=2):
        for column, cell in enumerate(row, start=1):
            if cell.shown.endswith("%") and isinstance(cell.value, float):
                sheet.cell(index, column).number_format = "0.0%"
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
