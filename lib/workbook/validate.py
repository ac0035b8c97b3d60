"""Raw workbook (tab title → rows of cell values) → typed tables of usable rows + problems.

Rules (DESIGN.md "The workbook"): blank rows are skipped silently; a row with an error in a
required field is left out; an error in an optional field blanks that cell and keeps the row;
unknown columns are kept and listed as info; missing optional tabs are fine.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import functools
import gc
import operator
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from itertools import zip_longest
from typing import Callable, Mapping, Sequence

import pandas as pd

from lib.workbook import cells, schema
from lib.workbook.schema import Column, Tab

ERROR, WARNING, INFO = "error", "warning", "info"
SEVERITY_LABELS = {ERROR: "エラー", WARNING: "注意", INFO: "情報"}
# Column holding the row number as the sheet shows it (header = row 1).
ROW = "_row"
# Coordinates outside this box are reported as probably swapped or mistyped (Japan):
JAPAN_LAT, JAPAN_LON = (20.0, 46.0), (122.0, 154.0)

RawWorkbook = Mapping[str, Sequence[Sequence[object]]]


@dataclass(frozen=True)
class Problem:
    """One thing in the sheet the app could not use as typed, located as staff see it."""

    tab: str
    row: int | None          # row number as the sheet shows it; None for a whole-tab problem
    column: str
    value: str
    severity: str
    message: str
    household: str | None = None   # 世帯ID of the row, so 世帯詳細 can list its own problems

    def as_dict(self) -> dict:
        return {"tab": self.tab, "row": self.row, "column": self.column, "value": self.value,
                "severity": self.severity, "message": self.message}


@dataclass(frozen=True)
class Header:
    """Where a tab's columns are in its row 1: schema column → 0-based index (the left one when a
    heading is there twice), and the first column after the last heading (where a new one goes)."""

    positions: dict[str, int]
    free: int
    cells: tuple = field(default=(), compare=False, repr=False)    # row 1 as read

    @classmethod
    def of(cls, tab: Tab, first_row: Sequence[object]) -> "Header":
        positions: dict[str, int] = {}
        for i, cell in enumerate(first_row):
            if not cells.is_blank(cell) and (col := schema.column_for_header(tab, cell)) and col.name not in positions:
                positions[col.name] = i
        return cls(positions, max((i for i, v in enumerate(first_row) if v not in (None, "")), default=-1) + 1,
                   tuple(first_row))


@dataclass
class Workbook:
    """The typed, validated workbook: one DataFrame per schema tab plus every problem found."""

    tables: dict[str, pd.DataFrame]
    problems: list[Problem]
    left_out: dict[str, int] = field(default_factory=dict)   # rows not usable, per tab
    titles: dict[str, str] = field(default_factory=dict)      # schema tab → the sheet's own title
    columns: dict[str, frozenset] = field(default_factory=dict)  # schema tab → schema columns its header has
    headers: dict[str, "Header"] = field(default_factory=dict)    # schema tab → where its columns are
    # schema tab → what reading its sheet gave (sheet title, records, extras, rows left out, header,
    # problems), before the checks across tabs: a later read of an unchanged sheet starts from it
    converted: dict[str, tuple] = field(default_factory=dict, repr=False, compare=False)
    # schema tab → the checked rows its table was made from: a later read whose rows are the same,
    # or the same with rows added at the end, reuses the table
    records: dict[str, list] = field(default_factory=dict, repr=False, compare=False)

    def has(self, tab: str, column: str | None = None) -> bool:
        """Whether the sheet has this tab (and this column in its header): counts that need a
        tab or column the town has not added yet are estimated (推計) instead."""
        return tab in self.titles and (column is None or column in self.columns.get(tab, ()))

    def showing(self, tables: dict[str, pd.DataFrame], problems: list[Problem]) -> "Workbook":
        """A copy with these tables and problems (a viewer's scope): what the read kept to convert
        the next read faster (every row of every tab) stays with the read, not in the copy."""
        return replace(self, tables=tables, problems=problems, converted={}, records={})

    @property
    def present_tabs(self) -> tuple[str, ...]:
        return tuple(self.titles)

    def __getitem__(self, tab: str) -> pd.DataFrame:
        return self.tables[tab]

    @property
    def rows_left_out(self) -> int:
        return sum(self.left_out.values())

    def counts(self) -> dict[str, int]:
        """Problems per severity, every severity present (0 when none)."""
        c = Counter(p.severity for p in self.problems)
        return {s: c.get(s, 0) for s in (ERROR, WARNING, INFO)}


def _shown(value: object) -> str:
    """A raw value as it would read in the sheet, for problem reports (long text cut)."""
    if value is None:
        return ""
    if isinstance(value, str) and len(value) > 200:
        return value[:200] + "…"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M") if value.time() != dt.time() else value.strftime("%Y-%m-%d")
    return str(value)


# Text longer than this is cut for display (a 10 MB cell would stall every screen); the sheet
# keeps the full text:
MAX_SHOWN_CHARS = 5_000
CUT_MARK = "…（以下省略。全文はシートにあります）"


def cut(value):
    """Long text cut to MAX_SHOWN_CHARS with a mark saying so; anything else unchanged."""
    if isinstance(value, str) and len(value) > MAX_SHOWN_CHARS:
        return value[:MAX_SHOWN_CHARS] + CUT_MARK
    return value


def _household_of(value: object) -> str | None:
    """The 世帯ID a row belongs to, for locating its problems; None when the cell is unusable
    (TRUE/FALSE, a number …): that cell's own problem is reported where the column is parsed."""
    try:
        return cells.parse_id(value)
    except cells.CellError:
        return None


def _parser(col: Column) -> Callable[[object], object]:
    return {
        schema.TEXT: cells.parse_text,
        schema.ID: cells.parse_id,
        schema.DATE: cells.parse_date,
        schema.TIME: cells.parse_time,
        schema.INT: cells.parse_int,
        schema.FLOAT: cells.parse_number,
        schema.ENUM: lambda v: cells.parse_enum(v, col.allowed),
        schema.LIST: cells.parse_list,
        schema.IDLIST: cells.parse_list,
    }[col.type]


class _Collector:
    """Gathers problems for one tab with the tab name filled in."""

    def __init__(self, tab: str, problems: list[Problem]):
        self.tab, self.problems = tab, problems

    def add(self, severity: str, row: int | None, column: str, value: object, message: str,
            household: str | None = None) -> None:
        self.problems.append(Problem(self.tab, row, column, _shown(value), severity, message, household))


class _Sheets(dict):
    """Schema tab name → (sheet title, rows), the rows asked of the raw workbook only when used
    (an Excel file's tabs are still being read while the first ones are checked)."""

    def __init__(self, raw: RawWorkbook, titles: dict[str, str]):
        super().__init__(titles)
        self.raw = raw

    def __getitem__(self, name: str) -> tuple[str, Sequence]:
        title = super().__getitem__(name)
        return title, self.raw[title]

    def title(self, name: str) -> str:
        return super().__getitem__(name)


def _match_sheets(raw: RawWorkbook, problems: list[Problem]) -> _Sheets:
    """Schema tab name → (sheet title, rows); unknown sheets reported as info."""
    found: dict[str, str] = {}
    for title in raw:
        tab = schema.tab_for_title(title)
        if tab is None:
            problems.append(Problem(title, None, "", "", INFO,
                                    "このタブはつなぐボードでは使いません（そのまま残ります）"))
        elif tab.name in found:
            problems.append(Problem(title, None, "", "", WARNING,
                                    f"「{tab.name}」タブが2つあります。「{found[tab.name]}」だけを読みました"))
        else:
            found[tab.name] = title
    return _Sheets(raw, found)


class _Outcome:
    """What one distinct raw value of a column becomes: the value, or the error it raised, and
    the notes it always gets (words not in the vocabulary, a very long text)."""

    __slots__ = ("value", "error", "notes")

    def __init__(self, value, error: str | None = None, notes: tuple = ()):
        self.value, self.error, self.notes = value, error, notes


def _with_hint(col: Column, e: cells.CellError) -> str:
    """A cell's error message followed by its column's hint (unless the message already has it)."""
    return f"{e}（{col.hint}）" if col.hint and col.hint not in str(e) else str(e)


def _outcome(col: Column, parse: Callable[[object], object], raw) -> _Outcome:
    empty = [] if col.type in (schema.LIST, schema.IDLIST) else None
    try:
        value = _check_range(col, parse(raw))
    except cells.CellError as e:
        if col.required:
            return _Outcome(empty, f"{_with_hint(col, e)}。この行は表示できません")
        return _Outcome(empty, f"{_with_hint(col, e)}。このセルは空として扱います")
    notes = []
    error = None
    if col.required and value is None:
        error = f"必須の「{col.name}」が空です{('（' + col.hint + '）') if col.hint else ''}。この行は表示できません"
    if col.type == schema.LIST and col.vocabulary:
        notes += [(raw, f"「{word}」は決まった言葉にありません（そのまま表示します）")
                  for word in value if word not in col.vocabulary]
    if isinstance(value, str) and len(value) > MAX_SHOWN_CHARS:
        notes.append((value[:40], f"{len(value):,}文字の長い入力です。画面では先頭の{MAX_SHOWN_CHARS:,}文字だけを表示します"
                                  "（シートの全文はそのまま残ります）"))
        value = cut(value)
    return _Outcome(value, error, tuple(notes))


def _map_once(fn: Callable[[object], object], values: list) -> list:
    """[fn(v) for v in values], with fn called once per distinct value (a column repeats its
    values: 段階, 世帯ID, dates …); 1, 1.0 and TRUE stay apart."""
    keys = list(zip(map(type, values), values))
    try:
        distinct = dict.fromkeys(keys)
    except TypeError:                            # an unhashable cell: call fn for every cell
        return [fn(v) for v in values]
    done = {key: fn(key[1]) for key in distinct}
    return [done[key] for key in keys]


def _column(col: Column, raw: list) -> tuple[list, list[_Outcome]]:
    """One column's raw cells → (typed values, the outcome of each cell)."""
    parse = _parser(col)
    outcomes = _map_once(lambda v: _outcome(col, parse, v), raw)
    if col.type in (schema.LIST, schema.IDLIST):
        return [list(o.value) for o in outcomes], outcomes
    return [o.value for o in outcomes], outcomes


def _read_tab(tab: Tab, title: str, rows: Sequence[Sequence[object]], problems: list[Problem],
              numbers: Sequence[int] | None = None, taken: dict[tuple, int] | None = None,
              ) -> tuple[list[dict], list[str], int, Header]:
    """Parse one tab's rows: (usable records, extra column names, rows left out, its header).
    Column by column: each distinct value of a column is parsed once. `numbers`: the sheet rows of
    rows[1:] when they are not rows 2, 3 …; `taken`: keys already used by rows above them."""
    out = _Collector(title, problems)
    header = list(rows[0]) if rows else []
    head = Header.of(tab, header)
    positions = head.positions
    extras: dict[str, int] = {}
    for i, cell in enumerate(header):
        if cells.is_blank(cell):
            continue
        col = schema.column_for_header(tab, cell)
        label = _shown(cell).strip()
        if col is None:
            if label in extras or label in positions:
                out.add(WARNING, 1, label, cell, "同じ見出しの列が2つあります。左の列だけを読みました")
                continue
            extras[label] = i
            out.add(INFO, 1, label, cell, "つなぐボードの決まった列ではありません（値はそのまま残し、表示だけします）")
        elif positions[col.name] != i:
            out.add(WARNING, 1, label, cell,
                    f"「{col.name}」にあたる列が2つあります。左の列だけを読みました")
        elif label != col.name and schema.header_key(label) != schema.header_key(col.name):
            out.add(INFO, 1, label, cell, f"見出し「{label}」を「{col.name}」として読みました")

    numbered = zip(numbers, rows[1:]) if numbers is not None else enumerate(rows[1:], start=2)
    numbers, data = [], []
    for number, row in numbered:
        if not all(map(cells.is_blank, row)):     # stops at the first filled cell
            numbers.append(number)
            data.append(row)
    missing = [c.name for c in tab.columns if c.required and c.name not in positions]
    if missing:
        for name in missing:
            out.add(ERROR, 1, name, "", f"必須の列「{name}」が見つかりません。1行目に見出し「{name}」を入れてください"
                    f"（このタブの{len(data)}行は読めません）")
        return [], list(extras), len(data), head

    by_column = list(zip_longest(*data)) if data else []   # rows may be ragged (Sheets trims them)

    def cells_of(i: int) -> list:
        return list(by_column[i]) if i < len(by_column) else [None] * len(data)

    households = (_map_once(_household_of, cells_of(positions["世帯ID"])) if "世帯ID" in positions
                  else [None] * len(data))
    usable = [True] * len(data)
    columns: list[list] = [numbers]
    for col in tab.columns:
        if col.name not in positions:
            columns.append([[] for _ in data] if col.type in (schema.LIST, schema.IDLIST) else [None] * len(data))
            continue
        raw = cells_of(positions[col.name])
        values, outcomes = _column(col, raw)
        columns.append(values)
        flagged = {o for o in set(outcomes) if o.error or o.notes}
        for k, o in enumerate(outcomes) if flagged else ():
            if o not in flagged:
                continue
            _report(out, numbers[k], col, raw[k], o, households[k])
            if o.error:
                usable[k] = usable[k] and not col.required      # an error in a required cell leaves the row out
    for i in extras.values():
        columns.append(_map_once(lambda v: cut(cells.parse_text(v)), cells_of(i)))
    names = [ROW, *tab.column_names, *extras]
    records = [dict(zip(names, values)) for values, ok in zip(zip(*columns), usable) if ok]
    records, dupes = _drop_duplicate_keys(tab, records, out, taken)
    return records, list(extras), usable.count(False) + dupes, head


def _report(out: _Collector, number: int, col: Column, raw, o: _Outcome, household: str | None) -> None:
    """A cell's problems: its error, then its notes."""
    if o.error:
        out.add(ERROR, number, col.name, raw, o.error, household)
    for value, message in o.notes:
        out.add(INFO, number, col.name, value, message, household)


def _check_range(col: Column, value):
    """Numbers outside a column's range are errors (an age of 820, a latitude of 350)."""
    if value is None or col.type not in (schema.INT, schema.FLOAT):
        return value
    lo, hi = col.min_value, col.max_value
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        rng = f"{lo:g}〜{hi:g}" if hi is not None else f"{lo:g}以上"
        raise cells.CellError(f"{rng}の数を入れてください")
    return value


def _drop_duplicate_keys(tab: Tab, records: list[dict], out: _Collector, taken: dict[tuple, int] | None = None
                         ) -> tuple[list[dict], int]:
    """Keep the first row of each key; later rows with the same key (also a key in `taken`, the
    rows above: key → row) are errors and left out."""
    if not tab.key:
        return records, 0
    first: dict[tuple, int] = dict(taken or {})
    kept = []
    for r in records:
        k = tuple(r.get(c) for c in tab.key)
        if any(v is None for v in k):
            kept.append(r)
            continue
        if k in first:
            out.add(ERROR, r[ROW], "・".join(tab.key), "・".join(map(str, k)),
                    f"{first[k]}行目と同じ{'・'.join(tab.key)}です。IDは重ならないようにしてください。この行は表示できません",
                    r.get("世帯ID"))
        else:
            first[k] = r[ROW]
            kept.append(r)
    return kept, len(records) - len(kept)


def _frame(tab: Tab, records: list[dict], extras: list[str]) -> pd.DataFrame:
    """Typed DataFrame: dates as datetime64, ints nullable, lists and times as objects."""
    columns = [ROW, *tab.column_names, *[e for e in extras if e not in tab.column_names]]
    data = {}
    for name in columns:
        values = [r.get(name) for r in records]
        col = next((c for c in tab.columns if c.name == name), None)
        kind = col.type if col else schema.TEXT
        if name == ROW:
            data[name] = pd.Series(values, dtype="int64")
        elif kind == schema.DATE:
            data[name] = pd.to_datetime(pd.Series(values, dtype=object)).astype("datetime64[ns]")
        elif kind == schema.INT:
            data[name] = pd.Series(values, dtype="Int64")
        elif kind == schema.FLOAT:
            data[name] = pd.Series(values, dtype="float64")
        else:
            data[name] = pd.Series(values, dtype=object)
    return pd.DataFrame(data, columns=columns)


def _frame_again(tab: Tab, records: list[dict], extras: list[str], previous: "Workbook | None") -> pd.DataFrame:
    """_frame, reusing the previous read's table when its rows are the same rows (or the same rows
    followed by new ones: only those are made, and added below)."""
    before = previous.records.get(tab.name) if previous is not None else None
    table = previous.tables.get(tab.name) if previous is not None else None
    if before is None or table is None or len(before) > len(records) or list(table.columns[1:]) != [
            *tab.column_names, *[e for e in extras if e not in tab.column_names]]:
        return _frame(tab, records, extras)
    head = records[:len(before)]
    if not (all(map(operator.is_, head, before)) or head == before):
        return _frame(tab, records, extras)
    if len(records) == len(before):
        return table
    return pd.concat([table, _frame(tab, records[len(before):], extras)], ignore_index=True)


@contextlib.contextmanager
def _collector_paused():
    """Python's cycle collector off while a workbook is converted: a town's million cells are
    new objects without cycles, and each collection would walk them all again (a third of the
    time at 10,000 households)."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


@dataclass
class Written:
    """What a save wrote into one sheet, as reading the saved file gives it back: cells of rows
    that were there ((sheet row, 0-based column) → value) and new rows below ([(sheet row, cells)])."""

    cells: dict[tuple[int, int], object] = field(default_factory=dict)
    rows: list[tuple[int, list]] = field(default_factory=list)


def validate(raw: RawWorkbook, previous: Workbook | None = None, unchanged=frozenset(),
             written: Mapping[str, Written] | None = None) -> Workbook:
    """Check and convert a whole raw workbook; never raises on what staff typed. Sheets whose
    titles are in `unchanged` (their content is the same as when `previous` was converted; their
    rows in `raw` may be empty) start from what `previous` read of them; so do the sheets in
    `written` (what a save wrote since `previous` was read, by title), converting only the cells
    and rows it wrote — or, where that cannot tell (a row that was left out, a key or a heading
    written), reading the sheet from `raw`. The checks across tabs run on everything, as after a
    full read."""
    with _collector_paused():
        return _validate(raw, previous, unchanged, written or {})


def _with_written(tab: Tab, kept: tuple, written: Written) -> tuple | None:
    """What reading a sheet gave (see Workbook.converted) with what a save wrote into it converted
    as a whole read would (the same checks, problems and keys), or None when only a read can tell."""
    kept = _with_cells_changed(tab, kept, written.cells) if written.cells else kept
    if kept is None or not written.rows:
        return kept
    title, rows, extras, left_out, head, problems = kept
    taken = {tuple(r.get(c) for c in tab.key): r[ROW] for r in rows} if tab.key else None
    found: list[Problem] = []
    new, _, dropped, _ = _read_tab(tab, title, [head.cells, *(r for _, r in written.rows)], found,
                                   [n for n, _ in written.rows], taken)
    return (title, [*rows, *new], extras, left_out + dropped, head,
            problems + [p for p in found if p.row != 1])          # row 1's notes are already there


def _with_cells_changed(tab: Tab, kept: tuple, changed: dict[tuple[int, int], object]) -> tuple | None:
    """`kept` with cells of its usable rows written anew (a 段階, a 次回見直し日): each cell parsed
    as a read parses it, its row's problems in column order as a read lists them. None for a
    cell of a row left out, of a key, outside the schema's columns, or a required cell now wrong."""
    title, rows, extras, left_out, head, problems = kept
    column_at = {i: name for name, i in head.positions.items()}
    index = {r[ROW]: k for k, r in enumerate(rows)}
    rows, found = list(rows), []
    out = _Collector(title, found)
    for (number, i), raw in sorted(changed.items()):
        name = column_at.get(i)
        if name is None or number not in index or name in tab.key:
            return None
        col = tab.column(name)
        o = _outcome(col, _parser(col), raw)
        if o.error and col.required:
            return None
        k = index[number]
        rows[k] = {**rows[k], name: list(o.value) if col.type in (schema.LIST, schema.IDLIST) else o.value}
        _report(out, number, col, raw, o, rows[k].get("世帯ID"))
    order = {c.name: i for i, c in enumerate(tab.columns)}
    cells_written = {(number, column_at[i]) for number, i in changed}
    rewritten = {number for number, _ in changed}
    again = sorted([p for p in problems if p.row in rewritten and (p.row, p.column) not in cells_written] + found,
                   key=lambda p: (p.row, order.get(p.column, len(order))))
    return (title, rows, extras, left_out, head, [p for p in problems if p.row not in rewritten] + again)


# Tabs whose rows the checks across tabs change in place (世帯.同意 follows 同意記録; a list of
# 世帯ID loses the ones that name no household): their kept rows are copied before each check.
_CHANGED_IN_PLACE = {schema.HOUSEHOLDS} | {t.name for t in schema.TABS if any(c.type == schema.IDLIST for c in t.columns)}


def _validate(raw: RawWorkbook, previous: Workbook | None, unchanged, written: Mapping[str, Written]) -> Workbook:
    problems: list[Problem] = []
    sheets = _match_sheets(raw, problems)
    records: dict[str, list[dict]] = {}
    extras: dict[str, list[str]] = {}
    left_out: dict[str, int] = {}
    present: dict[str, frozenset] = {}
    headers: dict[str, Header] = {}
    converted: dict[str, tuple] = {}
    for tab in schema.TABS:
        if tab.name not in sheets:
            if tab.required:
                problems.append(Problem(tab.name, None, "", "", ERROR,
                                        f"必須のタブ「{tab.name}」がありません。タブ名を「{tab.name}」にしてください"))
            records[tab.name], extras[tab.name] = [], []
            continue
        title = sheets.title(tab.name)
        kept = previous.converted.get(tab.name) if previous is not None and (title in unchanged or title in written) else None
        if kept is not None and kept[0] == title and title in written:
            kept = _with_written(tab, kept, written[title])
        if kept is None or kept[0] != title:
            found: list[Problem] = []
            kept = (title, *_read_tab(tab, title, sheets[tab.name][1], found), found)
        converted[tab.name] = kept
        _, rows, extras[tab.name], left_out[tab.name], headers[tab.name], found = kept
        records[tab.name] = [dict(r) for r in rows] if tab.name in _CHANGED_IN_PLACE else list(rows)
        problems += found
        present[tab.name] = frozenset(headers[tab.name].positions)

    titles = {name: sheets.title(name) if name in sheets else name for name in records}
    _check_references(records, titles, problems, left_out, sheets)
    _follow_consent_records(records, titles, problems)
    _check_domain_rules(records, titles, problems, present)
    tables = {tab.name: _frame_again(tab, records[tab.name], extras[tab.name], previous) for tab in schema.TABS}
    order = {t.name: i for i, t in enumerate(schema.TABS)}
    title_order = {title: order.get(name, 99) for name, title in titles.items()}
    problems.sort(key=lambda p: (title_order.get(p.tab, 100), p.row or 0))
    return Workbook(tables, problems, {k: v for k, v in left_out.items() if v},
                    {name: sheets.title(name) for name in sorted(sheets, key=order.get)}, present, headers, converted,
                    records)


def parse_cell(tab: str, column: str, value: object) -> object:
    """One value as the sheet reader would read it in that column (a form field is checked by
    the same rules as a typed cell); raises cells.CellError with the Japanese reason and hint."""
    col = schema.TABS_BY_NAME[tab].column(column)
    try:
        parsed = _check_range(col, _parser(col)(value))
    except cells.CellError as e:
        raise cells.CellError(_with_hint(col, e)) from None
    if col.required and parsed in (None, []):
        raise cells.CellError(f"「{column}」を入れてください" + (f"（{col.hint}）" if col.hint else ""))
    return parsed


def latest_consents(consents: Sequence[dict] | pd.DataFrame) -> dict[str, dict]:
    """世帯ID → its latest 同意記録 row (latest 日付; on the same day, the row lower in the sheet)."""
    rows = consents.to_dict("records") if isinstance(consents, pd.DataFrame) else consents
    latest: dict[str, dict] = {}
    for r in sorted(rows, key=lambda r: (r["日付"], r[ROW])):
        latest[r["世帯ID"]] = r
    return latest


def _follow_consent_records(records, titles, problems) -> None:
    """世帯.同意 follows the latest 同意記録 row (a withdrawal takes the case to 支援会議 at once);
    a 世帯 cell that says otherwise is reported so the 事務局 can fix it."""
    if not records[schema.CONSENTS]:
        return
    latest = latest_consents(records[schema.CONSENTS])
    out = _Collector(titles[schema.HOUSEHOLDS], problems)
    for r in records[schema.HOUSEHOLDS]:
        record = latest.get(r["世帯ID"])
        if record is None:
            continue
        wanted = schema.CONSENT_BY_RECORD[record["同意"]]
        if r["同意"] != wanted:
            out.add(WARNING, r[ROW], "同意", r["同意"],
                    f"同意記録の最新（{record['日付']:%Y/%m/%d} {record['同意']}）に合わせて「{wanted}」として扱います。"
                    "世帯タブの同意も直してください", r["世帯ID"])
            r["同意"] = wanted


def _raw_ids(sheets, tab_name: str, column: str) -> set[str]:
    """Every value typed in a key column, usable row or not (to explain a failed reference)."""
    if tab_name not in sheets:
        return set()
    _, rows = sheets[tab_name]
    if not rows:
        return set()
    tab = schema.TABS_BY_NAME[tab_name]
    idx = next((i for i, h in enumerate(rows[0]) if (c := schema.column_for_header(tab, h)) and c.name == column), None)
    if idx is None:
        return set()
    return {cells.nfkc(r[idx]) for r in rows[1:] if idx < len(r) and not cells.is_blank(r[idx])
            and not isinstance(r[idx], bool)}


# How a reference is compared where NFKC alone is not the rule:
REFERENCE_KEYS = {"機関.機関名": cells.name_key}


def _check_references(records, titles, problems, left_out, sheets) -> None:
    """Every reference (世帯ID, 地区, 機関名 …) must name a row that exists in its tab."""
    known_of: dict[str, set] = {}               # "世帯.世帯ID" → the keys of its rows (once for every tab)
    for tab in schema.TABS:
        for col in (c for c in tab.columns if c.references):
            target_tab, target_col = col.references.split(".")
            if target_tab not in sheets or not records[target_tab]:
                continue   # optional tab not kept: nothing to check against
            # Compared after NFKC: （社協） typed in one tab matches (社協) in a list cell of another
            # (agency names also whatever spaces were typed: lib.casework.agencies.key).
            norm = REFERENCE_KEYS.get(col.references, cells.nfkc)
            if col.references not in known_of:
                known_of[col.references] = {norm(r[target_col]) for r in records[target_tab]}
            known = known_of[col.references]
            listed = col.type in (schema.LIST, schema.IDLIST)
            if listed:
                distinct = {v for r in records[tab.name] for v in r.get(col.name)}
            else:
                distinct = {r.get(col.name) for r in records[tab.name]} - {None}
            # A value already in its key form is looked up as it is (the keys are idempotent):
            wrong = {v for v in distinct if v not in known and norm(v) not in known}
            if not wrong:
                continue                         # every value names a row: nothing to say, every row kept

            def names_row(value, wrong=wrong) -> bool:
                return value not in wrong

            typed = functools.cache(lambda: _raw_ids(sheets, target_tab, target_col))  # only to explain
            out = _Collector(titles[tab.name], problems)
            kept = []
            for r in records[tab.name]:
                value = r.get(col.name)
                if listed:
                    if wrong.isdisjoint(value):
                        kept.append(r)
                        continue
                    household = r.get("世帯ID")
                    for v in (v for v in value if not names_row(v)):
                        sev = ERROR if col.type == schema.IDLIST else WARNING
                        out.add(sev, r[ROW], col.name, v, _reference_message(target_tab, target_col, v, typed())
                                + ("（この値は使いません）" if col.type == schema.IDLIST else ""), household)
                    if col.type == schema.IDLIST:
                        r[col.name] = [v for v in value if names_row(v)]
                    kept.append(r)
                elif value is None or value not in wrong:
                    kept.append(r)
                elif col.required:
                    out.add(ERROR, r[ROW], col.name, value, _reference_message(target_tab, target_col, value, typed())
                            + "。この行は表示できません", r.get("世帯ID"))
                else:
                    out.add(WARNING, r[ROW], col.name, value,
                            _reference_message(target_tab, target_col, value, typed()), r.get("世帯ID"))
                    kept.append(r)
            dropped = len(records[tab.name]) - len(kept)
            if dropped:
                left_out[tab.name] = left_out.get(tab.name, 0) + dropped
            records[tab.name] = kept


def _reference_message(tab: str, column: str, value: str, typed: set[str]) -> str:
    if value in typed:
        return f"「{tab}」タブの{column}「{value}」の行に誤りがあり使えないため、つながりません"
    return f"「{tab}」タブに{column}「{value}」がありません（つづり・全角半角・ハイフンを確かめてください）"


def _check_domain_rules(records, titles, problems, present=None) -> None:
    """Warnings about combinations the seeds' rules do not allow (the rows are still shown)."""
    hh = _Collector(titles[schema.HOUSEHOLDS], problems)
    for r in records[schema.HOUSEHOLDS]:
        hid = r["世帯ID"]
        if r["同意"] in ("なし", "不明") and r["段階"] in ("プラン作成", "支援中"):
            hh.add(WARNING, r[ROW], "段階", r["段階"],
                   "同意が「あり」でない世帯は重層的支援会議でプランを作れません（支援会議では見守り・情報共有のみ）。"
                   "同意か段階を確かめてください", hid)
        if r["段階"] == "終結" and r.get("終結日") is None:
            hh.add(WARNING, r[ROW], "終結日", "", "段階が「終結」です。終結日を入れてください（記録の保存期間は終結日から5年です）", hid)
        if r["段階"] == "中断" and r.get("中断日") is None:
            hh.add(WARNING, r[ROW], "中断日", "", "段階が「中断」です。中断日を入れてください（記録の保存期間は中断日から5年です。"
                   "空のままでは保存期間を数えられません）", hid)
        if r.get("終結日") and r.get("受付日") and r["終結日"] < r["受付日"]:
            hh.add(WARNING, r[ROW], "終結日", r["終結日"].isoformat(), "終結日が受付日より前です", hid)

    members_by_household = defaultdict(set)
    for m in records[schema.MEMBERS]:
        members_by_household[m["世帯ID"]].add(cells.nfkc(m["記号"]))
    if records[schema.MEMBERS]:
        pl = _Collector(titles[schema.PLANS], problems)
        for r in records[schema.PLANS]:
            target = cells.nfkc(r["対象"])
            if target not in schema.PLAN_EXTRA_TARGETS and target not in members_by_household[r["世帯ID"]]:
                pl.add(WARNING, r[ROW], "対象", r["対象"],
                       f"世帯員タブに{r['世帯ID']}の「{target}」がいません（A氏などの記号か、危機介入・その他を入れてください）",
                       r["世帯ID"])

    ind = _Collector(titles[schema.INDICATORS], problems)
    for r in records[schema.INDICATORS]:
        if r.get("集計") and schema.indicator_key(r["集計"]) is None:
            ind.add(WARNING, r[ROW], "集計", r["集計"],
                    "自動で数える項目名ではありません（実績値をそのまま使います）。使える名前: "
                    + "、".join(schema.INDICATOR_KEYS) + "（社会資源数:サロン のように種別も指定可）")

    mt = _Collector(titles[schema.MEETINGS], problems)
    for r in records[schema.MEETINGS]:
        if r.get("開始") and r.get("終了") and r["開始"] >= r["終了"]:
            mt.add(WARNING, r[ROW], "終了", r["終了"].strftime("%H:%M"), "終了が開始より前です")

    _check_agencies(records, titles, problems, "メール" in (present or {}).get(schema.AGENCIES, ()))

    for tab_name in (schema.RESOURCES, schema.AREAS):
        out = _Collector(titles[tab_name], problems)
        for r in records[tab_name]:
            lat, lon = r.get("緯度"), r.get("経度")
            if (lat is None) != (lon is None):
                out.add(WARNING, r[ROW], "緯度" if lat is None else "経度", "",
                        "緯度と経度は両方入れてください（片方だけでは地図に出せません）")
            elif lat is not None and not (JAPAN_LAT[0] <= lat <= JAPAN_LAT[1] and JAPAN_LON[0] <= lon <= JAPAN_LON[1]):
                out.add(WARNING, r[ROW], "緯度", f"{lat:g}, {lon:g}",
                        "日本の外の位置です。緯度と経度が入れ替わっていないか確かめてください")


def tax_office(department: object) -> bool:
    """Whether a 所管課 is a tax office (税務課, 税務係 …): such an agency never sits in a 支援会議."""
    return isinstance(department, str) and schema.TAX_OFFICE in cells.nfkc(department)


def _check_agencies(records, titles, problems, mails: bool = True) -> None:
    """Every agency has a mail address where the 機関 tab has a メール column (a town that keeps
    none sends no mail; the notify command reports agencies without one).
    支援会議の構成員: no tax office among them (美咲町 規程), and every person in 構成員名簿
    belongs to a member agency and has acknowledged 守秘義務 (法第159条)."""
    ag = _Collector(titles[schema.AGENCIES], problems)
    members = set()
    for r in records[schema.AGENCIES]:
        if mails and not r.get("メール"):
            ag.add(WARNING, r[ROW], "メール", "", "メールアドレスがないため、この機関には毎日のお知らせと会議の開催通知を"
                   "送れません（python -m lib.notify）")
        if r.get("支援会議構成員") != "はい":
            continue
        if tax_office(r.get("所管課")):
            ag.add(WARNING, r[ROW], "支援会議構成員", "はい",
                   f"所管課が「{r['所管課']}」の機関は支援会議の構成員にできません（税の情報は支援会議で共有しません）。"
                   "構成員には数えず、招集もしません。「いいえ」にしてください")
        else:
            members.add(cells.name_key(r["機関名"]))
    if not records[schema.MEMBER_REGISTER]:
        return
    reg = _Collector(titles[schema.MEMBER_REGISTER], problems)
    for r in records[schema.MEMBER_REGISTER]:
        if cells.name_key(r["機関名"]) not in members:
            reg.add(WARNING, r[ROW], "機関名", r["機関名"],
                    "この機関は支援会議の構成員ではありません（機関タブの支援会議構成員を「はい」にするか、この行を消してください）")
        if r.get("守秘義務確認日") is None:
            reg.add(WARNING, r[ROW], "守秘義務確認日", "",
                    "守秘義務（社会福祉法第159条）を確認した日を入れてください")
