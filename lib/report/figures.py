"""年度の実施状況報告: what the committee reads, one section per 事業 in the 実施計画's order — the
計画指標 of that 事業 (目標値, this 年度, the last, the change, how each was found) and the figures a
committee asks about, every one from the function the screens show it with (lib.casework.indicators,
referrals, resources), with small counts hidden as lib.report.mask says. No names, no 世帯ID, no
free text from the records: only counts, the 計画指標 typed by the town and the 所見 the 係長 wrote.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import altair as alt
import pandas as pd

from lib.casework import charts, indicators, referrals, resources
from lib.report import mask
from lib.report.notes import latest
from lib.workbook import schema
from lib.workbook.cells import fiscal_label, fiscal_year
from lib.workbook.validate import Workbook

# The committee's figures per 事業 (auto-count keys, lib.casework.indicators.count), after the
# 計画指標 rows of that 事業; a key a 計画指標 row already counts is not repeated.
SECTION_KEYS = {
    "包括的相談支援": ("新規相談受付件数", "複合課題世帯数", "終結件数", "中断件数"),
    "参加支援": ("参加支援マッチング件数", "定着件数"),
    "地域づくり": ("社会資源数",),
    "アウトリーチ等継続的支援": ("アウトリーチ件数", "アウトリーチからの受付件数", "アウトリーチ対象世帯数", "訪問件数"),
    "多機関協働": ("支援プラン作成件数", "重層的支援会議開催回数", "支援会議開催回数", "定例会議開催回数", "代表者会議開催回数",
              "つなぎ件数", "つなぎもどし件数", "引継ぎ件数", "受理件数", "差し戻し件数", "平均応答日数"),
}
UNITS = {"複合課題世帯数": "世帯", "アウトリーチ対象世帯数": "世帯", "社会資源数": "か所", "平均応答日数": "日",
         "アウトリーチからの受付件数": "人"}
# Figures that count places, meetings or days, not people or their records (never hidden):
NOT_PERSONAL = ("社会資源数", "平均応答日数")
# How a figure was found, as the report says it:
COUNTED, ESTIMATED, TYPED, NOT_TYPED = "記録から集計", "推計", "手入力", "未入力"
# The units of a typed 計画指標 that count no people (a typed 1 or 2 of these is printed):
PLACE_UNITS = ("か所", "箇所", "回", "日", "%", "％")
GAP_KINDS = resources.CORE_KINDS


@dataclass(frozen=True)
class Measure:
    """One line of a section: a 計画指標 row or one of the committee's figures."""

    name: str
    unit: str
    target: float | None
    this: float | None
    last: float | None
    source: str
    key: str | None = None
    personal: bool = True
    shown: dict = field(default_factory=dict)      # 目標値, 今年度, 前年度, 増減, 達成率 as printed


@dataclass(frozen=True)
class Table:
    """A table of counts (a label column, then counts; a 合計 row last when `total`), as counted
    (`frame`) and as printed (`shown`), and its chart drawn from the printed figures."""

    title: str
    frame: pd.DataFrame
    shown: pd.DataFrame
    chart: alt.Chart | None = None
    note: str = ""


@dataclass(frozen=True)
class Section:
    programme: str
    measures: list[Measure]
    tables: list[Table]
    lines: list[str]           # plain sentences (社会資源の空白)
    text: str                  # the 所見 the 係長 wrote (lib.report.notes)


@dataclass(frozen=True)
class Report:
    town: str
    year: int
    made: dt.date
    sections: list[Section]

    @property
    def title(self) -> str:
        return f"{fiscal_label(self.year).split('（')[0]} 重層的支援体制整備事業 実施状況報告"


# ---------------------------------------------------------------- tables

def _month(label: str) -> str:
    return f"{int(label[5:])}月"


def _wide(long: pd.DataFrame, row: str, column: str, value: str, columns) -> pd.DataFrame:
    frame = long.pivot_table(index=row, columns=column, values=value, aggfunc="sum", sort=False).reindex(columns=list(columns))
    frame = frame.fillna(0).astype(int).reset_index()
    frame.columns.name = None
    return frame


def _table(title: str, frame: pd.DataFrame, personal: bool, total: bool, chart=None, note: str = "") -> Table:
    """A Table: the counts as printed (each cell, and a 合計 row whose cells mask.total gives)."""
    label, counts = frame.columns[0], list(frame.columns[1:])
    shown = frame.copy().astype(object)
    for c in counts:
        shown[c] = [mask.cell(v, personal) for v in frame[c]]
    if total:
        frame = pd.concat([frame, pd.DataFrame([{label: "合計", **{c: int(frame[c].sum()) for c in counts}}])],
                          ignore_index=True)
        shown = pd.concat([shown, pd.DataFrame([{label: "合計", **{c: mask.total(list(frame[c][:-1]), personal)
                                                                  for c in counts}}])], ignore_index=True)
    return Table(title, frame, shown, chart, note)


