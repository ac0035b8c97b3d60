"""実施計画の指標 (法第106条の5): targets against actuals by fiscal year, with counts the
app can make from the workbook itself when a 計画指標 row names a 集計 key.

What each auto-count counts (fiscal year = 4月1日〜3月31日; meetings only when already held):
- 新規相談受付件数: households whose 受付日 falls in the year.
- 複合課題世帯数: households open at some time in the year (受付日 ≤ year end, no 終結日 before
  the year) with two or more 課題.
- 重層的支援会議／支援会議／定例会議／代表者会議開催回数: meetings of that 種別 held in the year (会議 rows
  of one 種別, 開催日 and 開始 count once).
- 支援プラン作成件数: moves into プラン作成 (段階履歴) dated in the year. Without a 段階履歴 tab it is
  estimated (推計): households whose first plan item (earliest 更新日) falls in the year.
- 終結件数: households whose 終結日 falls in the year.
- 中断件数: households whose 中断日 falls in the year. Without a 中断日 column it is estimated (推計):
  households now in 中断 whose last contact (最終接触日 or 経過記録) falls in the year.
- アウトリーチ対象世帯数: households in 見守り (no-consent outreach) received by the year's end.
- アウトリーチ件数: contacts of the アウトリーチ tab dated in the year. Without that tab it is estimated
  (推計): 訪問 and 手紙 records dated in the year for households that were in 見守り on
  that day (段階履歴); without a 段階履歴 tab, those now in 見守り (推計).
- 参加支援マッチング件数 / 定着件数: matchings of the 参加支援 tab proposed (打診) / settled (定着) in
  the year. Without that tab they are estimated (推計): plan items updated in the year whose 役割分担
  names a 社会資源 by its whole 名称 (lib.casework.agencies.named), or whose 取組事項 mentions 参加支援
  (定着: those 達成).
- 訪問件数: 経過記録 rows with 方法 訪問 dated in the year, except those 「相談受付へ」 made from
  アウトリーチ contacts (counted once, as アウトリーチ件数).
- アウトリーチからの受付件数: people of the アウトリーチ tab whose 「相談受付へ」 row is dated in the year
  (0 without that tab).
- 社会資源数 (or 社会資源数:サロン・通いの場): 社会資源 rows (of those 種別).
- つなぎ件数・つなぎもどし件数・引継ぎ件数: つなぎ rows of that 種類 whose 依頼日 falls in the year;
  受理件数 / 差し戻し件数: rows accepted (受理) / returned (差し戻し) with 応答日 in the year; 平均応答日数: mean days from 依頼日 to
  応答日 of the requests accepted or returned in the year.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd

from lib.workbook import schema
from lib.casework import outreach, participation
from lib.casework import referrals
from lib.casework.agencies import namer
from lib.casework.board import last_contacts
from lib.workbook.cells import fiscal_label, fiscal_range
from lib.workbook.validate import Workbook


def in_year(series: pd.Series, year: int, as_of: dt.date | None = None) -> pd.Series:
    """Which dates of a date column fall in the fiscal year (up to `as_of`); blanks never do."""
    start, end = fiscal_range(year)
    if as_of:
        end = min(end, as_of)
    days = pd.to_datetime(series, errors="coerce").dt.normalize()
    return ((days >= pd.Timestamp(start)) & (days <= pd.Timestamp(end))).astype(bool)


def _open_in(hh: pd.DataFrame, year: int) -> pd.Series:
    start, end = fiscal_range(year)
    received = hh["受付日"].dt.date
    closed = hh["終結日"].dt.date
    return pd.Series([r is not None and r <= end and (pd.isna(c) or c >= start) for r, c in zip(received, closed)],
                     index=hh.index, dtype=bool)


def count(workbook: Workbook, key: str, kinds: tuple[str, ...], year: int, as_of: dt.date) -> float:
    """One auto-count for a fiscal year (see the module docstring for what each key means)."""
    hh = workbook[schema.HOUSEHOLDS]
    meetings = workbook[schema.MEETINGS]
    plans = workbook[schema.PLANS]
    if key == "新規相談受付件数":
        return int(in_year(hh["受付日"], year).sum())
    if key == "複合課題世帯数":
        return int((_open_in(hh, year) & hh["課題"].map(len).ge(2)).sum())
    if key.endswith("開催回数"):
        kind = key.removesuffix("開催回数")
        held = meetings[meetings["種別"].eq(kind) & in_year(meetings["開催日"], year, as_of)]
        # meetings, not rows: two rows of one kind, day and start are one meeting saved twice
        return int(len(held.drop_duplicates(["種別", "開催日", "開始"])))
    if key == "支援プラン作成件数":
        if workbook.has(schema.STAGE_HISTORY):
            moves = workbook[schema.STAGE_HISTORY]
            return int((moves["新段階"].eq("プラン作成") & in_year(moves["日付"], year)).sum())
        first = plans.groupby("世帯ID")["更新日"].min()
        return int(in_year(first, year).sum()) if len(first) else 0
    if key == "終結件数":
        return int(in_year(hh["終結日"], year).sum())
    if key == "中断件数":
        if workbook.has(schema.HOUSEHOLDS, "中断日"):
            return int(in_year(hh["中断日"], year).sum())
        stopped = hh[hh["段階"] == "中断"]
        last = last_contacts(stopped, workbook[schema.CONTACTS])
        start, end = fiscal_range(year)
        return sum(1 for d in last.values() if d and start <= d <= end)
    if key == "アウトリーチ対象世帯数":
        end = fiscal_range(year)[1]
        return int(sum(1 for s, r in zip(hh["段階"], hh["受付日"].dt.date) if s == "見守り" and r <= end))
    if key in ("参加支援マッチング件数", "定着件数"):
        if workbook.has(schema.PARTICIPATION):
            return participation.count(workbook, key, lambda series: in_year(series, year))
        names_resource = namer(workbook[schema.RESOURCES]["名称"])
        updated = in_year(plans["更新日"], year)
        if key == "定着件数":
            updated &= plans["状況"].eq("達成")
        matched = [bool(names_resource(roles)) or "参加支援" in (task or "")
                   for roles, task in zip(plans["役割分担"].fillna(""), plans["取組事項"].fillna(""))]
        return int((updated & pd.Series(matched, index=plans.index, dtype=bool)).sum())
    if key == "訪問件数":
        contacts = workbook[schema.CONTACTS]
        return int((contacts["方法"].eq("訪問") & in_year(contacts["日付"], year) & ~outreach.copied(contacts)).sum())
    if key == "アウトリーチ件数":
        if workbook.has(schema.OUTREACH):
            return outreach.count(workbook, lambda series: in_year(series, year))
        contacts = workbook[schema.CONTACTS]
        contacts = contacts[contacts["方法"].isin(OUTREACH_METHODS) & in_year(contacts["日付"], year)]
        if not workbook.has(schema.STAGE_HISTORY):
            watched = set(hh.loc[hh["段階"] == "見守り", "世帯ID"])
            return int(contacts["世帯ID"].isin(watched).sum())
        stage_on = stage_timeline(workbook)
        return sum(1 for hid, day in zip(contacts["世帯ID"], contacts["日付"].dt.date) if stage_on(hid, day) == "見守り")
    if key == "アウトリーチからの受付件数":
        return outreach.came_to_intake(workbook, lambda series: in_year(series, year)) if workbook.has(schema.OUTREACH) else 0
    if key in REFERRAL_KEYS:
        return referrals.count(workbook, key, lambda series: in_year(series, year))
    if key == "社会資源数":
        resources = workbook[schema.RESOURCES]
        return int(resources["種別"].isin(kinds).sum()) if kinds else len(resources)
    raise KeyError(key)


# Keys counted from the つなぎ tab (lib.casework.referrals.count says how):
REFERRAL_KEYS = ("つなぎ件数", "つなぎもどし件数", "引継ぎ件数", "受理件数", "差し戻し件数", "平均応答日数")
# 経過記録 方法 that count as アウトリーチ (reaching out to a household that does not come):
OUTREACH_METHODS = ("訪問", "手紙")


def estimated(workbook: Workbook, key: str) -> bool:
    """Whether a key's count has to be estimated because the workbook lacks what it counts from (推計)."""
    if key == "支援プラン作成件数":
        return not workbook.has(schema.STAGE_HISTORY)
    if key == "アウトリーチ件数":
        return not workbook.has(schema.OUTREACH)
    if key == "中断件数":
        return not workbook.has(schema.HOUSEHOLDS, "中断日")
    if key in ("参加支援マッチング件数", "定着件数"):
        return not workbook.has(schema.PARTICIPATION)
    return False


