"""Write plans: which single cells change and which rows are appended, and what each touched
row looked like when it was read. Domain code (meetings, casework entry) builds them; the
sources carry them out after re-reading those rows and refusing if anyone changed them."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from lib.workbook import schema
from lib.workbook.cells import show_date
from lib.workbook.validate import Workbook


@dataclass(frozen=True)
class CellChange:
    """One cell to write. The row is found by its key (世帯ID or 会議ID) in tabs that have one;
    in other tabs (支援プラン) `key` is the row number as read, and the row must still hold what
    was read — where it moved (rows inserted above), it is found by its content."""

    tab: str
    key: str
    column: str
    old: object
    new: object


@dataclass(frozen=True)
class NewRow:
    """A row to append to a tab, by column name. With `unique`, the save is refused if the sheet
    has meanwhile got a row with the same value in that column (a new 世帯ID typed by someone else)."""

    tab: str
    values: dict
    unique: str | None = None


@dataclass
class WritePlan:
    """Everything one save writes, and the rows as they were read (for the conflict check)."""

    changes: list[CellChange] = field(default_factory=list)
    appends: list[NewRow] = field(default_factory=list)
    expected: dict[tuple[str, str], dict] = field(default_factory=dict)   # (tab, key) → row as read
    # Records a save was decided from (a matching's steps, a person's contacts): (tab, column,
    # value, column shown) → those rows as read; refused when another row joined or one changed:
    depends: dict[tuple[str, str, object, str], tuple] = field(default_factory=dict)

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


KEY_COLUMN = {schema.HOUSEHOLDS: "世帯ID", schema.MEETINGS: "会議ID", schema.REFERRALS: "つなぎID"}
# Where a new ID was taken by someone else between the read and the save:
TAKEN = "（ほかの行で使われています）"
MISSING = "（行が見つかりません）"


def plain(value) -> object:
    """A typed cell in a comparable form: blanks → None, timestamps → dates, lists → tuples."""
    if isinstance(value, (list, tuple)):
        return tuple(value)
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    return value


def _typed(frame, index, tab: str) -> dict:
    return {c: plain(frame.at[index, c]) for c in schema.TABS_BY_NAME[tab].column_names}


def row_key(tab: str, row: dict) -> str:
    """How a write plan names a row: its key (世帯ID, 会議ID) or, in a tab without one, its row number."""
    from lib.workbook.validate import ROW
    return str(row[KEY_COLUMN[tab]]) if tab in KEY_COLUMN else str(int(row[ROW]))


def _find(workbook: Workbook, tab: str, key: str):
    """Index of the row `key` names in the typed table, or None."""
    from lib.workbook.validate import ROW
    frame = workbook[tab]
    match = frame.index[frame[KEY_COLUMN[tab]] == key] if tab in KEY_COLUMN else frame.index[frame[ROW] == int(key)]
    return match[0] if len(match) else None


def rows_of(workbook: Workbook, tab: str, column: str, value) -> tuple:
    """The typed rows of `tab` whose `column` holds `value`, in sheet order (row numbers left out:
    rows typed above them move them, and change nothing they say)."""
    frame = workbook[tab]
    return tuple(_typed(frame, i, tab) for i in frame.index[frame[column] == value])


def depend_on(plan: WritePlan, workbook: Workbook, tab: str, column: str, value, show: str) -> WritePlan:
    """Make `plan` hold only while the rows of `tab` with `column` == `value` are as `workbook` has
    them (a step decided from a matching's latest step); `show` is the column a refusal names."""
    plan.depends[(tab, column, value, show)] = rows_of(workbook, tab, column, value)   # the value as typed (a 年度 is a number)
    return plan


def _depends_changed(plan: WritePlan, fresh: Workbook) -> list[Conflict]:
    """A refusal for each set of records a plan was decided from that changed since: the shown
    column of the latest row then and now (or how many rows, when that did not change)."""
    found = []
    for (tab, column, value, show), before in plan.depends.items():
        if tab not in fresh.tables:
            continue
        now = rows_of(fresh, tab, column, value)
        if now == before:
            continue
        then_shown, now_shown = (before[-1][show] if before else None), (now[-1][show] if now else None)
        if then_shown == now_shown:
            then_shown, now_shown = f"{len(before)}行", f"{len(now)}行"
        if now:                          # when and by whom, as the newest row says
            latest = now[-1]
            said = " ".join(x for x in (show_date(latest.get("日付")), latest.get("記入者") or "") if x)
            now_shown = f"{now_shown}（{said}）" if said else now_shown
        found.append(Conflict(tab, str(value), show, then_shown, now_shown))
    return found


def row_as_read(workbook: Workbook, tab: str, key: str) -> dict | None:
    """The typed row of `tab` that `key` names (see row_key), every schema column, blanks as None."""
    index = _find(workbook, tab, key)
    return None if index is None else _typed(workbook[tab], index, tab)


def locate(plan: WritePlan, fresh: Workbook) -> tuple[list[Conflict], dict[tuple[str, str], int]]:
    """Check every touched row against `fresh` (a re-read): the cells someone changed since the
    read, and the sheet row each touched row is at now."""
    from lib.workbook.validate import ROW
    found, rows = [], {}
    for tab, key in dict.fromkeys([*plan.expected, *((c.tab, c.key) for c in plan.changes)]):
        index = _find(fresh, tab, key)
        before = plan.expected.get((tab, key))
        now = None if index is None else _typed(fresh[tab], index, tab)
        if before is not None and tab not in KEY_COLUMN and now != before:
            # Rows inserted or deleted above move a row: the one row that still reads the same.
            frame = fresh[tab]
            same = [i for i in frame.index[frame["世帯ID"] == before.get("世帯ID")] if _typed(frame, i, tab) == before]
            if len(same) == 1:
                index, now = same[0], before
        if now is None:
            found.append(Conflict(tab, key, KEY_COLUMN.get(tab, "行"), key, MISSING))
            continue
        if before is not None:
            found += [Conflict(tab, key, c, before[c], now[c]) for c in before if before[c] != now[c]]
        rows[(tab, key)] = int(fresh[tab].at[index, ROW])
    adding = {a.values.get("世帯ID") for a in plan.appends if a.tab == schema.HOUSEHOLDS}
    known = set(fresh[schema.HOUSEHOLDS]["世帯ID"])
    for hid in dict.fromkeys(a.values.get("世帯ID") for a in plan.appends if a.tab != schema.HOUSEHOLDS):
        if hid and hid not in adding and hid not in known:     # a record for a household deleted meanwhile
            found.append(Conflict(schema.HOUSEHOLDS, hid, "世帯ID", hid, MISSING))
    for new in plan.appends:
        if new.unique:
            value = new.values[new.unique]
            if (fresh[new.tab][new.unique] == value).any():
                found.append(Conflict(new.tab, str(value), new.unique, value, TAKEN))
    return found + _depends_changed(plan, fresh), rows


def conflicts(plan: WritePlan, fresh: Workbook) -> list[Conflict]:
    """Cells of the touched rows that differ between the read and `fresh` (a re-read)."""
    return locate(plan, fresh)[0]


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
