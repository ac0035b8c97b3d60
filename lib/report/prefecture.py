"""The prefecture's view: a town's report as one tidy CSV (県への提出用), and several towns' CSVs
combined into one workbook — one table per 指標, towns side by side, 年度 over 年度, with charts.
Only printed figures travel (small counts already hidden by lib.report.mask)."""
from __future__ import annotations

import csv
import io
import re

import altair as alt
import pandas as pd

from lib.report import mask
from lib.report.figures import Report
from lib.workbook.cells import fiscal_label
from lib.workbook.export import neutralise, text_stays_text

COLUMNS = ("町名コード", "町名", "年度", "事業", "指標", "値")
# A table's cell is one 指標 named 「表の名前｜行｜列」:
PART = "｜"
# The sample town's code (prefecture 99 does not exist, so it never meets a real town's):
SAMPLE_TOWN_CODE = "999997"
ENCODING = "utf-8-sig"          # Excel on a Japanese PC opens it without garbling
# What a value may be: a number (12, 3.8, 1,234), 3未満, a range (12〜14), —, or — with a reason:
VALUE = re.compile(rf"^(-?[\d,]+(\.\d+)?|{mask.SMALL}|[\d,]+〜[\d,]+|{mask.HIDDEN}(（.*）)?)$")


class Refused(Exception):
    """A file that cannot be combined, said in Japanese (which file, what is wrong, what to do)."""


def rows(report: Report, code: str) -> list[dict]:
    """The report's printed figures, one row each: every 指標 of every 事業, then every table cell."""
    out = []
    for section in report.sections:
        base = {"町名コード": code, "町名": report.town, "年度": report.year, "事業": section.programme}
        out += [{**base, "指標": m.name, "値": m.shown["今年度"]} for m in section.measures]
        for table in section.tables:
            label = table.shown.columns[0]
            for record in table.shown.to_dict("records"):
                out += [{**base, "指標": PART.join((table.title, str(record[label]), str(column))), "値": record[column]}
                        for column in table.shown.columns[1:]]
    return out


def to_csv(report: Report, code: str) -> bytes:
    """県への提出用（CSV）: 町名コード, 町名, 年度, 事業, 指標, 値 — nothing else."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows({k: neutralise(v) if isinstance(v, str) else v for k, v in r.items()} for r in rows(report, code))
    return buffer.getvalue().encode(ENCODING)


# ---------------------------------------------------------------- combining towns

def read(name: str, data: bytes) -> pd.DataFrame:
    """One town's CSV as a table, or Refused saying what is wrong with it."""
    try:
        text = data.decode(ENCODING)
    except UnicodeDecodeError:
        raise Refused(f"{name}: つなぐボードの「県への提出用（CSV）」ではありません（文字コードが UTF-8 ではありません）。"
                      "町から届いたファイルをそのまま使ってください。") from None
    found = list(csv.reader(io.StringIO(text)))
    if not found or tuple(h.strip() for h in found[0]) != COLUMNS:
        head = "、".join(found[0][:6]) if found else "（空のファイル）"
        raise Refused(f"{name}: つなぐボードの「県への提出用（CSV）」ではありません。1行目は「{'、'.join(COLUMNS)}」のはずが、"
                      f"「{head}」です。")
    body = [r for r in found[1:] if any(c.strip() for c in r)]
    if not body:
        raise Refused(f"{name}: 見出しだけで、数がありません。")
    for n, r in enumerate(body, start=2):
        if len(r) != len(COLUMNS):
            raise Refused(f"{name}: {n}行目の列の数が {len(r)} です（{len(COLUMNS)} のはず）。ファイルが壊れています。")
        code, _, year, _, _, value = (c.strip() for c in r)
        if not re.fullmatch(r"\d{6}", code):
            raise Refused(f"{name}: {n}行目の町名コード「{code}」が6桁の数字ではありません。")
        if not re.fullmatch(r"\d{4}", year):
            raise Refused(f"{name}: {n}行目の年度「{year}」が西暦の年度（例 2025）ではありません。")
        if not VALUE.match(value.lstrip("'")):
            raise Refused(f"{name}: {n}行目の値「{value[:20]}」は、数・「{mask.SMALL}」・幅（12〜14）・「{mask.HIDDEN}」のどれでもありません。")
    frame = pd.DataFrame([[c.strip() for c in r] for r in body], columns=list(COLUMNS))
    frame["年度"] = frame["年度"].astype(int)
    frame["値"] = frame["値"].str.lstrip("'")
    if frame["町名コード"].nunique() > 1:
        raise Refused(f"{name}: 1つのファイルに {frame['町名コード'].nunique()} つの町（{'、'.join(frame['町名コード'].unique())}）"
                      "が入っています。町ごとのファイルにしてください。")
    return frame.assign(ファイル=name)