def _drawn(long: pd.DataFrame, value: str, personal: bool = True) -> pd.DataFrame:
    """The long data a chart draws: months as 4月…, hidden counts not drawn."""
    out = long.copy()
    out["月"] = out["月"].map(_month)
    out[value] = [mask.for_chart(v, personal) for v in out[value]]
    return out


def _sized(chart: alt.Chart) -> alt.Chart:
    return chart.properties(width=440, height=220)


NOT_DRAWN = "グラフには「3未満」の値を描いていません（表をご覧ください）。"


def flow_table(workbook: Workbook, year: int) -> Table:
    long = indicators.monthly_flow(workbook, year)
    wide = _wide(long.assign(月=long["月"].map(_month)), "月", "区分", "世帯数", ("新規受付", "終結"))
    return _table("月ごとの新規相談受付と終結（世帯）", wide, True, True,
                  _sized(charts.monthly_flow(_drawn(long, "世帯数"))), NOT_DRAWN)


def stage_table(workbook: Workbook, year: int, as_of: dt.date) -> Table:
    long = indicators.stages_over_time(workbook, year, as_of)
    wide = _wide(long.assign(月=long["月"].map(_month)), "月", "段階", "世帯数", schema.STAGES)
    estimated = not workbook.has(schema.STAGE_HISTORY)
    note = "段階履歴タブがないため推計です。" if estimated else ""
    return _table("月末ごとの段階別世帯数", wide, True, False,
                  _sized(charts.stages_over_time(_drawn(long, "世帯数"), estimated=estimated)), note + NOT_DRAWN)


def evaluation_table(workbook: Workbook, year: int) -> Table:
    return _table("終結時の評価（目標ごとの達成度）", indicators.closure_evaluations(workbook, year), True, True)


def meeting_table(workbook: Workbook, year: int) -> Table:
    long = indicators.meetings_per_month(workbook, year)
    wide = _wide(long.assign(月=long["月"].map(_month)), "月", "種別", "回数", schema.MEETING_TYPES[:4])
    return _table("月ごとの会議（回）", wide, False, True, _sized(charts.meetings_per_month(_drawn(long, "回数", False))))


def referral_table(workbook: Workbook, year: int) -> Table:
    frame = referrals.by_recipient(workbook, lambda series: indicators.in_year(series, year))
    return _table("機関の間のつなぎ（依頼先ごと・この年度の依頼）", frame, True, True,
                  note="「うち受理」「うち差し戻し」は、この年度に依頼したもののいまの状態です。")


def _tables(workbook: Workbook, programme: str, year: int, as_of: dt.date, totals_only: bool = False) -> list[Table]:
    """A section's tables; `totals_only`: just those whose 合計 a figure is printed as (TOTAL_OF) —
    last year's, so that its figures print as last year's report printed them."""
    if programme == "包括的相談支援":
        return [flow_table(workbook, year)] + ([] if totals_only else [stage_table(workbook, year, as_of),
                                                                        evaluation_table(workbook, year)])
    if programme == "多機関協働":
        return ([] if totals_only else [meeting_table(workbook, year)]) + [referral_table(workbook, year)]
    return []


# A figure that is the 合計 of a table's column: (table title prefix, column) — it is printed as
# that 合計 is, so the two never give a hidden month away together.
TOTAL_OF = {"新規相談受付件数": ("月ごとの新規相談受付", "新規受付"), "終結件数": ("月ごとの新規相談受付", "終結"),
            "つなぎ件数": ("機関の間のつなぎ", "つなぎ"), "つなぎもどし件数": ("機関の間のつなぎ", "つなぎもどし"),
            "引継ぎ件数": ("機関の間のつなぎ", "引継ぎ")}


def _printed_total(tables: list[Table], key: str | None, value) -> str | None:
    if key not in TOTAL_OF:
        return None
    prefix, column = TOTAL_OF[key]
    for t in tables:
        if t.title.startswith(prefix) and len(t.frame) and t.frame.iloc[-1, 0] == "合計" \
                and t.frame[column].iloc[-1] == value:
            return t.shown[column].iloc[-1]
    return None


# ---------------------------------------------------------------- measures

def _first_year(workbook: Workbook) -> int | None:
    received = workbook[schema.HOUSEHOLDS]["受付日"].dropna()
    return fiscal_year(received.min().date()) if len(received) else None


