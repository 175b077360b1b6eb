"""How the report commands show their figures: an aligned text table, or an XLSX workbook."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

Sheet = tuple[str, list[str], list[list[str]]]  # title, headers, rows of display strings


def display_width(text: str) -> int:
    """Display width in a terminal: CJK characters take two columns."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def text_table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(display_width(row[i]) for row in [headers, *rows]) for i in range(len(headers))]
    lines = []
    for row in [headers, *rows]:
        lines.append("  ".join(cell + " " * (widths[i] - display_width(cell)) for i, cell in enumerate(row)).rstrip())
    return "\n".join(lines)


def write_xlsx(path: Path, sheets: list[Sheet]) -> None:
    """One sheet per part; counts as numbers and rates as fractions so the spreadsheet can sort and sum."""
    book = Workbook()
    book.remove(book.active)
    for title, headers, rows in sheets:
        sheet = book.create_sheet(title)
        sheet.append(headers)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([_value(text) for text in row])
            for cell, text in zip(sheet[sheet.max_row], row, strict=False):
                if text.endswith("%"):
                    cell.number_format = "0.0%"
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)


def _value(text: str) -> object:
    if text.endswith("%"):
        return round(float(text[:-1]) / 100, 4)
    try:
        return float(text) if "." in text else int(text)
    except ValueError:
        return text
