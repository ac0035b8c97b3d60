"""取り込み: the lists a town already keeps (受付簿, 世帯一覧, 社会資源一覧, 機関一覧 …), in its own
layout and headings, brought into the workbook.

A list is read as rows (lib.workbook.sources.read_upload); its header row is found below any
title rows; each of its columns is proposed a column of the contract (the schema's names and
aliases after NFKC, then close spellings), which the person may change; every cell is parsed by
the reader's own rules and every problem listed by row and column before anything is written;
households that look like ones already in the workbook (same 世帯ID, or the same 表示名 in the
same 地区) are flagged and left out unless the person says they are new. Accepted rows are appended
through the normal conflict-safe write; the uploaded file is never changed.
"""
from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass, field

from lib.casework.agencies import key as agency_key
from lib.casework.entry import household_name_key, next_id
from lib.workbook import cells, schema
from lib.workbook.validate import Workbook, parse_cell
from lib.workbook.writeplan import NewRow, WritePlan


@dataclass(frozen=True)
class Kind:
    """A kind of list: the tabs its rows go to (the first is the main one), what a row gets when the
    list has no such column, and how a new ID looks."""

    label: str
    tabs: tuple[str, ...]
    defaults: dict = field(default_factory=dict)
    first_id: str = ""


KINDS = {k.label: k for k in (
    Kind("世帯（受付簿・世帯一覧）", (schema.HOUSEHOLDS, schema.MEMBERS), {"段階": "受付", "同意": "不明"}, "H-001"),
    Kind("社会資源一覧", (schema.RESOURCES,), {}, "R-001"),
    Kind("機関一覧", (schema.AGENCIES,)),
    Kind("地区一覧", (schema.AREAS,)),
)}
# A column of the list whose heading reads at least this much like a contract column is proposed it:
CLOSE = 0.75
# The member a 受付簿 row describes (one person per row: the one who came to the counter):
FIRST_MEMBER = "A氏"
# Rows that may stand above the header (a title, the office, a date) before it is found:
HEADER_SEARCH_ROWS = 20


@dataclass(frozen=True)
class Target:
    tab: str
    column: str

    @property
    def label(self) -> str:
        return f"{self.tab}・{self.column}"


# A household list's 同意 when it has no such column, as the person chooses it for the whole file:
CONSENT = Target(schema.HOUSEHOLDS, "同意")
CONSENT_CHOICES = ("不明", "あり", "なし")


def _fillable(tab: str, column: str) -> bool:
    """A 世帯員 row's 世帯ID comes from its household, never from a column of the list."""
    return not (tab == schema.MEMBERS and column == "世帯ID")


def targets(kind: Kind) -> list[Target]:
    """Every contract column a list of this kind may fill."""
    return [Target(tab, c.name) for tab in kind.tabs for c in schema.TABS_BY_NAME[tab].columns if _fillable(tab, c.name)]


def _text(value: object) -> str:
    return "" if cells.is_blank(value) else cells.nfkc(value)


def header_row(rows: list[list], kind: Kind) -> int:
    """The 0-based row of the header: the first (of the top rows) where two or more cells name a
    column of the kind's tabs, else the first row with two or more filled cells."""
    top = rows[:HEADER_SEARCH_ROWS]
    for i, row in enumerate(top):
        if sum(1 for v in row if _exact(v, kind) is not None) >= 2:
            return i
    return next((i for i, row in enumerate(top) if sum(1 for v in row if _text(v)) >= 2), 0)


def _exact(heading: object, kind: Kind) -> Target | None:
    for tab in kind.tabs:
        column = schema.list_heading_column(schema.TABS_BY_NAME[tab], heading)
        if column is not None and _fillable(tab, column.name):
            return Target(tab, column.name)
    return None


def _close(heading: object, kind: Kind) -> Target | None:
    key = schema.header_key(heading)
    if not key:
        return None
    best, score = None, CLOSE
    for target in targets(kind):
        column = schema.TABS_BY_NAME[target.tab].column(target.column)
        for name in (column.name, *column.aliases):
            ratio = difflib.SequenceMatcher(None, key, schema.header_key(name)).ratio()
            if ratio >= score:
                best, score = target, ratio
    return best


