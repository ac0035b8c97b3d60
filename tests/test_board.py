"""Board rules with a fixed today: review colours, last contact, 複合, pseudonyms, filters, figures."""
import datetime as dt

import pytest

from lib.casework import board
from lib.casework.board import Filters
from lib.casework.households import track
from lib.workbook.validate import validate

TODAY = dt.date(2026, 11, 24)
HH = ["世帯ID", "表示名", "地区", "課題", "同意", "段階", "主担当機関", "担当者", "受付日", "次回見直し日",
      "最終接触日", "緊急度"]


def town(*households, contacts=(), members=()):
    raw = {"世帯": [HH, *households]}
    raw["経過記録"] = [["日付", "世帯ID"], *contacts]
    raw["世帯員"] = [["世帯ID", "記号", "年齢"], *members]
    workbook = validate(raw)
    assert [p for p in workbook.problems if p.severity == "error"] == []
    return workbook


@pytest.mark.parametrize("review, expected", [
    (None, None),
    (dt.date(2026, 11, 23), "overdue"),
    (dt.date(2026, 11, 24), "soon"),
    (dt.date(2026, 12, 8), "soon"),      # 14 days ahead: still amber
    (dt.date(2026, 12, 9), None),        # 15 days ahead
    (dt.date(2025, 1, 1), "overdue"),
])
def test_review_colour_boundaries(review, expected):
    assert board.review_state(review, TODAY) == expected


def test_soon_window_is_a_setting():
    assert board.REVIEW_SOON_DAYS == 14
    assert board.review_state(dt.date(2026, 12, 1), TODAY, soon_days=3) is None


@pytest.mark.parametrize("typed, logged, expected", [
    ("2026/11/01", ["2026/10/01"], dt.date(2026, 11, 1)),     # 最終接触日 is later
    ("2026/10/01", ["2026/11/10", "2026/9/1"], dt.date(2026, 11, 10)),   # newest 経過記録 is later
    ("", ["2026/9/1"], dt.date(2026, 9, 1)),
    ("2026/9/1", [], dt.date(2026, 9, 1)),
    ("", [], None),
])
def test_last_contact_is_the_later_of_typed_and_logged(typed, logged, expected):
    workbook = town(["H-1", "a", "", "", "あり", "支援中", "", "", "2026/1/1", "", typed],
                    contacts=[[d, "H-1"] for d in logged])
    assert board.last_contacts(workbook["世帯"], workbook["経過記録"]) == {"H-1": expected}


@pytest.mark.parametrize("issues, ages, expected", [
    (["8050", "ひきこもり"], [], True),
    (["ダブルケア"], [40, 70], False),              # one 課題 is not 複合
    (["生活困窮", "債務"], [45, 43], False),        # one generation
    (["生活困窮", "不登校"], [40, 12], True),       # two generations, 28 years apart
    (["生活困窮", "不登校"], [40, 23], False),      # 17 years apart: same generation band
    (["ヤングケアラー", "精神疾患"], [], True),
    ([], [80, 50], False),
])
def test_complex_means_two_issues_across_generations(issues, ages, expected):
    assert board.is_complex(issues, ages) is expected


@pytest.mark.parametrize("consent, expected", [("あり", "重層的支援会議"), ("なし", "支援会議"), ("不明", "支援会議"),
                                               (None, "支援会議")])
def test_track_by_consent(consent, expected):
    assert track(consent) == expected


def three_households():
    return town(
        ["H-3", "佐藤世帯", "北部", "8050、ひきこもり", "あり", "支援中", "包括", "高野", "2026/1/1", "2026/12/30", "", "低"],
        ["H-1", "鈴木世帯", "中央", "ダブルケア", "なし", "見守り", "社協", "谷", "2026/11/2", "", "2026/11/20", "高"],
        ["H-2", "高橋世帯", "中央", "不登校、DV", "あり", "支援中", "こども", "三浦", "2026/2/1", "2026/11/20", "", "高"],
        contacts=[["2026/11/20", "H-3"], ["2026/5/1", "H-2"]])


def test_board_orders_by_stage_then_urgency_then_review_date():
    assert board.board_order(three_households()["世帯"]) == ["H-2", "H-3", "H-1"]


def test_board_columns_cards_and_figures():
    result = board.build_board(three_households(), TODAY)
    assert {s: [c.household_id for c in cards] for s, cards in result.columns.items() if cards} == {
        "支援中": ["H-2", "H-3"], "見守り": ["H-1"]}
    h2, h3 = result.columns["支援中"]
    assert (h2.review_state, h2.days_since_contact, h2.stale, h2.complex) == ("overdue", 207, True, False)
    assert (h3.review_state, h3.days_since_contact, h3.stale, h3.complex) == (None, 4, False, True)
    assert result.figures == board.Figures(active=3, overdue=1, stale=1, new_this_month=1,
                                           by_track={"重層的支援会議": 2, "支援会議": 1})
    assert (result.total, result.shown) == (3, 3)


def test_no_contact_at_all_counts_from_reception():
    result = board.build_board(three_households(), TODAY)
    h1 = result.columns["見守り"][0]
    assert (h1.days_since_contact, h1.stale) == (4, False)   # typed 最終接触日 2026/11/20
    fresh = town(["H-9", "x", "", "", "不明", "受付", "", "", "2026/11/20"])
    old = town(["H-9", "x", "", "", "不明", "受付", "", "", "2026/9/1"])
    assert board.build_board(fresh, TODAY).columns["受付"][0].stale is False
    assert board.build_board(old, TODAY).columns["受付"][0].stale is True


@pytest.mark.parametrize("filters, shown", [
    (Filters(), ["H-2", "H-3", "H-1"]),
    (Filters(areas=("中央",)), ["H-2", "H-1"]),
    (Filters(issues=("8050", "DV")), ["H-2", "H-3"]),
    (Filters(agencies=("社協",)), ["H-1"]),
    (Filters(staff=("高野", "三浦")), ["H-2", "H-3"]),
    (Filters(tracks=("支援会議",)), ["H-1"]),
    (Filters(urgencies=("高",)), ["H-2", "H-1"]),
    (Filters(text="鈴木"), ["H-1"]),
    (Filters(text="h-3"), ["H-3"]),
    (Filters(areas=("中央",), tracks=("重層的支援会議",)), ["H-2"]),
    (Filters(areas=("南部",)), []),
])
def test_filters(filters, shown):
    result = board.build_board(three_households(), TODAY, filters)
    assert [c.household_id for cards in result.columns.values() for c in cards] == shown
    assert result.figures.active == 3   # figures describe the whole board, not the filtered cards


def test_unset_urgency_can_be_filtered():
    workbook = town(["H-1", "a", "", "", "あり", "受付", "", "", "2026/11/1"])
    assert board.build_board(workbook, TODAY, Filters(urgencies=("未設定",))).shown == 1


def test_filter_options_list_what_is_present():
    options = board.filter_options(three_households()["世帯"])
    assert options["地区"] == ["中央", "北部"]
    assert options["課題"] == ["8050", "ダブルケア", "ひきこもり", "DV", "不登校"]
    assert options["緊急度"] == ["高", "中", "低", "未設定"]


def test_table_view_has_one_row_per_shown_household():
    table = board.board_table(board.build_board(three_households(), TODAY))
    assert list(table["世帯ID"]) == ["H-2", "H-3", "H-1"]
    assert list(table["複合"]) == ["", "複合", ""]
