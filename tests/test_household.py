"""世帯詳細 building blocks: the plan sheet layout, the whole detail (the 家族構成図: tests/test_genogram.py)."""
import datetime as dt

import pandas as pd
import pytest

from lib.casework import household
from lib.workbook.validate import validate

TODAY = dt.date(2026, 11, 24)


def members(*rows):
    return pd.DataFrame(rows, columns=["記号", "続柄", "年齢"]).astype({"年齢": "Int64"})


def test_plan_sheet_has_a_row_per_member_then_crisis_and_other():
    plans = pd.DataFrame({"対象": ["B氏", "A氏", "危機介入"], "目標": ["g1", "g2", "g3"], "検討内容": [None] * 3,
                          "取組事項": [None] * 3, "役割分担": [None] * 3, "期限": pd.to_datetime(["2026-12-01", None, None]),
                          "状況": ["実施中", "達成", "未着手"]})
    sheet = household.plan_sheet(plans, members(("A氏", "母", 80), ("B氏", "長男", 50), ("C氏", "孫", 20)))
    assert list(sheet["対象"]) == ["A氏", "B氏", "C氏", "危機介入", "その他"]
    assert [v if isinstance(v, str) else None for v in sheet["目標"]] == ["g2", "g1", None, "g3", None]
    assert list(sheet.columns) == ["対象", "目標", "検討内容", "当面の取組事項", "役割分担", "期限", "状況"]
    assert sheet["期限"].iloc[1] == dt.date(2026, 12, 1)


def test_detail_of_a_sample_household(sample_raw):
    detail = household.build_detail(validate(sample_raw), "Ｈ－００１", TODAY)
    assert detail.household["世帯ID"] == "H-001"
    assert list(detail.members["記号"]) == ["A氏", "B氏", "C氏"]
    assert list(detail.contacts["日付"]) == sorted(detail.contacts["日付"], reverse=True)
    assert all("H-001" in ids for ids in validate(sample_raw)["会議"].set_index("会議ID").loc[
        list(detail.meetings["会議ID"]), "対象世帯"])
    assert "内容" in detail.contacts.columns and "決定事項" in detail.meetings.columns


def test_unknown_household_is_none(sample_raw):
    assert household.build_detail(validate(sample_raw), "H-999", TODAY) is None
