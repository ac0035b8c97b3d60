"""実施計画 indicators: fiscal years, every auto-count on a small town with hand-computed numbers,
typed vs computed, the annual report, and chart specs for empty and full data."""
import datetime as dt

import pandas as pd
import pytest

from lib.casework import charts, indicators
from lib.workbook import schema
from lib.workbook.cells import fiscal_label, fiscal_range, fiscal_year
from lib.workbook.validate import validate

D = dt.date
AS_OF = D(2026, 11, 24)


@pytest.mark.parametrize("day, year", [(D(2026, 3, 31), 2025), (D(2026, 4, 1), 2026), (D(2019, 4, 30), 2019),
                                       (D(2020, 3, 31), 2019), (D(2027, 1, 1), 2026)])
def test_fiscal_year_boundaries(day, year):
    assert fiscal_year(day) == year


@pytest.mark.parametrize("year, label", [(2025, "令和7年度（2025年度）"), (2019, "令和元年度（2019年度）"),
                                         (2018, "平成30年度（2018年度）"), (1988, "昭和63年度（1988年度）")])
def test_fiscal_labels(year, label):
    assert fiscal_label(year) == label


def test_fiscal_range():
    assert fiscal_range(2025) == (D(2025, 4, 1), D(2026, 3, 31))


@pytest.mark.parametrize("text, parsed", [
    ("新規相談受付件数", ("新規相談受付件数", ())), ("  訪問件数 ", ("訪問件数", ())),
    ("社会資源数:サロン・通いの場", ("社会資源数", ("サロン", "通いの場"))), ("社会資源数：サロン", ("社会資源数", ("サロン",))),
    ("社会資源数:温泉", None), ("訪問件数:サロン", None), ("相談件数", None), ("", None), (None, None)])
def test_indicator_keys(text, parsed):
    assert schema.indicator_key(text) == parsed


def small_town():
    """Fiscal year 2025 = 2025-04-01 … 2026-03-31. Counts below are worked out by hand."""
    return validate({
        "世帯": [["世帯ID", "表示名", "課題", "同意", "段階", "受付日", "終結日", "最終接触日"],
                ["H-1", "a", "8050、ひきこもり", "あり", "支援中", "2025/3/31", "", "2026/1/5"],   # before FY, open, 2 課題
                ["H-2", "b", "DV", "あり", "終結", "2025/4/1", "2026/3/31", ""],                # new; closed in FY
                ["H-3", "c", "生活困窮、債務", "あり", "終結", "2024/5/1", "2025/3/31", ""],       # closed before FY
                ["H-4", "d", "不登校、DV", "なし", "見守り", "2026/3/31", "", ""],                # new, outreach, 2 課題
                ["H-5", "e", "住まい", "あり", "中断", "2025/6/1", "", "2025/7/1"],               # new; lost in FY
                ["H-6", "f", "住まい", "不明", "見守り", "2026/4/1", "", ""]],                     # next FY
        "支援プラン": [["世帯ID", "対象", "取組事項", "役割分担", "更新日"],
                   ["H-1", "A氏", "", "みんなの居場所", "2025/3/1"],          # first plan of H-1 before FY
                   ["H-1", "B氏", "参加支援につなぐ", "", "2025/5/1"],         # matching in FY
                   ["H-2", "A氏", "", "社協", "2025/4/10"],                    # H-2's first plan in FY
                   ["H-5", "A氏", "", "みんなの居場所", "2026/4/2"]],          # matching next FY
        "会議": [["会議ID", "種別", "開催日"],
               ["M-1", "重層的支援会議", "2025/4/15"], ["M-2", "重層的支援会議", "2026/3/31"],
               ["M-3", "支援会議", "2025/4/15"], ["M-4", "定例会議", "2026/4/1"], ["M-5", "代表者会議", "2025/11/20"],
               ["M-6", "重層的支援会議", "2026/12/15"]],                                     # not held yet
        "経過記録": [["日付", "世帯ID", "方法"], ["2025/4/1", "H-1", "訪問"], ["2026/3/31", "H-1", "訪問"],
                 ["2025/5/1", "H-1", "電話"], ["2026/4/1", "H-1", "訪問"]],
        "社会資源": [["資源ID", "名称", "種別"], ["R-1", "みんなの居場所", "居場所"], ["R-2", "中央サロン", "サロン"],
                 ["R-3", "東サロン", "サロン"]],
    })


