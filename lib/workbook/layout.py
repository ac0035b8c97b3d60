"""Where a save's cells and rows go in the workbook as it is now (the same for both backends): the
tab and header positions, the rows a plan checks as its person saw them, the cells to write and
the rows to append, and what the save did (a WriteResult)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from lib.workbook import schema
from lib.workbook.source import Snapshot, WriteConflict, WriteRefused, WriteResult
from lib.workbook.validate import Header, RawWorkbook, Written, validate
from lib.workbook.writeplan import cell_value, locate

@dataclass
class _Layout:
    """Where a plan's cells go in the sheet as it is now: header positions per tab, the header
    cells and tabs to add first, and the current row of every touched row."""

    titles: dict[str, str]
    headers: dict[str, dict[str, int]]
    rows: dict[tuple[str, str], int]
    new_tabs: list[str] = field(default_factory=list)
    new_headers: list[tuple[str, int, str]] = field(default_factory=list)   # (title, column index, name)


def _tabs_of(plan) -> set[str]:
    return {c.tab for c in plan.changes} | {a.tab for a in plan.appends} | {t for t, _ in plan.expected}


def _layout(plan, snapshot: Snapshot, raw: RawWorkbook | None, same=frozenset(),
            appended: Mapping[str, Written] | None = None) -> _Layout:
    """Check the plan against the sheet as it is now and lay it out; refuses (WriteConflict) when a
    touched row changed or a new ID was taken, and (WriteRefused) when a row it updates has no tab.
    A tab the plan appends to that the sheet lacks is added with the schema's header row, and a
    column it writes that a header lacks is added after the last header cell: nothing moves.
    `raw` is the sheet read again; None when the file is byte for byte the one `snapshot` was
    read from (nobody saved since), so the snapshot is what a re-read would give. `same`: the
    sheets of `raw` whose content is still what `snapshot` converted (their rows are not
    converted again); `appended`: the sheets that only had rows appended since, with those rows
    (only they are converted)."""
    titles = dict(snapshot.workbook.titles)
    present = set(raw) if raw is not None else set(titles.values())
    new_tabs = []
    for tab in sorted(_tabs_of(plan)):
        if tab in titles and titles[tab] in present:
            continue
        if any(c.tab == tab for c in plan.changes) or any(t == tab for t, _ in plan.expected):
            raise WriteRefused(f"「{tab}」タブが見つからないため保存できません。",
                               f"スプレッドシートに「{tab}」タブ（1行目に見出し）を戻してから、もう一度保存してください。")
        if tab in titles.values() or tab in present:
            raise WriteRefused(f"「{tab}」タブを読み込めていないため保存できません。", "「最新の情報に更新」を押してから、もう一度保存してください。")
        titles[tab] = tab
        new_tabs.append(tab)
    fresh = (snapshot.workbook if raw is None
             else validate(_Only(raw, _check_titles(plan, titles)), snapshot.workbook, same, appended))
    found, rows = locate(plan, fresh)
    if found:
        raise WriteConflict(found)
    headers, new_headers = {}, []
    for tab in _tabs_of(plan):
        title = titles[tab]
        if tab in new_tabs:
            header, free = {c: i for i, c in enumerate(schema.TABS_BY_NAME[tab].column_names)}, 0
            new_headers += [(title, i, c) for c, i in header.items()]
        else:
            known = (snapshot.workbook.headers[tab] if raw is None or title in same or title in (appended or {})
                     else Header.of(schema.TABS_BY_NAME[tab], (raw.get(title) or [[]])[0]))
            header, free = dict(known.positions), known.free
        wanted = [c.column for c in plan.changes if c.tab == tab]
        wanted += [c for a in plan.appends if a.tab == tab for c, v in a.values.items() if v not in (None, "", ())]
        for column in dict.fromkeys(wanted):
            if column not in header:
                header[column] = free
                new_headers.append((title, free, column))
                free += 1
        headers[tab] = header
    return _Layout(titles, headers, rows, new_tabs, new_headers)


class _Only(Mapping):
    """The sheets of a raw workbook among `titles`, each read only when asked for (a sheet whose
    appended rows are converted on their own is not read)."""

    def __init__(self, raw: RawWorkbook, titles):
        self._raw, self._titles = raw, [t for t in titles if t in raw]

    def __getitem__(self, title: str) -> list:
        if title not in self._titles:
            raise KeyError(title)
        return self._raw[title]

    def __iter__(self):
        return iter(self._titles)

    def __len__(self) -> int:
        return len(self._titles)


def _check_titles(plan, titles: dict[str, str]) -> list[str]:
    """The sheets a plan's check needs read again: the rows it updates, the tabs where it adds a new
    ID, the records it was decided from (`depends`), and 世帯 (records need their household; 世帯.同意
    is read through 同意記録). A tab it only appends to (経過記録, 段階履歴 …) is not needed: nothing in it is compared."""
    tabs = {t for t, _ in plan.expected} | {c.tab for c in plan.changes} | {a.tab for a in plan.appends if a.unique}
    tabs |= {t for t, *_ in plan.depends} | {schema.HOUSEHOLDS, schema.CONSENTS}
    return [titles[t] for t in sorted(tabs) if t in titles]


def _cells_to_write(plan, layout: _Layout, for_sheets: bool) -> list[tuple[str, int, int, object]]:
    """(sheet title, row, column index, value): added header cells first, then every change."""
    out = [(title, 1, col, name) for title, col, name in layout.new_headers]
    for change in plan.changes:
        out.append((layout.titles[change.tab], layout.rows[(change.tab, change.key)],
                    layout.headers[change.tab][change.column], cell_value(change.new, for_sheets)))
    return out


def _appended_rows(plan, layout: _Layout, for_sheets: bool) -> list[tuple[str, list]]:
    """Each tab's new rows laid out in its own column order, one entry per tab (one append request)."""
    grouped: dict[str, list] = {}
    for new_row in plan.appends:
        header = layout.headers[new_row.tab]
        values = {header[c]: cell_value(v, for_sheets) for c, v in new_row.values.items() if v not in (None, "", ())}
        width = max(values) + 1 if values else 0
        grouped.setdefault(layout.titles[new_row.tab], []).append([values.get(i, "") for i in range(width)])
    return list(grouped.items())


def _written_by_sheet(cells, appends, appended, as_read, unsure=frozenset()) -> dict[str, Written]:
    """What a save wrote into each sheet as a read gives it back (`as_read` of each value sent):
    its cells and its new rows at the rows they went to; a sheet in `unsure` is left out (read)."""
    rows_of = dict(appends)
    out = {}
    for title in ({t for t, *_ in cells} | set(rows_of)) - set(unsure):
        numbers = [n for t, n in appended if t == title]
        out[title] = Written({(row, col): as_read(value) for t, row, col, value in cells if t == title},
                             [(n, [as_read(v) for v in values]) for n, values in zip(numbers, rows_of.get(title, []))])
    return out


def _result(plan, layout: _Layout, written: int, appended: list[tuple[str, int]]) -> WriteResult:
    by_title = {title: tab for tab, title in layout.titles.items()}
    rows = [(c.tab, layout.rows[(c.tab, c.key)]) for c in plan.changes]
    rows += [(by_title.get(title, title), n) for title, n in appended]
    return WriteResult(written, list(dict.fromkeys(rows)), list(layout.new_tabs),
                       [(by_title.get(t, t), name) for t, _, name in layout.new_headers if by_title.get(t, t) not in layout.new_tabs])