def stage_timeline(workbook: Workbook):
    """A function (世帯ID, day) → the household's 段階 on that day, from 段階履歴: the last move on or
    before the day; before its first move, that move's 旧段階 (or 受付); a household with no move
    recorded has been in its current 段階 since 受付日; None before 受付日."""
    moves = workbook[schema.STAGE_HISTORY].sort_values(["日付", "_row"])
    by_household: dict[str, list[tuple[dt.date, str | None, str]]] = {}
    for hid, day, old, new in zip(moves["世帯ID"], moves["日付"].dt.date, moves["旧段階"], moves["新段階"]):
        by_household.setdefault(hid, []).append((day, old, new))
    hh = workbook[schema.HOUSEHOLDS]
    current = dict(zip(hh["世帯ID"], zip(hh["段階"], hh["受付日"].dt.date)))

    def stage_on(hid: str, day: dt.date) -> str | None:
        stage, received = current.get(hid, (None, None))
        if received is None or pd.isna(received) or day < received:
            return None
        history = by_household.get(hid)
        if not history:
            return stage
        before = [new for d, _, new in history if d <= day]
        return before[-1] if before else (history[0][1] or "受付")
    return stage_on


def indicator_table(workbook: Workbook, year: int, as_of: dt.date) -> pd.DataFrame:
    """The year's 計画指標: target, typed actual, computed actual (when 集計 names a key),
    the actual shown (computed if there is one), 達成率, and whether typed and computed disagree."""
    table = workbook[schema.INDICATORS]
    table = table[table["年度"] == year]
    rows = []
    for r in table.to_dict("records"):
        parsed = schema.indicator_key(r["集計"])
        computed = count(workbook, parsed[0], parsed[1], year, as_of) if parsed else None
        guessed = bool(parsed) and estimated(workbook, parsed[0])
        typed = None if pd.isna(r["実績値"]) else r["実績値"]
        shown = computed if computed is not None else typed
        target = None if pd.isna(r["目標値"]) else r["目標値"]
        rate = shown / target if shown is not None and target else None
        rows.append({"事業": r["事業"], "指標": r["指標"], "単位": r["単位"], "目標値": target, "実績値（入力）": typed,
                     "実績値（集計）": computed, "実績値": shown, "達成率": rate,
                     "差異": computed is not None and typed is not None and computed != typed, "推計": guessed,
                     "集計": r["集計"]})
    return pd.DataFrame(rows, columns=["事業", "指標", "単位", "目標値", "実績値（入力）", "実績値（集計）", "実績値",
                                       "達成率", "差異", "推計", "集計"])


