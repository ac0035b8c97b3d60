"""Retention (美咲町 個人情報規程): records are kept until 5 years after 支援終結日, then disposed of."""
from __future__ import annotations

import datetime as dt

import pandas as pd

from lib.workbook import schema

RETENTION_YEARS = 5


def _plus_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:               # 2/29 → 2/28
        return day.replace(year=day.year + years, day=28)


def disposal_due(workbook, today: dt.date) -> pd.DataFrame:
    """Closed households whose 終結日 is more than RETENTION_YEARS ago (保存期間満了)."""
    hh = workbook[schema.HOUSEHOLDS]
    rows = []
    for hid, name, stage, closed in zip(hh["世帯ID"], hh["表示名"], hh["段階"], hh["終結日"].dt.date):
        if pd.isna(closed) or stage != "終結":
            continue
        until = _plus_years(closed, RETENTION_YEARS)
        if until < today:
            rows.append({"世帯ID": hid, "表示名": name, "終結日": closed, "保存期限": until,
                         "超過日数": (today - until).days})
    return pd.DataFrame(rows, columns=["世帯ID", "表示名", "終結日", "保存期限", "超過日数"])
