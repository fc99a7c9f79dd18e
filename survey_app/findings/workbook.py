"""Sheets of rows written as an XLSX file with openpyxl (no Flask, no SQL).

Apart from exports.py because openpyxl costs about 0.15 s a process:
exports.xlsx imports this module when it writes a workbook, so a server or a
CLI command that writes none never loads it. exports.py decides what the
sheets hold; this module only writes them.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Font

# (title, header, rows): one sheet, its header frozen above the rows.
Sheet = tuple[str, list[Any], Iterable[list[Any]]]


def write(sheets: Iterable[Sheet]) -> bytes:
    """The XLSX file's bytes, one worksheet per sheet in order."""
    book = Workbook()
    book.remove(book.active)
    for title, header, rows in sheets:
        sheet = book.create_sheet(title)
        sheet.append([_cell(sheet, v, bold=True) for v in header])
        sheet.freeze_panes = "A2"
        for row in rows:
            sheet.append([_cell(sheet, v) for v in row])
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def _cell(sheet, value: Any, bold: bool = False) -> Cell:
    """A cell whose text stays text: no formula from user input, no illegal characters."""
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    cell = Cell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
    if bold:
        cell.font = Font(bold=True)
    return cell
