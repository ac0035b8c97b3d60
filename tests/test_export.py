"""Exports: formula-like text is neutralised and stays text."""
import datetime as dt
import io

import pandas as pd
import pytest
from openpyxl import load_workbook

from lib.workbook import export


@pytest.mark.parametrize("raw, expected", [
    ("=1+1", "'=1+1"), ("+81 90", "'+81 90"), ("-5", "'-5"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=cmd", "'\t=cmd"), ("山田世帯", "山田世帯"), ("a=b", "a=b"), (5, 5), (-5, -5), (None, None),
])
def test_formula_starts_are_neutralised(raw, expected):
    assert export.neutralise(raw) == expected


def test_xlsx_export_never_contains_a_formula():
    frame = pd.DataFrame({"表示名": ["=HYPERLINK(\"http://x\")", "山田世帯"], "課題": [["8050", "=1"], []],
                          "受付日": pd.to_datetime(["2025-04-01", None]), "開始": [dt.time(13, 30), None],
                          "年齢": pd.array([82, None], dtype="Int64")})
    book = load_workbook(io.BytesIO(export.to_xlsx({"一覧": frame})))
    rows = list(book["一覧"].iter_rows(values_only=True))
    assert rows == [("表示名", "課題", "受付日", "開始", "年齢"),
                    ("'=HYPERLINK(\"http://x\")", "8050、=1", dt.datetime(2025, 4, 1), "13:30", 82),
                    ("山田世帯", None, None, None, None)]
    assert all(c.data_type != "f" for row in book["一覧"].iter_rows() for c in row)
