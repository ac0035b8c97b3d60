"""A blank workbook for a new town, made from the schema (the one description of the contract).

    python -m lib.workbook.new 〇〇町_つなぐボード.xlsx --town 〇〇町

Every tab of the contract with its header row (frozen, widths that fit, 和暦 date format on date
columns), an Excel list (data validation) on every column with fixed words and on every reference
to another tab (主担当機関 → the 機関 tab's names, 地区 → the 地区 tab's names), each column's hint as
the list's input message, and a first tab 「はじめに」: what each tab is for, which columns are
required, and an example row (from the bundled sample town, so the example is a row the app reads).
"""
from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

from lib.workbook import schema

GUIDE = "はじめに"
# Rows the lists and formats cover (a town's 世帯 tab stays well below this):
ROWS = 5000
# Excel's limits for a validation: a list written in the formula, an input message and its title:
LIST_CHARS, PROMPT_CHARS, TITLE_CHARS = 255, 255, 32
DATE_FORMAT = '[$-ja-JP-x-gannen]ggge"年"m"月"d"日"'
TIME_FORMAT = "h:mm"
WIDTHS = {schema.DATE: 16, schema.TIME: 8, schema.INT: 8, schema.FLOAT: 10, schema.ENUM: 12, schema.ID: 12}
FREE_TEXT_WIDTH, TEXT_WIDTH = 40, 18
SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "midori_town.xlsx"


def _letter(i: int) -> str:
    from openpyxl.utils import get_column_letter
    return get_column_letter(i + 1)


