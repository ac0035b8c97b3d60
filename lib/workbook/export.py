"""Files staff download: Excel workbooks whose cells can never run as formulas."""
from __future__ import annotations

import datetime as dt
import io
from typing import Mapping

import pandas as pd

# A text cell starting with one of these could be run as a formula by Excel/Sheets:
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """Prefix formula-like text with an apostrophe so a spreadsheet shows it as text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _cell(value: object) -> object:
    if value is None or (not isinstance(value, (list, tuple, str)) and pd.isna(value)):
        return None
    if isinstance(value, (list, tuple)):
        return neutralise("、".join(map(str, value)))
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    return neutralise(value)


def text_stays_text(sheet) -> None:
    """Store every text cell of an openpyxl sheet as text: never run as a formula, whatever it says."""
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"


def to_xlsx(sheets: Mapping[str, pd.DataFrame]) -> bytes:
    """An .xlsx with one tab per DataFrame; every text cell neutralised, stored as text."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for title, frame in sheets.items():
        sheet = book.create_sheet(title[:31])
        sheet.append([str(c) for c in frame.columns])
        for row in frame.itertuples(index=False):
            sheet.append([_cell(v) for v in row])
        for cells in sheet.iter_rows(min_row=2):
            for c in cells:
                if isinstance(c.value, str):
                    c.data_type = "s"      # never a formula, whatever the text
                elif isinstance(c.value, dt.date):
                    c.number_format = "yyyy/m/d"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
