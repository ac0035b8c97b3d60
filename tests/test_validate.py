"""Whole-workbook validation: the bad-input fixture's exact problems, and each rule on tiny sheets."""
import datetime as dt

import pandas as pd
import pytest

from lib.workbook import schema
from lib.workbook.sources import read_excel
from lib.workbook.validate import ERROR, INFO, WARNING, validate

HEADER = ["世帯ID", "表示名", "同意", "段階", "受付日"]


def households(*rows, header=HEADER):
    return {"世帯": [header, *rows]}


def located(workbook):
    return [(p.tab, p.row, p.column, p.severity) for p in workbook.problems]


def test_bad_fixture_reports_every_problem_at_its_row(bad_workbook):
    workbook = validate(read_excel(bad_workbook))
    assert located(workbook) == [
        ("世帯", 1, "独自メモ", INFO),
        ("世帯", 1, "表示名", WARNING),
        ("世帯", 5, "受付日", ERROR),
        ("世帯", 6, "世帯ID", ERROR),
        ("世帯", 7, "表示名", ERROR),
        ("世帯", 8, "同意", ERROR),
        ("世帯", 9, "次回見直し日", ERROR),
        ("世帯", 10, "緊急度", ERROR),
        ("世帯", 11, "段階", WARNING),
        ("世帯", 12, "終結日", WARNING),
        ("世帯", 13, "課題", INFO),
        ("世帯", 14, "地区", WARNING),
        ("世帯", 16, "受付日", ERROR),
        ("世帯員", 3, "年齢", ERROR),
        ("世帯員", 4, "世帯ID", ERROR),
        ("世帯員", 5, "世帯ID", ERROR),
        ("世帯員", 6, "世帯ID・記号", ERROR),
        ("世帯員", 7, "年齢", ERROR),
        ("支援プラン", 1, "対象", ERROR),
        ("会議", 2, "対象世帯", ERROR),
        ("会議", 3, "終了", WARNING),
        ("会議", 4, "種別", ERROR),
        ("経過記録", 3, "方法", ERROR),
        ("経過記録", 4, "日付", ERROR),
        ("社会資源", 3, "緯度", ERROR),
        ("社会資源", 3, "緯度", WARNING),
        ("社会資源", 4, "経度", WARNING),
        ("社会資源", 5, "緯度", WARNING),
        ("メモ", None, "", INFO),
    ]
    assert workbook.left_out == {"世帯": 5, "世帯員": 3, "支援プラン": 2, "会議": 1, "経過記録": 1}
    assert workbook.rows_left_out == 12


def test_bad_fixture_keeps_usable_rows_and_blanks_bad_optional_cells(bad_workbook):
    workbook = validate(read_excel(bad_workbook))
    hh = workbook["世帯"].set_index("世帯ID")
    assert list(hh.index) == ["H-001", "H-002", "H-007", "H-008", "H-009", "H-010", "H-011", "H-012", "H-013"]
    assert list(hh["_row"]) == [2, 4, 9, 10, 11, 12, 13, 14, 15]
    assert pd.isna(hh.loc["H-007", "次回見直し日"])
    assert hh.loc["H-008", "緊急度"] is None
    assert hh.loc["H-002", "受付日"] == pd.Timestamp(2025, 4, 1)
    assert hh.loc["H-001", "次回見直し日"] == pd.Timestamp(2026, 1, 10)
    assert hh.loc["H-001", "課題"] == ["8050", "ひきこもり"]
    assert hh.loc["H-001", "独自メモ"] == "町独自の欄"
    assert hh.loc["H-001", "表示名"] == "青木世帯"
    meetings = workbook["会議"].set_index("会議ID")
    assert meetings.loc["M-1", "対象世帯"] == ["H-012"]
    assert meetings.loc["M-2", "開始"] == dt.time(15, 0)
    members = workbook["世帯員"]
    assert list(zip(members["世帯ID"], members["記号"], members["年齢"].astype(object))) == [
        ("H-001", "A氏", 82), ("H-001", "B氏", pd.NA), ("H-002", "A氏", pd.NA)]
    assert workbook["支援プラン"].empty