def _measures(workbook: Workbook, programme: str, year: int, as_of: dt.date, done: set[str]) -> list[tuple]:
    """(name, unit, target, this, last, source, key, personal) of each line of a section, before printing."""
    first = _first_year(workbook)
    this_table = indicators.indicator_table(workbook, year, as_of)
    last_table = indicators.indicator_table(workbook, year - 1, as_of)
    out = []
    mine = lambda t: t[t["事業"] == programme]                       # noqa: E731
    names = list(dict.fromkeys([*mine(this_table)["指標"], *mine(last_table)["指標"]]))
    for name in names:
        now = mine(this_table)[mine(this_table)["指標"] == name]
        before = mine(last_table)[mine(last_table)["指標"] == name]
        row = (now if len(now) else before).iloc[0]
        parsed = schema.indicator_key(row["集計"])
        key = parsed[0] if parsed else None
        this = _value(now["実績値"].iloc[0]) if len(now) else (
            indicators.count(workbook, *parsed, year, as_of) if parsed else None)
        last = _value(before["実績値"].iloc[0]) if len(before) else (
            indicators.count(workbook, *parsed, year - 1, as_of) if parsed and first and year - 1 >= first else None)
        source = (ESTIMATED if bool(row["推計"]) else COUNTED) if parsed else (TYPED if this is not None else NOT_TYPED)
        target = _value(now["目標値"].iloc[0]) if len(now) else None
        personal = personal_key(key) if key else (row["単位"] or "") not in PLACE_UNITS
        out.append((name, row["単位"] or "", target, this, last, source, key if parsed and not parsed[1] else None, personal))
        if parsed and not parsed[1]:
            done.add(parsed[0])
    for key in SECTION_KEYS[programme]:
        if key in done:
            continue
        done.add(key)
        this = indicators.count(workbook, key, (), year, as_of)
        last = indicators.count(workbook, key, (), year - 1, as_of) if first and year - 1 >= first else None
        source = ESTIMATED if indicators.estimated(workbook, key) else COUNTED
        unit = UNITS.get(key, "回" if key.endswith("開催回数") else "件")
        out.append((key, unit, None, this, last, source, key, personal_key(key)))
    return out


def personal_key(key: str) -> bool:
    """Whether an auto-count counts people or their records (hidden when 1 or 2); meetings held,
    places and mean days do not."""
    return key not in NOT_PERSONAL and not key.endswith("開催回数")


def _value(v):
    return None if v is None or pd.isna(v) else v


def _answered(workbook: Workbook, year: int, as_of: dt.date) -> int:
    return sum(indicators.count(workbook, k, (), year, as_of) for k in ("受理件数", "差し戻し件数"))


def _printed(m: tuple, tables: dict[int, list[Table]], workbook: Workbook, year: int, as_of: dt.date) -> Measure:
    name, unit, target, this, last, source, key, personal = m
    shown = {}
    for label, value, y in (("今年度", this, year), ("前年度", last, year - 1)):
        printed = _printed_total(tables[y], key, value) if personal else None
        if printed is None:
            printed = mask.cell(value, personal)
        if key == "平均応答日数" and value is not None and mask.small(_answered(workbook, y, as_of)):
            printed = f"{mask.HIDDEN}（応答{mask.SMALL}）"     # the mean of one or two answers is one answer
        shown[label] = printed
    shown["目標値"] = mask.number(target)
    shown["増減"] = mask.change(shown["今年度"], shown["前年度"], this, last)
    shown["達成率"] = mask.rate(shown["今年度"], this, target)
    return Measure(name, unit, target, this, last, source, key, personal, shown)


def _gap_measures(workbook: Workbook) -> tuple[list[Measure], list[str]]:
    """地域づくり: the gaps found (地区 and kinds with no resource) and being filled (開拓中), as they
    stand on the day the report is made (the 社会資源 tab keeps no dates)."""
    now = COUNTED + "（作成日時点）"
    rows = []
    for name, unit, value in (("社会資源のない地区と種類の組み合わせ", "組", resources.gaps(workbook, GAP_KINDS)),
                              ("開拓中の社会資源", "か所", resources.developing(workbook))):
        shown = dict.fromkeys(("目標値", "前年度", "増減", "達成率"), mask.HIDDEN) | {"今年度": mask.number(value)}
        rows.append(Measure(name, unit, None, value, None, now, None, False, shown))
    return rows, resources.gap_summary(workbook, GAP_KINDS)


# ---------------------------------------------------------------- the report

def annual(workbook: Workbook, year: int, as_of: dt.date, town: str) -> Report:
    """The report of one 年度 (as of `as_of`: meetings not yet held are not counted)."""
    texts = latest(workbook, year)
    done: set[str] = set()
    sections = []
    for programme in schema.PROGRAMMES:
        tables = {year: _tables(workbook, programme, year, as_of), year - 1: _tables(workbook, programme, year - 1, as_of, True)}
        measures = [_printed(m, tables, workbook, year, as_of) for m in _measures(workbook, programme, year, as_of, done)]
        lines = []
        if programme == "地域づくり":
            extra, lines = _gap_measures(workbook)
            measures += extra
        sections.append(Section(programme, measures, tables[year], lines, texts.get(programme, "")))
    return Report(town, year, as_of, sections)


MEASURE_COLUMNS = ("指標", "単位", "目標値", "今年度", "前年度", "増減", "達成率", "数え方")


def measure_frame(section: Section) -> pd.DataFrame:
    """A section's measures as printed, one row each (the table of the PDF, the Excel file and the screen)."""
    return pd.DataFrame([{"指標": m.name, "単位": m.unit, **{c: m.shown[c] for c in MEASURE_COLUMNS[2:7]}, "数え方": m.source}
                         for m in section.measures], columns=list(MEASURE_COLUMNS))