def years(workbook: Workbook) -> list[int]:
    """Fiscal years present in 計画指標, newest first."""
    return sorted({int(y) for y in workbook[schema.INDICATORS]["年度"].dropna()}, reverse=True)


def annual_report(workbook: Workbook, year_list: list[int], as_of: dt.date) -> pd.DataFrame:
    """実績 table as in the towns' plans: rows = indicators, columns = fiscal years (oldest first)."""
    columns: dict[str, dict] = {}
    order: list[tuple] = []
    for year in sorted(year_list):
        for r in indicator_table(workbook, year, as_of).to_dict("records"):
            key = (r["事業"] or "", r["指標"], r["単位"] or "")
            if key not in order:
                order.append(key)
            columns.setdefault(fiscal_label(year), {})[key] = r["実績値"]
    rows = [{"事業": k[0], "指標": k[1], "単位": k[2], **{label: values.get(k) for label, values in columns.items()}}
            for k in order]
    return pd.DataFrame(rows, columns=["事業", "指標", "単位", *columns])


# ---------------------------------------------------------------- chart data

def _months(year: int) -> list[dt.date]:
    return [dt.date(year + (m < 4), m, 1) for m in (4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3)]


def _month_label(first: dt.date) -> str:
    return f"{first.year}-{first.month:02d}"


