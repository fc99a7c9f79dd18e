"""Sheets written as an XLSX file with openpyxl (no Flask, no SQL).

Apart from exports.py because openpyxl costs about 0.15 s a process:
exports.xlsx imports this module when it writes a workbook, so a server or a
CLI command that writes none never loads it. exports.py decides what the
sheets hold; this module only writes cells: text that stays text, typed
numbers and dates with their formats, a frozen header, a filter, fitted widths.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Font

MIN_WIDTH, MAX_WIDTH = 8, 50  # characters; a long note wraps past the cap


def new() -> Workbook:
    """An empty workbook with its first sheet."""
    return Workbook()


def save(book: Workbook) -> bytes:
    """The workbook's bytes."""
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def _cell(sheet, value: Any, bold: bool = False) -> Cell:
    """A cell whose text stays text: no formula from user input, no illegal characters."""
    value, number_format = value if isinstance(value, tuple) else (value, None)
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    cell = Cell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
    if number_format and value is not None:
        cell.number_format = number_format
    if bold:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    return cell


def append(sheet, values: list[Any]) -> None:
    """One row; a (value, number_format) pair gives that cell its format."""
    sheet.append([_cell(sheet, v) for v in values])


def header(sheet, values: list[str]) -> None:
    """The header row, bold and wrapped."""
    sheet.append([_cell(sheet, v, bold=True) for v in values])


def finish(sheet) -> None:
    """Header row frozen, a filter over the whole table, columns fitted to what they hold."""
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    for column in sheet.iter_cols():
        longest = max(_shown_width(c.value) for c in column)
        width = min(MAX_WIDTH, max(MIN_WIDTH, longest + 2))
        sheet.column_dimensions[column[0].column_letter].width = width


def _shown_width(value: Any) -> int:
    """About how many characters a value takes on screen in its number format."""
    if isinstance(value, dt.datetime):
        return 16
    if isinstance(value, dt.date):
        return 10
    if isinstance(value, dt.time):
        return 5
    if isinstance(value, float):
        return len(f"{value:,.2f}")
    return max((len(line) for line in str(value).splitlines()), default=0) if value else 0