def test_problem_messages_name_what_to_type(bad_workbook):
    by_place = {(p.tab, p.row, p.column): p for p in validate(read_excel(bad_workbook)).problems}
    assert "あり／なし／不明" in by_place[("世帯", 8, "同意")].message
    assert by_place[("世帯", 8, "同意")].value == "有"
    assert "2行目と同じ" in by_place[("世帯", 6, "世帯ID")].message
    assert "行に誤りがあり" in by_place[("世帯員", 5, "世帯ID")].message
    assert "H-999" in by_place[("世帯員", 4, "世帯ID")].message
    assert "見出し「対象」" in by_place[("支援プラン", 1, "対象")].message
    assert by_place[("世帯", 9, "次回見直し日")].household == "H-007"


def test_blank_rows_are_skipped_silently():
    workbook = validate(households([], ["H-1", "a", "あり", "受付", "2025/4/1"], ["", None, "  "], []))
    assert workbook.problems == []
    assert list(workbook["世帯"]["_row"]) == [3]


@pytest.mark.parametrize("cell, age, problem", [
    (1, 1, None),
    (1.0, 1, None),
    (True, None, "数字を入れてください"),        # TRUE equals 1 in Python; it is judged apart
    ("１", 1, None),
    ("1", 1, None),
])
def test_equal_looking_cells_of_different_types_are_judged_apart(cell, age, problem):
    # Each distinct cell is parsed once per column; a column holding 1, 1.0 and TRUE must not
    # hand TRUE the verdict of 1 (or the other way round), whatever comes first.
    rows = [["H-1", name, v] for name, v in zip(("A氏", "B氏", "C氏", "D氏"), (1, True, 1.0, cell))]
    workbook = validate({**households(["H-1", "a", "あり", "受付", "2025/4/1"]),
                         "世帯員": [["世帯ID", "記号", "年齢"], *rows]})
    ages = workbook["世帯員"]["年齢"].astype(object)
    assert [None if a is pd.NA else a for a in ages][-1] == age
    mine = [p.message for p in workbook.problems if p.row == 5]
    assert (mine[0].startswith(problem) if problem else mine == []), mine
    assert [p.row for p in workbook.problems] == [3] + ([5] if problem else [])


def test_ragged_rows_read_missing_cells_as_blank():
    # Google Sheets leaves out trailing blank cells; a row can also be longer than the header.
    workbook = validate(households(["H-1", "a", "あり"], ["H-2", "b", "なし", "受付", "2025/4/1", "余り"],
                                   header=["世帯ID", "表示名", "同意", "段階", "受付日"]))
    assert list(workbook["世帯"]["世帯ID"]) == ["H-2"]
    assert [(p.row, p.column, p.severity) for p in workbook.problems] == [(2, "段階", ERROR), (2, "受付日", ERROR)]


def test_excel_tabs_read_in_threads_are_the_file_as_calamine_reads_it():
    from python_calamine import CalamineWorkbook

    from tests.conftest import SAMPLE as sample_workbook_path
    book = CalamineWorkbook.from_path(str(sample_workbook_path))
    serial = {n: book.get_sheet_by_name(n).to_python(skip_empty_area=False) for n in book.sheet_names}
    raw = read_excel(sample_workbook_path)
    assert list(raw) == book.sheet_names
    assert dict(raw) == serial


def test_columns_in_any_order_and_header_variants_are_read():
    header = ["受付日", " 世帯ＩＤ ", "ステージ", "本人同意", "氏名"]
    workbook = validate({"世帯": [header, ["R7.4.1", "Ｈ１", "受付", "不明", "テスト世帯"]]})
    row = workbook["世帯"].iloc[0]
    assert (row["世帯ID"], row["段階"], row["同意"], row["表示名"]) == ("H1", "受付", "不明", "テスト世帯")
    assert {(p.column, p.severity) for p in workbook.problems} == {
        ("ステージ", INFO), ("本人同意", INFO), ("氏名", INFO)}


def test_missing_required_tab_is_one_error_and_other_tabs_still_load():
    workbook = validate({"機関": [["機関名"], ["社会福祉協議会"]]})
    assert located(workbook) == [("世帯", None, "", ERROR)]
    assert list(workbook["機関"]["機関名"]) == ["社会福祉協議会"]
    assert workbook["世帯"].empty and list(workbook["世帯"].columns)[:3] == ["_row", "世帯ID", "表示名"]