@pytest.mark.parametrize("key, kinds, year, expected", [
    ("新規相談受付件数", (), 2025, 3),          # H-2, H-4, H-5
    ("新規相談受付件数", (), 2024, 2),          # H-1 (3/31), H-3
    ("複合課題世帯数", (), 2025, 2),            # H-1, H-4 (H-3 closed before the FY)
    ("重層的支援会議開催回数", (), 2025, 2),
    ("重層的支援会議開催回数", (), 2026, 0),    # M-6 is after as_of
    ("支援会議開催回数", (), 2025, 1),
    ("定例会議開催回数", (), 2026, 1),
    ("代表者会議開催回数", (), 2025, 1),
    ("支援プラン作成件数", (), 2025, 1),        # H-2 (H-1's first item is before the FY)
    ("支援プラン作成件数", (), 2026, 1),        # H-5
    ("終結件数", (), 2025, 1),                  # H-2
    ("終結件数", (), 2024, 1),                  # H-3
    ("中断件数", (), 2025, 1),                  # H-5, last contact 2025/7/1
    ("アウトリーチ対象世帯数", (), 2025, 1),    # H-4 (H-6 received next FY)
    ("アウトリーチ対象世帯数", (), 2026, 2),
    ("参加支援マッチング件数", (), 2025, 1),    # H-1 B氏 (取組事項); H-1 A氏 updated before the FY
    ("参加支援マッチング件数", (), 2026, 1),    # H-5 (役割分担 names a 社会資源)
    ("訪問件数", (), 2025, 2),
    ("社会資源数", (), 2025, 3),
    ("社会資源数", ("サロン",), 2025, 2),
    ("社会資源数", ("サロン", "居場所"), 2025, 3),
])
def test_auto_counts(key, kinds, year, expected):
    assert indicators.count(small_town(), key, kinds, year, AS_OF) == expected


def test_every_key_is_counted():
    town = small_town()
    for key in schema.INDICATOR_KEYS:
        assert isinstance(indicators.count(town, key, (), 2025, AS_OF), int)


def test_typed_and_computed_are_both_shown_and_differences_flagged():
    raw = {"世帯": [["世帯ID", "表示名", "同意", "段階", "受付日"], ["H-1", "a", "あり", "受付", "2025/5/1"]],
           "計画指標": [["年度", "事業", "指標", "目標値", "実績値", "単位", "集計"],
                    ["令和7年度", "包括的相談支援", "新規相談", 4, 3, "件", "新規相談受付件数"],
                    [2025, "参加支援", "参加人数", 10, 4, "人", ""],
                    [2025, "地域づくり", "居場所", 5, "", "か所", "新規相談受付件数"],
                    [2024, "包括的相談支援", "新規相談", 4, 2, "件", ""]]}
    table = indicators.indicator_table(validate(raw), 2025, AS_OF)
    assert [[None if not isinstance(v, str) and pd.isna(v) else v for v in row]
            for row in table[["指標", "実績値（入力）", "実績値（集計）", "実績値", "差異"]].values.tolist()] == [
        ["新規相談", 3.0, 1, 1, True], ["参加人数", 4.0, None, 4.0, False], ["居場所", None, 1, 1, False]]
    assert table["達成率"].round(2).tolist() == [0.25, 0.4, 0.2]
    report = indicators.annual_report(validate(raw), [2025, 2024], AS_OF)
    assert list(report.columns) == ["事業", "指標", "単位", "令和6年度（2024年度）", "令和7年度（2025年度）"]
    assert report.set_index("指標").loc["新規相談", "令和6年度（2024年度）"] == 2


def test_unknown_aggregation_key_is_a_data_check_warning():
    raw = {"世帯": [["世帯ID", "表示名", "同意", "段階", "受付日"]],
           "計画指標": [["年度", "指標", "集計"], [2025, "x", "相談件数"], [2025, "y", "社会資源数:サロン"]]}
    workbook = validate(raw)
    assert [(p.tab, p.row, p.column, p.severity) for p in workbook.problems] == [("計画指標", 2, "集計", "warning")]
    computed = indicators.indicator_table(workbook, 2025, AS_OF)["実績値（集計）"].tolist()
    assert pd.isna(computed[0]) and computed[1] == 0


def test_chart_data_for_a_year():
    town = small_town()
    flow = indicators.monthly_flow(town, 2025)
    assert len(flow) == 24 and flow["世帯数"].sum() == 3 + 1
    assert flow.set_index(["月", "区分"]).loc[("2026-03", "新規受付"), "世帯数"] == 1
    meetings = indicators.meetings_per_month(town, 2025)
    assert meetings["回数"].sum() == 4
    stages = indicators.stages_over_time(town, 2025, AS_OF).set_index(["月", "段階"])["世帯数"]
    assert stages[("2025-04", "終結")] == 1          # H-3 closed 2025/3/31
    assert stages[("2026-03", "終結")] == 2          # H-2 closed on 3/31
    assert stages[("2025-04", "支援中")] == 2        # H-1, and H-2 (closed later, shown as 支援中 then)
    assert indicators.issue_frequency(town).set_index("課題")["世帯数"].to_dict() == {
        "DV": 1, "不登校": 1, "8050": 1, "ひきこもり": 1, "住まい": 1}


@pytest.mark.parametrize("town", ["empty", "small"])
def test_chart_specs_build_for_empty_and_full_data(town):
    workbook = validate({"世帯": [["世帯ID", "表示名", "同意", "段階", "受付日"]]}) if town == "empty" else small_town()
    for make, data in ((charts.monthly_flow, indicators.monthly_flow(workbook, 2025)),
                       (charts.meetings_per_month, indicators.meetings_per_month(workbook, 2025)),
                       (charts.stages_over_time, indicators.stages_over_time(workbook, 2025, AS_OF)),
                       (charts.issue_frequency, indicators.issue_frequency(workbook))):
        spec = make(data).to_dict()
        assert spec["mark"]["type"] == "bar"
        assert spec["config"]["axis"]["labelFontSize"] == charts.LABEL_SIZE