def _quoted(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


def _in_schema_order(tab: str, column: str) -> tuple[str, int]:
    """Where a blank workbook has a column: its tab's title and the column's 0-based index."""
    return tab, schema.TABS_BY_NAME[tab].column_names.index(column)


def _list_of(column: schema.Column, locate=_in_schema_order) -> tuple[str, tuple[str, ...] | str] | None:
    """What a column's list offers: ("words", the fixed words or vocabulary) or ("range", the other
    tab's names as an A1 range); None when the column has no list. `locate(tab, column)` says
    where that tab and column are in this workbook (title, 0-based index)."""
    if column.references:
        title, index = locate(*column.references.split("."))
        letter = _letter(index)
        return "range", f"{_quoted(title)}!${letter}$2:${letter}${ROWS}"
    words = column.allowed or column.vocabulary
    return ("words", words) if words else None


def strict(column: schema.Column) -> bool:
    """Whether a column's list refuses other values: fixed words and single references do; a
    vocabulary (課題) and a list of references (参加機関) offer their words and take others too
    (a cell may hold several, 「、」 between)."""
    return bool(column.allowed) or (bool(column.references) and column.type not in (schema.LIST, schema.IDLIST))


def column_rule(column: schema.Column, locate=_in_schema_order) -> tuple[str, bool] | None:
    """The Excel validation of a column: (list formula, strict), or None: no list for this column."""
    found = _list_of(column, locate)
    if found is None:
        return None
    kind, what = found
    if kind == "range":
        return "=" + what, strict(column)
    listed = '"' + ",".join(what) + '"'
    return (listed, strict(column)) if len(listed) <= LIST_CHARS else None


def sheets_rule(column: schema.Column, locate=_in_schema_order) -> dict | None:
    """The same list as a Google Sheets DataValidationRule (None: the column has no list)."""
    found = _list_of(column, locate)
    if found is None:
        return None
    kind, what = found
    condition = ({"type": "ONE_OF_RANGE", "values": [{"userEnteredValue": "=" + what}]} if kind == "range"
                 else {"type": "ONE_OF_LIST", "values": [{"userEnteredValue": w} for w in what]})
    return {"condition": condition, "inputMessage": input_message(column), "strict": strict(column),
            "showCustomUi": True}


def sheets_requests(missing_tabs: list[str], missing_headings: dict[str, tuple[int, int, list[str]]],
                    first_id: int, locate) -> list[dict]:
    """The requests of one spreadsheets.batchUpdate that completes a town's Google spreadsheet: each
    missing tab added (row 1 frozen) with its header row, the missing headings of an existing tab
    (sheetId, first free column, names) written after its last heading, and the blank workbook's
    lists on every column written. `locate(tab, column)` → (title, 0-based index) as the
    spreadsheet will have it."""
    requests, columns = [], []
    for n, name in enumerate(missing_tabs):
        sheet_id, tab = first_id + n, schema.TABS_BY_NAME[name]
        requests.append({"addSheet": {"properties": {"title": name, "sheetId": sheet_id,
                                                     "gridProperties": {"frozenRowCount": 1}}}})
        requests.append(_heading_cells(sheet_id, 0, tab.column_names))
        columns += [(sheet_id, i, c) for i, c in enumerate(tab.columns)]
    for name, (sheet_id, free, names) in missing_headings.items():
        requests.append(_heading_cells(sheet_id, free, names))
        tab = schema.TABS_BY_NAME[name]
        columns += [(sheet_id, free + i, tab.column(n)) for i, n in enumerate(names)]
    for sheet_id, index, column in columns:
        rule = sheets_rule(column, locate)
        if rule is not None:
            requests.append({"setDataValidation": {"range": {
                "sheetId": sheet_id, "startRowIndex": 1, "endRowIndex": ROWS,
                "startColumnIndex": index, "endColumnIndex": index + 1}, "rule": rule}})
    return requests


def _heading_cells(sheet_id: int, column: int, names: list[str]) -> dict:
    return {"updateCells": {"start": {"sheetId": sheet_id, "rowIndex": 0, "columnIndex": column},
                            "rows": [{"values": [{"userEnteredValue": {"stringValue": n}} for n in names]}],
                            "fields": "userEnteredValue"}}


def input_message(column: schema.Column) -> str:
    """What the cell says when it is selected: the column's hint, its words, where its values come from."""
    parts = [column.hint] if column.hint else []
    if column.allowed:
        parts.append("選ぶ: " + "／".join(column.allowed))
    elif column.vocabulary:
        parts.append("例: " + "、".join(column.vocabulary[:6]) + "（複数は「、」で区切る）")
    if column.references:
        tab, name = column.references.split(".")
        parts.append(f"「{tab}」タブの{name}にあるもの")
    if column.required:
        parts.append("必須")
    return "。".join(parts)[:PROMPT_CHARS]


# The sample town's name, which the examples of a new town's blank workbook never show:
SAMPLE_TOWN, NEUTRAL_TOWN = "みどり町", "〇〇町"


def _examples() -> dict[str, list]:
    """The first row of each tab of the bundled sample town (header → value), as an example, with
    the sample town's name made neutral (〇〇町役場, not みどり町役場)."""
    if not SAMPLE.exists():
        return {}
    from lib.workbook.sources import read_excel
    raw = read_excel(SAMPLE)
    out = {}
    for title in raw:
        rows = raw[title]
        if len(rows) > 1:
            out[title] = {k: v.replace(SAMPLE_TOWN, NEUTRAL_TOWN) if isinstance(v, str) else v
                          for k, v in zip(rows[0], rows[1])}
    return out


def _show(value) -> str:
    import datetime as dt
    from lib.workbook.cells import to_wareki
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return to_wareki(value)
    if isinstance(value, dt.time):
        return f"{value:%H:%M}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def guide_rows(town: str) -> list[list[str]]:
    """The 「はじめに」 tab, row by row."""
    examples = _examples()
    rows = [[f"{town} つなぐボード（重層的支援体制整備事業）"],
            ["このファイルは、つなぐボードが読む町のシートのひな形です。1行目の見出しは変えずに、2行目から入力してください。"],
            ["はじめる順番: ①機関 と 地区 を入れる → ②世帯（と世帯員）を入れる、または今ある一覧をアプリの「取り込み」で入れる"
             " → ③アプリでユーザーを作る → ④このファイルは事務局だけが開けるところに置く"],
            ["選ぶ欄（段階・同意・緊急度 など）はセルの右の▼から選べます。日付は 令和7年4月1日・R7.4.1・2025/4/1 のどれでも入ります。"],
            [],
            ["タブ", "何を入れるか", "必須のタブ", "必須の列", "入力の例（見本の町の1行目）"]]
    for tab in schema.TABS:
        example = examples.get(tab.name, {})
        shown = "　".join(f"{c.name}: {_show(example.get(c.name))}" for c in tab.columns
                         if _show(example.get(c.name)) and not c.free_text)
        rows.append([tab.name, tab.description, "必須" if tab.required else "",
                     "、".join(c.name for c in tab.columns if c.required), shown])
    return rows


def blank(town: str) -> bytes:
    """The blank workbook for `town`, as .xlsx bytes."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    from lib.workbook.export import neutralise

    book = Workbook()
    guide = book.active
    guide.title = GUIDE
    for row in guide_rows(town):          # text only, formula-safe like every export (a town name may be typed)
        guide.append([neutralise(v) for v in row])
    guide["A1"].font = Font(bold=True, size=14)
    for cell in guide[6]:
        cell.font = Font(bold=True)
    for letter, width in zip("ABCDE", (14, 40, 10, 36, 90)):
        guide.column_dimensions[letter].width = width
    for row in guide.iter_rows(min_row=7):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    heading = PatternFill("solid", fgColor="DDEBF7")
    for tab in schema.TABS:
        sheet = book.create_sheet(tab.name)
        sheet.append(tab.column_names)
        sheet.freeze_panes = "A2"
        for i, column in enumerate(tab.columns):
            letter = _letter(i)
            cell = sheet.cell(row=1, column=i + 1)
            cell.font = Font(bold=True, color="C00000" if column.required else "000000")
            cell.fill = heading
            width = FREE_TEXT_WIDTH if column.free_text else WIDTHS.get(column.type, TEXT_WIDTH)
            sheet.column_dimensions[letter].width = max(width, len(column.name) * 2 + 2)
            if column.type == schema.DATE:
                sheet.column_dimensions[letter].number_format = DATE_FORMAT
            elif column.type == schema.TIME:
                sheet.column_dimensions[letter].number_format = TIME_FORMAT
            rule = column_rule(column)
            message = input_message(column)
            if rule is None and not message:
                continue
            if rule is None:
                check = DataValidation(allow_blank=True, showErrorMessage=False)
            else:
                formula, strict = rule
                check = DataValidation(type="list", formula1=formula, allow_blank=True, showErrorMessage=strict,
                                       errorTitle="選べない値です"[:TITLE_CHARS],
                                       error="▼の一覧から選んでください。" if strict else None)
            check.promptTitle, check.prompt, check.showInputMessage = column.name[:TITLE_CHARS], message, bool(message)
            check.add(f"{letter}2:{letter}{ROWS}")
            sheet.add_data_validation(check)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lib.workbook.new", description="新しい町のつなぐボード用ひな形を作る")
    parser.add_argument("out", help="作るファイル（.xlsx）")
    parser.add_argument("--town", default="〇〇町", help="町の名前（はじめにタブの見出し）")
    args = parser.parse_args(argv)
    out = Path(args.out)
    if out.exists():
        print(f"{out} はもうあります。上書きしません（別の名前にしてください）", file=sys.stderr)
        return 1
    out.write_bytes(blank(args.town))
    print(f"{out} を作りました（{len(schema.TABS)}タブ）。まず「機関」と「地区」を入れてください。")
    return 0



# ---------------------------------------------------------------- completing a town's Google spreadsheet

def missing_parts(workbook) -> tuple[list[str], dict[str, list[str]]]:
    """The contract's tabs a workbook lacks, and the headings each tab it has lacks."""
    tabs = [t.name for t in schema.TABS if not workbook.has(t.name)]
    headings = {t.name: [c for c in t.column_names if not workbook.has(t.name, c)]
                for t in schema.TABS if workbook.has(t.name)}
    return tabs, {tab: names for tab, names in headings.items() if names}


def complete_sheets(config, workbook) -> tuple[list[str], dict[str, list[str]]]:
    """Add to the town's Google spreadsheet, in one batchUpdate, the tabs and headings it lacks
    (with the blank workbook's lists); nothing it has is moved or overwritten. Returns what was added."""
    from lib.workbook import sources
    tabs, headings = missing_parts(workbook)
    if not tabs and not headings:
        return [], {}

    def locate(tab: str, column: str) -> tuple[str, int]:
        if tab in tabs:
            return _in_schema_order(tab, column)
        header = workbook.headers[tab]
        if column in header.positions:
            return workbook.titles[tab], header.positions[column]
        return workbook.titles[tab], header.free + headings[tab].index(column)

    def requests(ids: dict[str, int]) -> list[dict]:
        gone = [workbook.titles[t] for t in headings if workbook.titles[t] not in ids]
        if gone or set(tabs) & set(ids):
            raise sources.WriteRefused("読み込んだ後にタブが変わっています。何も変えていません。",
                                       "「最新の情報に更新」を押してから、もう一度お試しください。")
        return sheets_requests(tabs, {t: (ids[workbook.titles[t]], workbook.headers[t].free, names)
                                      for t, names in headings.items()}, max(ids.values(), default=0) + 1, locate)

    sources.sheets_batch_update(config, requests)
    return tabs, headings


if __name__ == "__main__":
    sys.exit(main())