def propose(headings: list, kind: Kind, saved: dict[str, str] | None = None) -> list[Target | None]:
    """A contract column for each column of the list (None: left out): a saved mapping's choice
    for that heading first, then the contract's names and aliases, then a close spelling; each
    contract column is proposed once (the leftmost heading wins)."""
    by_label = {t.label: t for t in targets(kind)}
    out, used = [], set()
    for heading in headings:
        if saved and schema.header_key(heading) in saved:       # "" : the person left it out
            found = by_label.get(saved[schema.header_key(heading)])
        else:
            found = _exact(heading, kind) or _close(heading, kind)
        if found in used:
            found = None
        used.add(found)
        out.append(found)
    return out


@dataclass
class Row:
    """One row of the list as it would go in: the sheet row number, the values per tab (parsed),
    the problems (column heading → message), and why it looks like a household already there."""

    number: int
    values: dict[str, dict]
    problems: dict[str, str] = field(default_factory=dict)
    duplicate: str = ""

    @property
    def usable(self) -> bool:
        return not self.problems


@dataclass
class Preview:
    kind: Kind
    rows: list[Row]
    unmapped: list[str]

    def counts(self) -> dict[str, int]:
        return {"行": len(self.rows), "取り込める": sum(r.usable and not r.duplicate for r in self.rows),
                "重複の疑い": sum(r.usable and bool(r.duplicate) for r in self.rows),
                "直すところ": sum(not r.usable for r in self.rows)}


def preview(rows: list[list], header: int, mapping: list[Target | None], kind: Kind, workbook: Workbook,
            today: dt.date, defaults: dict | None = None) -> Preview:
    """Every data row below `header` as it would go in, each cell parsed by the reader's rules;
    `defaults`: what every row gets where the list has no such column (the 同意 chosen for the file),
    over the kind's own. Problems name each column by its heading as typed in the list."""
    headings = [("" if cells.is_blank(h) else str(h).strip()) or f"{i + 1}列目"
                for i, h in enumerate(rows[header] if header < len(rows) else [])]
    main = kind.tabs[0]
    out = []
    for number, row in enumerate(rows[header + 1:], start=header + 2):
        if all(cells.is_blank(v) for v in row):
            continue
        item, failed = Row(number, {tab: {} for tab in kind.tabs}), set()
        for i, target in enumerate(mapping):
            if target is None or i >= len(row) or cells.is_blank(row[i]):
                continue
            try:
                item.values[target.tab][target.column] = parse_cell(target.tab, target.column, row[i])
            except cells.CellError as e:
                item.problems[headings[i] if i < len(headings) else f"{i + 1}列目"] = f"「{_text(row[i])[:40]}」: {e}"
                failed.add(target)
        values = item.values[main]
        for column, default in {**kind.defaults, **(defaults or {})}.items():
            values.setdefault(column, default)
        for column in schema.TABS_BY_NAME[main].columns:
            if Target(main, column.name) in failed:
                continue
            if column.required and column.name not in values and not (kind.first_id and column.type == schema.ID):
                item.problems.setdefault(column.name, f"「{column.name}」がありません（列を割り当てるか、一覧に入れてください）")
        for column in (c for c in schema.TABS_BY_NAME[main].columns if c.type == schema.DATE):
            day = values.get(column.name)
            if isinstance(day, dt.date) and day > today:
                item.problems.setdefault(column.name, f"「{column.name}」が先の日付です（{day:%Y/%m/%d}）")
        out.append(item)
    _flag_duplicates(out, kind, workbook)
    mapped = {i for i, t in enumerate(mapping) if t is not None}
    return Preview(kind, out, [h for i, h in enumerate(headings) if i not in mapped])