def monthly_flow(workbook: Workbook, year: int) -> pd.DataFrame:
    """New cases (受付日) and closures (終結日) per month of the fiscal year (long form)."""
    hh = workbook[schema.HOUSEHOLDS]
    rows = []
    for first in _months(year):
        for label, column in (("新規受付", "受付日"), ("終結", "終結日")):
            dates = hh[column].dt.date
            n = sum(1 for d in dates if not pd.isna(d) and (d.year, d.month) == (first.year, first.month))
            rows.append({"月": _month_label(first), "区分": label, "世帯数": n})
    return pd.DataFrame(rows, columns=["月", "区分", "世帯数"])


def meetings_per_month(workbook: Workbook, year: int) -> pd.DataFrame:
    """Meetings per month of the fiscal year by 種別 (long form, zeros included)."""
    meetings = workbook[schema.MEETINGS]
    rows = []
    for first in _months(year):
        for kind in schema.MEETING_TYPES[:4]:
            n = sum(1 for d, k in zip(meetings["開催日"].dt.date, meetings["種別"])
                    if k == kind and (d.year, d.month) == (first.year, first.month))
            rows.append({"月": _month_label(first), "種別": kind, "回数": n})
    return pd.DataFrame(rows, columns=["月", "種別", "回数"])


def stages_over_time(workbook: Workbook, year: int, as_of: dt.date) -> pd.DataFrame:
    """Households by 段階 at each month end (months after `as_of` left out), from 段階履歴
    (stage_timeline). Without a 段階履歴 tab it is estimated from 受付日/終結日: received and not
    yet closed → its current 段階, or 支援中 if it closed later; 終結日 on or before the month end → 終結."""
    hh = workbook[schema.HOUSEHOLDS]
    history = workbook.has(schema.STAGE_HISTORY)
    stage_on = stage_timeline(workbook) if history else None
    rows = []
    for first in _months(year):
        end = (pd.Timestamp(first) + pd.offsets.MonthEnd(0)).date()
        if first > as_of:
            break
        counts = dict.fromkeys(schema.STAGES, 0)
        for hid, received, closed, stage in zip(hh["世帯ID"], hh["受付日"].dt.date, hh["終結日"].dt.date, hh["段階"]):
            if pd.isna(received) or received > end:
                continue
            if history:
                counts[stage_on(hid, end)] += 1
            elif not pd.isna(closed) and closed <= end:
                counts["終結"] += 1
            else:
                counts["支援中" if stage == "終結" else stage] += 1
        rows += [{"月": _month_label(first), "段階": s, "世帯数": n} for s, n in counts.items()]
    return pd.DataFrame(rows, columns=["月", "段階", "世帯数"])


def closure_evaluations(workbook: Workbook, year: int) -> pd.DataFrame:
    """終結時の評価 (評価シート, one row per goal) dated in the year, by 達成度 (未記入 last)."""
    rows = workbook[schema.EVALUATIONS]
    rows = rows[in_year(rows["評価日"], year)]
    grades = rows["達成度"].where(rows["達成度"].notna(), "未記入")
    return pd.DataFrame({"達成度": [*schema.ACHIEVEMENT, "未記入"],
                         "目標の数": [int(grades.eq(g).sum()) for g in (*schema.ACHIEVEMENT, "未記入")]})


def issue_frequency(workbook: Workbook) -> pd.DataFrame:
    """How many active households carry each 課題 (most frequent first)."""
    hh = workbook[schema.HOUSEHOLDS]
    active = hh[~hh["段階"].isin(schema.CLOSED_STAGES)]
    counts = pd.Series([i for cell in active["課題"] for i in cell], dtype=object).value_counts()
    return pd.DataFrame({"課題": list(counts.index), "世帯数": [int(v) for v in counts.values]})
