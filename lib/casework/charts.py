"""Altair charts for プラン進捗 / 実施計画, readable on a projector (large labels). No streamlit here."""
from __future__ import annotations

import altair as alt
import pandas as pd

from lib.workbook import schema

# Colours per 段階 and 会議種別 (kept in one table so every chart agrees):
STAGE_COLOURS = {"受付": "#90caf9", "アセスメント": "#42a5f5", "プラン作成": "#1e88e5", "支援中": "#1565c0",
                 "見守り": "#ec407a", "終結": "#9e9e9e", "中断": "#616161"}
MEETING_COLOURS = {schema.SHIEN_KAIGI: "#ec407a", schema.JUSOU_KAIGI: "#1565c0", schema.TEIREI_KAIGI: "#43a047",
                   schema.DAIHYO_KAIGI: "#fb8c00"}
LABEL_SIZE, TITLE_SIZE = 14, 16


def _style(chart: alt.Chart, title: str) -> alt.Chart:
    return (chart.properties(title=title, height=280)
            .configure_axis(labelFontSize=LABEL_SIZE, titleFontSize=TITLE_SIZE)
            .configure_legend(labelFontSize=LABEL_SIZE, titleFontSize=TITLE_SIZE)
            .configure_title(fontSize=TITLE_SIZE + 2))


def monthly_flow(data: pd.DataFrame) -> alt.Chart:
    """Grouped bars: new cases and closures per month."""
    chart = alt.Chart(data).mark_bar().encode(
        x=alt.X("月:N", title=None, sort=list(dict.fromkeys(data["月"]))),
        xOffset="区分:N", y=alt.Y("世帯数:Q", title="世帯数"),
        color=alt.Color("区分:N", scale=alt.Scale(domain=["新規受付", "終結"], range=["#1e88e5", "#9e9e9e"])),
        tooltip=["月", "区分", "世帯数"])
    return _style(chart, "月ごとの新規受付と終結")


def meetings_per_month(data: pd.DataFrame) -> alt.Chart:
    """Stacked bars: meetings held per month by 種別."""
    chart = alt.Chart(data).mark_bar().encode(
        x=alt.X("月:N", title=None, sort=list(dict.fromkeys(data["月"]))), y=alt.Y("回数:Q", title="回数"),
        color=alt.Color("種別:N", scale=alt.Scale(domain=list(MEETING_COLOURS), range=list(MEETING_COLOURS.values()))),
        tooltip=["月", "種別", "回数"])
    return _style(chart, "月ごとの会議")


def stages_over_time(data: pd.DataFrame, estimated: bool = False) -> alt.Chart:
    """Stacked bars: households by 段階 at each month end (marked 推計 when drawn without 段階履歴)."""
    chart = alt.Chart(data).mark_bar().encode(
        x=alt.X("月:N", title=None, sort=list(dict.fromkeys(data["月"]))), y=alt.Y("世帯数:Q", title="世帯数"),
        color=alt.Color("段階:N", sort=list(schema.STAGES),
                        scale=alt.Scale(domain=list(STAGE_COLOURS), range=list(STAGE_COLOURS.values()))),
        order=alt.Order("段階順:Q"), tooltip=["月", "段階", "世帯数"]).transform_calculate(
        段階順=f"indexof({list(schema.STAGES)}, datum['段階'])")
    return _style(chart, "月末ごとの段階別世帯数" + ("（推計: 段階履歴タブがありません）" if estimated else ""))


def issue_frequency(data: pd.DataFrame) -> alt.Chart:
    """Horizontal bars: 課題 by the number of active households carrying it."""
    chart = alt.Chart(data).mark_bar(color="#1565c0").encode(
        y=alt.Y("課題:N", sort="-x", title=None, axis=alt.Axis(labelOverlap=False, labelLimit=240)),
        x=alt.X("世帯数:Q", title="世帯数"), tooltip=["課題", "世帯数"])
    return _style(chart, "課題ごとの世帯数（支援中）").properties(height=max(120, 24 * len(data)))


def resource_map(points: pd.DataFrame, centres: pd.DataFrame) -> alt.LayerChart:
    """The tile-free map: resources as dots coloured by 種別 on a Mercator projection, 地区 names at
    their centres. Needs no network (no basemap tiles)."""
    from lib.casework.resources import KIND_COLOURS
    shown = [c for c in ("名称", "種別", "件数", "住所", "開設日時", "電話", "対象") if c in points.columns]
    points = points[[*shown, "緯度", "経度"]]           # only what the map shows reaches the browser
    size = (alt.Size("件数:Q", scale=alt.Scale(zero=False, range=[160, 900]), legend=alt.Legend(title="件数", format="d"))
            if "件数" in points.columns else alt.value(160))     # dots merged by resources.thin
    base = alt.Chart(points).mark_circle(opacity=0.85, stroke="#ffffff", strokeWidth=1).encode(
        longitude="経度:Q", latitude="緯度:Q", size=size,
        color=alt.Color("種別:N", scale=alt.Scale(domain=list(KIND_COLOURS), range=list(KIND_COLOURS.values())),
                        legend=alt.Legend(title="種別", orient="right")),
        tooltip=[alt.Tooltip(f"{c}:{'Q' if c == '件数' else 'N'}") for c in shown])
    labels = alt.Chart(centres).mark_text(fontSize=18, fontWeight="bold", color="#37474f", dy=-14).encode(
        longitude="経度:Q", latitude="緯度:Q", text="地区名:N")
    marks = alt.Chart(centres).mark_point(shape="cross", size=120, color="#37474f").encode(
        longitude="経度:Q", latitude="緯度:Q")
    return (alt.layer(base, marks, labels).project("mercator").properties(height=520, title="社会資源マップ")
            .configure_legend(labelFontSize=LABEL_SIZE, titleFontSize=TITLE_SIZE)
            .configure_title(fontSize=TITLE_SIZE + 2).configure_view(stroke="#cfd8dc"))


def as_table(data: pd.DataFrame, across: str | None) -> pd.DataFrame:
    """A chart's long-form figures as the table shown beside it: one row a month (or a 課題), one
    column for each of `across` (区分, 種別, 段階) — the same numbers the bars are drawn from."""
    if across is None:
        return data.reset_index(drop=True)
    index, value = data.columns[0], data.columns[-1]
    table = data.pivot_table(index=index, columns=across, values=value, aggfunc="sum", sort=False, fill_value=0)
    return table.reindex(columns=list(dict.fromkeys(data[across]))).reset_index().rename_axis(columns=None)