def _flag_duplicates(rows: list[Row], kind: Kind, workbook: Workbook) -> None:
    """Rows naming something already in the workbook (same ID; for households the same 表示名 in the
    same 地区), or twice in the list: flagged, never merged. One look-up per row (a list of 10,000
    rows against a town of 10,000 households takes no longer than reading it)."""
    main = kind.tabs[0]
    key = schema.TABS_BY_NAME[main].key[0] if schema.TABS_BY_NAME[main].key else None
    same = agency_key if main == schema.AGENCIES else (lambda v: v)     # one agency however spelled
    existing = {same(v) for v in workbook[main][key]} if key else set()
    named = {}
    if main == schema.HOUSEHOLDS:
        hh = workbook[main]
        named = {(household_name_key(n), a or None): f"{n}（{h}）" for h, n, a in zip(hh["世帯ID"], hh["表示名"], hh["地区"])}
    seen: dict[object, int] = {}
    for row in rows:
        values = row.values[main]
        typed = values.get(key) if key else None
        own = same(typed) if typed is not None else None
        pair = (household_name_key(values["表示名"]), values.get("地区") or None) if values.get("表示名") else None
        if own is not None and own in existing:
            row.duplicate = f"{key}「{typed}」がもうあります"
        elif own is not None and own in seen:
            row.duplicate = f"{key}「{typed}」が一覧の{seen[own]}行目にもあります"
        elif pair is not None and pair in named:
            row.duplicate = f"同じ地区に同じ名前の世帯: {named[pair]}"
        elif pair is not None and pair in seen:
            row.duplicate = f"同じ地区の同じ名前が一覧の{seen[pair]}行目にもあります"
        for mark in (own, pair):
            if mark is not None:
                seen.setdefault(mark, row.number)


def plan(result: Preview, workbook: Workbook, *, taken: set[str], include_duplicates: bool = False) -> tuple[WritePlan, list[Row]]:
    """The appends for the rows that go in (no problem; a flagged row only when the person said it
    is new), with new IDs where the list has none. Returns the plan and the rows it takes."""
    kind, main = result.kind, result.kind.tabs[0]
    key = schema.TABS_BY_NAME[main].key[0] if schema.TABS_BY_NAME[main].key else None
    # (a new ID is never one the file gives another row, held back or not: that person comes in
    # under their own number once their row is corrected)
    ids = set(taken) | {str(r.values[main][key]) for r in result.rows if key and r.values[main].get(key)}
    out, taken_rows = WritePlan(), []
    for row in result.rows:
        if not row.usable or (row.duplicate and not include_duplicates):
            continue
        values = {c: _written(v) for c, v in row.values[main].items()}
        if key and kind.first_id and not values.get(key):
            values[key] = next_id(ids, kind.first_id)
        if key:
            ids.add(values[key])
        out.appends.append(NewRow(main, values, unique=key))
        for tab in kind.tabs[1:]:
            extra = {c: _written(v) for c, v in row.values[tab].items()}
            if extra:
                out.appends.append(NewRow(tab, {"世帯ID": values[key], "記号": extra.pop("記号", FIRST_MEMBER), **extra}))
        taken_rows.append(row)
    return out, taken_rows


def first_rows(rows: list[list], count: int) -> list[list[str]]:
    """The file's first rows as a grid shows them: text as typed (a grid is not HTML: nothing to
    escape), blanks (None, NaN) blank, every row as wide as the widest."""
    shown = [["" if cells.is_blank(v) else str(v) for v in row] for row in rows[:count]]
    width = max((len(r) for r in shown), default=0)
    return [r + [""] * (width - len(r)) for r in shown]


def _written(value):
    """A parsed value as the write path takes it (lists as tuples)."""
    return tuple(value) if isinstance(value, list) else value


def mapping_to_save(headings: list, mapping: list[Target | None]) -> dict[str, str]:
    """A mapping kept by heading (so next month's list, with its columns moved, maps the same);
    a column left out is kept as "" so that it stays out."""
    return {schema.header_key(h): (t.label if t is not None else "") for h, t in zip(headings, mapping)
            if schema.header_key(h)}