def test_missing_optional_tabs_are_fine():
    workbook = validate(households(["H-1", "a", "あり", "受付", "2025/4/1"]))
    assert workbook.problems == []
    for tab in schema.TABS:
        assert list(workbook[tab.name].columns) == ["_row", *tab.column_names]


def test_tab_titles_with_full_width_or_spaces_are_recognised():
    workbook = validate({" 世帯 ": [HEADER, ["H-1", "a", "あり", "受付", "2025/4/1"]]})
    assert len(workbook["世帯"]) == 1


def test_two_tabs_for_the_same_table_read_the_first():
    rows = [HEADER, ["H-1", "a", "あり", "受付", "2025/4/1"]]
    workbook = validate({"世帯": rows, "世帯 ": [HEADER]})
    assert located(workbook) == [("世帯 ", None, "", WARNING)]
    assert len(workbook["世帯"]) == 1


def test_references_to_optional_lookup_tabs_are_warnings_and_rows_are_kept():
    raw = households(["H-1", "a", "あり", "受付", "2025/4/1", "福祉課"], header=HEADER + ["主担当機関"])
    raw["機関"] = [["機関名"], ["社会福祉協議会"]]
    workbook = validate(raw)
    assert located(workbook) == [("世帯", 2, "主担当機関", WARNING)]
    assert workbook["世帯"].iloc[0]["主担当機関"] == "福祉課"


def test_plan_target_must_be_a_member_or_crisis_or_other():
    raw = households(["H-1", "a", "あり", "支援中", "2025/4/1"])
    raw["世帯員"] = [["世帯ID", "記号"], ["H-1", "A氏"]]
    raw["支援プラン"] = [["世帯ID", "対象"], ["H-1", "A氏"], ["H-1", "危機介入"], ["H-1", "その他"], ["H-1", "Ｂ氏"]]
    workbook = validate(raw)
    assert located(workbook) == [("支援プラン", 5, "対象", WARNING)]
    assert len(workbook["支援プラン"]) == 4


@pytest.mark.parametrize("lat, lon, expected", [
    (35.0, 134.0, []),
    (91, 134.0, [("地区", 2, "緯度", ERROR), ("地区", 2, "緯度", WARNING)]),
    (35.0, 200, [("地区", 2, "経度", ERROR), ("地区", 2, "経度", WARNING)]),
    (134.0, 35.0, [("地区", 2, "緯度", ERROR), ("地区", 2, "緯度", WARNING)]),
    (-35.0, 134.0, [("地区", 2, "緯度", WARNING)]),
    ("", 134.0, [("地区", 2, "緯度", WARNING)]),
    ("北緯35度", 134.0, [("地区", 2, "緯度", ERROR), ("地区", 2, "緯度", WARNING)]),
])
def test_coordinates_are_checked(lat, lon, expected):
    raw = households(["H-1", "a", "あり", "受付", "2025/4/1"])
    raw["地区"] = [["地区名", "緯度", "経度"], ["中央", lat, lon]]
    assert located(validate(raw)) == expected


def test_fiscal_year_in_wareki_is_read_as_western_year():
    raw = households(["H-1", "a", "あり", "受付", "2025/4/1"])
    raw["計画指標"] = [["年度", "指標", "目標値", "実績値"], ["令和7年度", "相談件数", "40件", 38]]
    row = validate(raw)["計画指標"].iloc[0]
    assert (row["年度"], row["目標値"], row["実績値"]) == (2025, 40.0, 38.0)


def test_typed_frames_have_usable_dtypes(sample_raw):
    hh = validate(sample_raw)["世帯"]
    assert str(hh["受付日"].dtype).startswith("datetime64")
    assert hh["課題"].map(type).eq(list).all()
    assert validate(sample_raw)["世帯員"]["年齢"].dtype == "Int64"


def test_sample_town_is_clean(sample_raw):
    workbook = validate(sample_raw)
    assert workbook.problems == []
    assert workbook.rows_left_out == 0
