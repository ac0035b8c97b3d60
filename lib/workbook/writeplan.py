"""Write plans: which single cells change and which rows are appended, and what each touched
row looked like when it was read. Domain code (meetings, casework entry) builds them; the
sources carry them out after re-reading those rows and refusing if anyone changed them."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from lib.workbook import schema
from lib.workbook.validate import Workbook


@dataclass(frozen=True)
class CellChange:
    """One cell to write: the row is found by its key (世帯ID or 会議ID), never by row number."""

    tab: str
    key: str
    column: str
    old: object
    new: object


@dataclass(frozen=True)
class NewRow:
    """A row to append to a tab, by column name."""

    tab: str
    values: dict


@dataclass
class WritePlan:
    """Everything one save writes, and the rows as they were read (for the conflict check)."""

    changes: list[CellChange] = field(default_factory=list)
    appends: list[NewRow] = field(default_factory=list)
    expected: dict[tuple[str, str], dict] = field(default_factory=dict)   # (tab, key) → row as read

    @property
    def empty(self) -> bool:
        return not self.changes and not self.appends


@dataclass(frozen=True)
class Conflict:
    """A cell someone changed in the sheet after the app read it."""

    tab: str
    key: str
    column: str
    read: object
    now: object


KEY_COLUMN = {schema.HOUSEHOLDS: "世帯ID", schema.MEETINGS: "会議ID"}


def plain(value) -> object:
    """A typed cell in a comparable form: blanks → None, timestamps → dates, lists → tuples."""
    if isinstance(value, (list, tuple)):
        return tuple(value)
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    return value


def row_as_read(workbook: Workbook, tab: str, key: str) -> dict | None:
    """The typed row of `tab` whose key column is `key`, every schema column, blanks as None."""
    frame = workbook[tab]
    match = frame[frame[KEY_COLUMN[tab]] == key]
    if match.empty:
        return None
    row = match.iloc[0]
    return {c: plain(row[c]) for c in schema.TABS_BY_NAME[tab].column_names}


def conflicts(plan: WritePlan, fresh: Workbook) -> list[Conflict]:
    """Cells of the touched rows that differ between the read and `fresh` (a re-read)."""
    found = []
    for (tab, key), before in plan.expected.items():
        now = row_as_read(fresh, tab, key)
        if now is None:
            found.append(Conflict(tab, key, KEY_COLUMN[tab], key, "（行が見つかりません）"))
            continue
        found += [Conflict(tab, key, c, before[c], now[c]) for c in before if before[c] != now[c]]
    return found


def cell_value(value, for_sheets: bool):
    """A typed value as written to a cell: lists joined with 、, times as 13:30, dates as real
    dates in Excel and as 2026/12/15 text in Google Sheets (RAW input never guesses)."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return "、".join(map(str, value))
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, dt.date):
        return f"{value.year}/{value.month}/{value.day}" if for_sheets else value
    return value


def describe(changes: list[CellChange]) -> list[str]:
    """Lines a person reads before saving: 世帯 H-001 段階: 支援中 → 終結."""
    def show(v):
        return "（空）" if v in (None, "", ()) else (f"{v:%Y/%m/%d}" if isinstance(v, dt.date) else str(v))
    return [f"{c.tab} {c.key} {c.column}: {show(c.old)} → {show(c.new)}" for c in changes]