def combine(files: list[tuple[str, bytes]]) -> pd.DataFrame:
    """Several towns' CSVs as one table; Refused for a file of another format, or when two files
    hold the same town's same 年度."""
    if not files:
        raise Refused("町のファイルがありません。")
    frames = [read(name, data) for name, data in files]
    seen: dict[tuple[str, int], str] = {}
    for frame in frames:
        town, name = frame["町名コード"].iloc[0], frame["ファイル"].iloc[0]
        for year in sorted(frame["年度"].unique()):
            if (town, year) in seen:
                raise Refused(f"{seen[(town, year)]} と {name} は、どちらも {frame['町名'].iloc[0]}（{town}）の"
                              f"{fiscal_label(int(year))}です。同じ町の同じ年度は1つのファイルにしてください。")
            seen[(town, year)] = name
    return pd.concat(frames, ignore_index=True)


def _number(value: str):
    plain = value.replace(",", "")
    return float(plain) if re.fullmatch(r"-?\d+(\.\d+)?", plain) else None


def _towns(tidy: pd.DataFrame) -> list[str]:
    first = tidy.drop_duplicates("町名コード")
    return [f"{n}（{c}）" for c, n in zip(first["町名コード"], first["町名"])]


def tables(tidy: pd.DataFrame) -> dict[tuple[str, str], pd.DataFrame]:
    """(事業, 指標) → 年度 over 年度 (rows), towns side by side (columns), values as the towns printed them."""
    tidy = tidy.assign(町=[f"{n}（{c}）" for c, n in zip(tidy["町名コード"], tidy["町名"])])
    towns = _towns(tidy)
    out = {}
    for (programme, indicator), part in tidy.groupby(["事業", "指標"], sort=False):
        wide = part.pivot_table(index="年度", columns="町", values="値", aggfunc="first").reindex(columns=towns)
        wide = wide.reset_index().fillna(mask.HIDDEN)
        wide.columns.name = None
        wide["年度"] = [fiscal_label(int(y)) for y in wide["年度"]]
        out[(programme, indicator)] = wide
    return out


def chart(indicator: str, wide: pd.DataFrame) -> alt.Chart | None:
    """Grouped bars of one 指標: towns side by side per 年度 (figures printed as a number only)."""
    long = wide.melt(id_vars="年度", var_name="町", value_name="値")
    long["数"] = [_number(str(v)) for v in long["値"]]
    long = long.dropna(subset=["数"])
    if long.empty:
        return None
    return alt.Chart(long).mark_bar().encode(
        x=alt.X("年度:N", title=None, axis=alt.Axis(labelAngle=0, labelExpr="split(datum.label, '（')[0]")), xOffset="町:N", y=alt.Y("数:Q", title=None), color=alt.Color("町:N", title="町"),
    ).properties(title=indicator, width=360, height=160)


def to_xlsx(tidy: pd.DataFrame) -> bytes:
    """The prefecture's workbook: 「町」 (which file is which town), 「指標」 (one table and chart per
    指標, by 事業) and 「内訳」 (the towns' tables, cell by cell)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from lib.report.documents import chart_png, place_chart

    book = Workbook()
    towns = book.active
    towns.title = "町"
    towns.append(["町名コード", "町名", "年度", "ファイル"])
    for (code, name, file), part in tidy.groupby(["町名コード", "町名", "ファイル"], sort=False):
        towns.append([code, neutralise(name), "、".join(fiscal_label(int(y)) for y in sorted(part["年度"].unique())),
                      neutralise(file)])
    figures = book.create_sheet("指標")
    details = book.create_sheet("内訳")
    figures.append([f"{len(_towns(tidy))}町の実施状況（{mask.SMALL}・幅・{mask.HIDDEN} は町が書いたとおり）"])
    figures["A1"].font = Font(size=14, bold=True)
    detail_header = False
    for (programme, indicator), wide in tables(tidy).items():
        if PART in indicator:
            if not detail_header:
                details.append(["事業", "表", "行", "列", *list(wide.columns)])
                detail_header = True
            table_name, row, column = indicator.split(PART, 2)
            for record in wide.values:
                details.append([programme, table_name, row, column, *[_cell(v) for v in record]])
            continue
        figures.append([])
        figures.append([f"{programme}　{indicator}"])
        figures.cell(figures.max_row, 1).font = Font(bold=True)
        top = figures.max_row + 1
        figures.append(list(wide.columns))
        for record in wide.values:
            figures.append([_cell(v) for v in record])
        drawn = chart(indicator, wide)
        if drawn is not None:
            place_chart(figures, chart_png(drawn), f"{chr(ord('A') + len(wide.columns) + 1)}{top}", len(wide) + 1)
    for sheet in (towns, figures, details):
        sheet.column_dimensions["A"].width = 22
        for letter in "BCDEFGHIJ":
            sheet.column_dimensions[letter].width = 18
        text_stays_text(sheet)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _cell(value):
    """A printed figure as a cell: a number as a number (Excel can sum it), anything else as text."""
    number = _number(str(value))
    if number is None:
        return neutralise(str(value))
    return int(number) if number.is_integer() else number
