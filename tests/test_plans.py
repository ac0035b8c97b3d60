"""プラン進捗 with a fixed today: overdue items, households without plans, stale plans, reviews due,
agency load and filters."""
import datetime as dt

import pytest

from lib.casework import plans
from lib.casework.plans import PlanFilters
from lib.workbook.validate import validate

TODAY = dt.date(2026, 11, 24)


@pytest.mark.parametrize("deadline, status, expected", [
    ("2026-11-23", "実施中", True), ("2026-11-24", "実施中", False), ("2026-11-23", "達成", False),
    ("2026-11-23", "中止", False), ("2026-11-23", "見直し", True), ("2026-11-23", None, True), (None, "未着手", False)])
def test_overdue_means_deadline_passed_and_not_done(deadline, status, expected):
    import pandas as pd
    assert plans.is_overdue(pd.Timestamp(deadline) if deadline else None, status, TODAY) is expected


def town():
    return validate({
        "世帯": [["世帯ID", "表示名", "地区", "同意", "段階", "主担当機関", "受付日", "次回見直し日"],
                ["H-1", "a", "中央", "あり", "支援中", "包括", "2025/4/1", "2026/11/30"],   # review soon
                ["H-2", "b", "北部", "あり", "プラン作成", "社協", "2025/4/1", "2027/3/1"],  # no items
                ["H-3", "c", "北部", "あり", "支援中", "社協", "2025/4/1", "2026/10/1"],    # review passed, stale
                ["H-4", "d", "中央", "なし", "見守り", "社協", "2025/4/1", ""],             # no consent: not here
                ["H-5", "e", "中央", "あり", "受付", "包括", "2026/11/1", ""]],             # before プラン作成
        "支援プラン": [["世帯ID", "対象", "役割分担", "期限", "状況", "更新日"],
                   ["H-1", "A氏", "主: 包括／副: 社協", "2026/11/1", "実施中", "2026/11/1"],
                   ["H-1", "B氏", "包括", "2026/12/1", "未着手", "2026/11/1"],
                   ["H-1", "その他", "社協", "2026/10/1", "達成", "2026/11/1"],
                   ["H-3", "A氏", "社協", "2026/6/1", "見直し", "2026/5/1"],
                   ["H-4", "A氏", "社協", "2026/6/1", "実施中", "2026/5/1"]],
        "機関": [["機関名"], ["包括"], ["社協"]],
    })


def test_portfolio_figures():
    result = plans.portfolio(town(), TODAY)
    assert list(result.households["世帯ID"]) == ["H-2", "H-3", "H-1"]     # board order: プラン作成 first
    assert result.by_status == {"未着手": 1, "実施中": 1, "達成": 1, "見直し": 1, "中止": 0}
    assert result.overdue == 2                  # H-1 A氏, H-3 A氏
    assert result.without_items == ["H-2"]
    assert result.stale == ["H-3"]              # newest 更新日 2026/5/1: 207 days
    assert sorted(result.due) == ["H-1", "H-3"]
    assert result.households.set_index("世帯ID").loc["H-1", ["項目", "期限切れ"]].tolist() == [3, 1]


def test_stale_days_is_a_setting():
    assert plans.STALE_PLAN_DAYS == 90
    assert plans.portfolio(town(), TODAY, stale_days=10).stale == ["H-3", "H-1"]


@pytest.mark.parametrize("filters, keys", [
    (PlanFilters(), [("H-3", "A氏"), ("H-1", "その他"), ("H-1", "A氏"), ("H-1", "B氏")]),
    (PlanFilters(areas=("北部",)), [("H-3", "A氏")]),
    (PlanFilters(agencies=("包括",)), [("H-1", "その他"), ("H-1", "A氏"), ("H-1", "B氏")]),
    (PlanFilters(statuses=("未着手", "見直し")), [("H-3", "A氏"), ("H-1", "B氏")]),
    (PlanFilters(overdue_only=True), [("H-3", "A氏"), ("H-1", "A氏")]),
])
def test_item_filters(filters, keys):
    items = plans.portfolio(town(), TODAY, filters).items
    assert list(zip(items["世帯ID"], items["対象"])) == keys


def test_agency_load_counts_open_items_and_led_households():
    result = plans.portfolio(town(), TODAY)
    load = plans.agency_load(town(), result.items)
    assert load.values.tolist() == [["社協", 2, 3], ["包括", 2, 2]]
