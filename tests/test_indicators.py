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


# ---------------------------------------------------------------- counts from 段階履歴 and 経過記録 (no guessing)

def recorded_town(history: bool = True, stop_dates: bool = True):
    """small_town's households with what the app records: 段階履歴 moves and 中断日 (FY2025)."""
    raw = {
        "世帯": [["世帯ID", "表示名", "同意", "段階", "受付日", "最終接触日", *(["中断日"] if stop_dates else [])],
                ["H-1", "a", "あり", "支援中", "2025/4/1", "", *([""] if stop_dates else [])],
                ["H-2", "b", "なし", "見守り", "2025/4/1", "", *([""] if stop_dates else [])],
                ["H-3", "c", "あり", "中断", "2025/4/1", "2025/5/1", *(["2026/4/2"] if stop_dates else [])],
                ["H-4", "d", "あり", "中断", "2024/4/1", "2025/6/1", *(["2025/9/1"] if stop_dates else [])]],
        "経過記録": [["日付", "世帯ID", "方法"],
                 ["2025/4/20", "H-2", "訪問"],      # before H-2 went to 見守り: not outreach
                 ["2025/5/10", "H-2", "訪問"], ["2025/6/1", "H-2", "手紙"], ["2025/6/2", "H-2", "電話"],
                 ["2025/7/1", "H-1", "訪問"]],      # H-1 is not in 見守り
    }
    if history:
        raw["段階履歴"] = [["世帯ID", "日付", "旧段階", "新段階", "理由", "記入者"],
                        ["H-1", "2025/4/1", "", "受付", "", ""], ["H-1", "2025/5/1", "受付", "プラン作成", "", ""],
                        ["H-1", "2025/8/1", "プラン作成", "支援中", "", ""],
                        ["H-2", "2025/4/1", "", "受付", "", ""], ["H-2", "2025/5/1", "受付", "見守り", "", ""],
                        ["H-3", "2025/4/1", "", "受付", "", ""], ["H-3", "2025/4/10", "受付", "プラン作成", "", ""],
                        ["H-3", "2026/4/2", "プラン作成", "中断", "連絡が取れない", ""],
                        ["H-4", "2025/9/1", "支援中", "中断", "連絡が取れない", ""]]
    return validate(raw)


@pytest.mark.parametrize("history, stop_dates, key, expected, guessed", [
    (True, True, "支援プラン作成件数", 2, False),     # H-1 and H-3 moved into プラン作成 in FY2025
    (True, True, "中断件数", 1, False),               # H-4's 中断日 (H-3's is in FY2026)
    (True, False, "中断件数", 1, True),               # no 中断日 column: last contact in FY (H-3 5/1, H-4 6/1)… estimated
    (True, True, "アウトリーチ件数", 2, True),        # no アウトリーチ tab: H-2's 訪問 5/10 and 手紙 6/1, while in 見守り
    (False, True, "アウトリーチ件数", 3, True),       # no history: every 訪問/手紙 of households now in 見守り
    (False, True, "支援プラン作成件数", 0, True),     # no history and no plan rows
])
def test_counts_come_from_what_was_recorded_and_guesses_are_marked(history, stop_dates, key, expected, guessed):
    town = recorded_town(history, stop_dates)
    if key == "中断件数" and not stop_dates:
        expected = 2
    assert indicators.count(town, key, (), 2025, AS_OF) == expected
    assert indicators.estimated(town, key) == guessed


def test_indicator_table_marks_estimates():
    raw = {"世帯": [["世帯ID", "表示名", "同意", "段階", "受付日"], ["H-1", "a", "あり", "受付", "2025/5/1"]],
           "計画指標": [["年度", "指標", "集計"], [2025, "プラン", "支援プラン作成件数"], [2025, "新規", "新規相談受付件数"]]}
    table = indicators.indicator_table(validate(raw), 2025, AS_OF)
    assert table["推計"].tolist() == [True, False]


def test_stages_over_time_follows_the_history():
    stages = indicators.stages_over_time(recorded_town(), 2025, AS_OF).set_index(["月", "段階"])["世帯数"]
    assert stages[("2025-04", "受付")] == 2 and stages[("2025-04", "プラン作成")] == 1   # H-1, H-2; H-3
    assert stages[("2025-04", "支援中")] == 1                                          # H-4 before its first move
    assert stages[("2025-05", "見守り")] == 1 and stages[("2025-05", "プラン作成")] == 2
    assert stages[("2025-08", "支援中")] == 2                                          # H-1 moved; H-4 (no earlier move: 支援中)
    assert stages[("2025-09", "中断")] == 1 and stages[("2025-09", "支援中")] == 1
    spec = charts.stages_over_time(indicators.stages_over_time(recorded_town(False), 2025, AS_OF), estimated=True).to_dict()
    assert "推計" in spec["title"]["text"] if isinstance(spec["title"], dict) else "推計" in spec["title"]


@pytest.mark.parametrize("data, across, expected", [
    (pd.DataFrame({"月": ["4月", "4月", "5月", "5月"], "区分": ["新規受付", "終結"] * 2, "世帯数": [2, 1, 0, 3]}), "区分",
     [["4月", 2, 1], ["5月", 0, 3]]),
    (pd.DataFrame({"月": ["10月", "10月", "9月"], "種別": ["支援会議", "重層的支援会議", "支援会議"], "回数": [1, 2, 4]}), "種別",
     [["10月", 1, 2], ["9月", 4, 0]]),                                   # the chart's order kept, a missing one 0
    (pd.DataFrame({"課題": ["就労", "介護"], "世帯数": [5, 3]}), None, [["就労", 5], ["介護", 3]]),
])
def test_a_chart_s_figures_as_the_table_beside_it(data, across, expected):
    from lib.casework import charts
    table = charts.as_table(data, across)
    assert table.values.tolist() == expected
    assert list(table.columns) == [data.columns[0], *(dict.fromkeys(data[across]) if across else [data.columns[-1]])]
