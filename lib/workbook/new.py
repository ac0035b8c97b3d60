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


def column_rule(column: schema.Column) -> tuple[str, bool] | None:
    """The validation of a column: (list formula, strict). Fixed words are strict; a reference
    lists the other tab's names (strict); a vocabulary (課題) offers its words but takes others
    too (a cell may hold several, 「、」 between). None: no list for this column."""
    if column.references:
        tab, col = column.references.split(".")
        letter = _letter(schema.TABS_BY_NAME[tab].column_names.index(col))
        return f"={_quoted(tab)}!${letter}$2:${letter}${ROWS}", column.type != schema.LIST
    words = column.allowed or column.vocabulary
    if not words:
        return None
    listed = '"' + ",".join(words) + '"'
    if len(listed) > LIST_CHARS:
        return None
    return listed, bool(column.allowed)


def input_message(column: schema.Column) -> str:
    """What the cell says when it is selected: the column's hint, its words, where its values come from."""
    parts = [column.hint] if column.hint else []
    if column.allowed:
        parts.append("選ぶ: " + "／".join(column.allowed))
    elif column.vocabulary:
        parts.append("例: " + "、".join(column.vocabulary[:6]) + "（複数は「、」で区切る）")
    if column.references:
        parts.append(f"「{column.references.replace('.', '」タブの')}」にあるもの")
    if column.required:
        parts.append("必須")
    return "。".join(parts)[:PROMPT_CHARS]


def _examples() -> dict[str, list]:
    """The first row of each tab of the bundled sample town (header → value), as an example."""
    if not SAMPLE.exists():
        return {}
    from lib.workbook.sources import read_excel
    raw = read_excel(SAMPLE)
    out = {}
    for title in raw:
        rows = raw[title]
        if len(rows) > 1:
            out[title] = dict(zip(rows[0], rows[1]))
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

    book = Workbook()
    guide = book.active
    guide.title = GUIDE
    for row in guide_rows(town):
        guide.append(row)
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


if __name__ == "__main__":
    sys.exit(main())
