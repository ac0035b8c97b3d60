"""プラン進捗: every consent-あり household's 世帯支援プラン and where its actions stand.

Built on the board's household model (lib.board) so 表示名, review dates and filters mean the
same thing on every screen.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from lib.casework import board
from lib.casework.agencies import key as agency_key, named
from lib.workbook import schema
from lib.workbook.cells import as_date

# Plans whose newest 更新日 is this many days old are listed as 停滞 (not updated):
STALE_PLAN_DAYS = 90
# 段階 from プラン作成 on: the households that should have a plan.
PLAN_STAGES = ("プラン作成", "支援中", *schema.CLOSED_STAGES)
# Items still to be done:
OPEN_STATUSES = schema.PLAN_OPEN_STATUS
DONE_STATUSES = schema.PLAN_DONE_STATUS
# Within a household, items are listed by their deadline:
ROW_ORDER = "期限"
ITEM_COLUMNS = ["世帯ID", "表示名", "地区", "主担当機関", "段階", "対象", "目標", "取組事項", "役割分担", "期限", "状況",
                "更新日", "期限切れ"]


@dataclass(frozen=True)
class PlanFilters:
    areas: tuple[str, ...] = ()
    agencies: tuple[str, ...] = ()     # 主担当機関, or named in 役割分担
    statuses: tuple[str, ...] = ()
    overdue_only: bool = False


@dataclass
class Portfolio:
    households: pd.DataFrame       # one row per household with a plan (or that should have one)
    items: pd.DataFrame            # plan items after filters, ITEM_COLUMNS
    by_status: dict[str, int]
    overdue: int
    without_items: list[str]       # プラン作成/支援中 households with no plan item
    stale: list[str]               # plans not updated for STALE_PLAN_DAYS
    due: list[str]                 # 次回見直し日 passed or within REVIEW_SOON_DAYS


def is_overdue(deadline, status, today: dt.date) -> bool:
    """An item is overdue when its 期限 has passed and it is neither 達成 nor 中止."""
    d = as_date(deadline)
    return d is not None and d < today and status not in DONE_STATUSES


def portfolio(workbook, today: dt.date, filters: PlanFilters = PlanFilters(),
              stale_days: int = STALE_PLAN_DAYS) -> Portfolio:
    """Plans of consent-あり households in プラン作成 or later, with the figures across them."""
    hh = workbook[schema.HOUSEHOLDS]
    hh = hh[(hh["同意"] == "あり") & hh["段階"].isin(PLAN_STAGES)]
    order = {h: i for i, h in enumerate(board.board_order(hh))}
    hh = hh.assign(_order=hh["世帯ID"].map(order)).sort_values("_order").drop(columns="_order")
    plans = workbook[schema.PLANS]
    plans = plans[plans["世帯ID"].isin(set(hh["世帯ID"]))]
    info = hh.set_index("世帯ID")
    items = plans.assign(
        表示名=plans["世帯ID"].map(info["表示名"]), 地区=plans["世帯ID"].map(info["地区"]),
        主担当機関=plans["世帯ID"].map(info["主担当機関"]), 段階=plans["世帯ID"].map(info["段階"]),
        期限切れ=[is_overdue(d, s, today) for d, s in zip(plans["期限"], plans["状況"])])
    items = items.assign(_order=items["世帯ID"].map(order)).sort_values(["_order", ROW_ORDER]).reindex(
        columns=ITEM_COLUMNS)
    counts = items["状況"].value_counts()
    by_status = {s: int(counts.get(s, 0)) for s in schema.PLAN_STATUS}
    with_items = set(items["世帯ID"])
    without = [h for h, s in zip(hh["世帯ID"], hh["段階"]) if s in ("プラン作成", "支援中") and h not in with_items]
    newest = plans.groupby("世帯ID")["更新日"].max()
    active = hh[hh["段階"].isin(("プラン作成", "支援中"))]
    stale = [h for h in active["世帯ID"] if h in with_items
             and (pd.isna(newest.get(h)) or (today - newest[h].date()).days >= stale_days)]
    due = [h for h, r in zip(active["世帯ID"], active["次回見直し日"])
           if board.review_state(as_date(r), today) is not None]
    summary = hh[["世帯ID", "表示名", "地区", "段階", "主担当機関", "次回見直し日"]].assign(
        項目=hh["世帯ID"].map(items.groupby("世帯ID").size()).fillna(0).astype(int),
        期限切れ=hh["世帯ID"].map(items.groupby("世帯ID")["期限切れ"].sum()).fillna(0).astype(int))
    shown = _filter(items, filters, list(workbook[schema.AGENCIES]["機関名"]))
    return Portfolio(summary.reset_index(drop=True), shown.reset_index(drop=True), by_status,
                     int(items["期限切れ"].sum()), without, stale, due)


def _filter(items: pd.DataFrame, f: PlanFilters, known: list[str]) -> pd.DataFrame:
    keep = pd.Series(True, index=items.index)
    if f.areas:
        keep &= items["地区"].isin(f.areas)
    if f.agencies:
        wanted = {agency_key(a) for a in f.agencies}
        keep &= pd.Series([agency_key(lead) in wanted or bool(wanted & named(roles, known))
                           for lead, roles in zip(items["主担当機関"], items["役割分担"])],
                          index=items.index, dtype=bool)
    if f.statuses:
        keep &= items["状況"].isin(f.statuses)
    if f.overdue_only:
        keep &= items["期限切れ"]
    return items[keep]


def agency_load(workbook, items: pd.DataFrame) -> pd.DataFrame:
    """Per agency: open plan items it carries in 役割分担, and active households it leads."""
    agencies = list(workbook[schema.AGENCIES]["機関名"])
    hh = workbook[schema.HOUSEHOLDS]
    active = hh[~hh["段階"].isin(schema.CLOSED_STAGES)]
    leads = active["主担当機関"].value_counts()
    open_items = items[items["状況"].isin(OPEN_STATUSES)]
    names = list(dict.fromkeys([*agencies, *[a for a in leads.index if a not in agencies]]))
    carried = [named(r, names) for r in open_items["役割分担"]]
    rows = [{"機関": a, "担当中の取組": sum(agency_key(a) in c for c in carried),
             "主担当の世帯": int(leads.get(a, 0))} for a in names]
    frame = pd.DataFrame(rows, columns=["機関", "担当中の取組", "主担当の世帯"])
    return frame[(frame["担当中の取組"] > 0) | (frame["主担当の世帯"] > 0)].sort_values(
        ["担当中の取組", "主担当の世帯"], ascending=False).reset_index(drop=True)
