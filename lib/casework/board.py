"""The case board: households as cards in 段階 columns, with the figures a meeting starts from.

Pure functions over the validated workbook; `today` is always passed in so rules are testable.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from lib.workbook import schema
from lib.workbook.cells import as_dates
from lib.casework.households import CLOSED_STAGES, stale_contact_days, track

# A review date within this many days (and not past) is shown amber; past is red:
REVIEW_SOON_DAYS = 14
# Stages shown as open columns; the closed ones are folded away with a count:
OPEN_STAGES = tuple(s for s in schema.STAGES if s not in CLOSED_STAGES)
# Sort order within a column: 緊急度 first (高 → 中 → 低 → blank), then the review date.
URGENCY_RANK = {"高": 0, "中": 1, "低": 2}
# 課題 that by themselves involve two generations of one household:
CROSS_GENERATION_ISSUES = frozenset({"8050", "ダブルケア", "ヤングケアラー"})
# Members this many years apart in age are counted as different generations:
GENERATION_GAP_YEARS = 18


@dataclass(frozen=True)
class Filters:
    """What staff narrowed the board to; empty means no narrowing."""

    areas: tuple[str, ...] = ()
    issues: tuple[str, ...] = ()        # any of these
    agencies: tuple[str, ...] = ()
    staff: tuple[str, ...] = ()
    tracks: tuple[str, ...] = ()
    urgencies: tuple[str, ...] = ()     # "未設定" matches a blank 緊急度
    text: str = ""                      # part of 表示名 or 世帯ID


@dataclass(frozen=True)
class Card:
    """One household on the board."""

    household_id: str
    name: str
    stage: str
    area: str | None
    issues: tuple[str, ...]
    track: str
    agency: str | None
    staff: str | None
    urgency: str | None
    review: dt.date | None
    review_state: str | None            # "overdue", "soon" or None
    days_since_contact: int | None
    stale: bool
    complex: bool
    waiting: int | None = None          # days its oldest unanswered つなぎ request has waited
    waiting_overdue: bool = False       # … longer than the referral_days setting


@dataclass(frozen=True)
class Figures:
    active: int
    overdue: int
    stale: int
    new_this_month: int
    by_track: dict[str, int]


@dataclass
class Board:
    columns: dict[str, list[Card]]      # every 段階, flow order, sorted cards
    figures: Figures
    total: int                          # households before filtering
    shown: int                          # households after filtering


def review_state(review: dt.date | None, today: dt.date, soon_days: int = REVIEW_SOON_DAYS) -> str | None:
    """'overdue' when the review date has passed, 'soon' within `soon_days`, else None."""
    if review is None:
        return None
    if review < today:
        return "overdue"
    if (review - today).days <= soon_days:
        return "soon"
    return None


def last_contacts(households: pd.DataFrame, contacts: pd.DataFrame) -> dict[str, dt.date | None]:
    """世帯ID → the later of 最終接触日 and the newest 経過記録 日付."""
    newest = contacts.groupby("世帯ID")["日付"].max().dt.date.to_dict() if len(contacts) else {}
    out = {}
    for hid, typed in zip(households["世帯ID"], households["最終接触日"].dt.date):
        candidates = [d for d in (None if pd.isna(typed) else typed, newest.get(hid)) if d is not None]
        out[hid] = max(candidates) if candidates else None
    return out


def is_complex(issues: list[str], member_ages: list[int]) -> bool:
    """複合: two or more 課題 that span generations (a cross-generation 課題, or members ≥18 years apart)."""
    if len(issues) < 2:
        return False
    if CROSS_GENERATION_ISSUES & set(issues):
        return True
    return len(member_ages) >= 2 and max(member_ages) - min(member_ages) >= GENERATION_GAP_YEARS


def board_order(households: pd.DataFrame) -> list[str]:
    """世帯ID in board order: 段階 flow, then 緊急度, then 次回見直し日 (blank last), then 世帯ID."""
    stage_rank = {s: i for i, s in enumerate(schema.STAGES)}
    keyed = sorted(
        zip(households["世帯ID"], households["段階"], households["緊急度"], as_dates(households["次回見直し日"])),
        key=lambda r: (stage_rank.get(r[1], 99), URGENCY_RANK.get(r[2], 3), r[3] or dt.date.max, r[0]))
    return [r[0] for r in keyed]


def _matches(row, filters: Filters) -> bool:
    if filters.areas and row["地区"] not in filters.areas:
        return False
    if filters.issues and not set(filters.issues) & set(row["課題"]):
        return False
    if filters.agencies and row["主担当機関"] not in filters.agencies:
        return False
    if filters.staff and row["担当者"] not in filters.staff:
        return False
    if filters.tracks and track(row["同意"]) not in filters.tracks:
        return False
    if filters.urgencies and (row["緊急度"] or "未設定") not in filters.urgencies:
        return False
    text = filters.text.strip().lower()
    if text and text not in f"{row['表示名']} {row['世帯ID']}".lower():
        return False
    return True


def filter_options(hh: pd.DataFrame) -> dict[str, list[str]]:
    """The values each board filter offers, from the households present."""
    def values(column):
        return sorted({v for v in hh[column] if isinstance(v, str) and v})
    issues = {i for cell in hh["課題"] for i in cell}
    ordered_issues = [i for i in schema.ISSUES if i in issues] + sorted(issues - set(schema.ISSUES))
    return {"地区": values("地区"), "課題": ordered_issues, "主担当機関": values("主担当機関"),
            "担当者": values("担当者"), "track": list(schema.TRACKS),
            "緊急度": [*schema.URGENCY, "未設定"]}


def build_board(workbook, today: dt.date, filters: Filters = Filters(),
                soon_days: int = REVIEW_SOON_DAYS, stale_days: int | None = None,
                referral_days: int | None = None) -> Board:
    """Cards per 段階 column for the households that pass `filters`, and the top figures."""
    from lib.casework.households import referral_days as referral_setting
    from lib.casework.referrals import waiting_days
    stale_days = stale_contact_days() if stale_days is None else stale_days
    referral_days = referral_setting() if referral_days is None else referral_days
    waiting = waiting_days(workbook, today)
    hh = workbook[schema.HOUSEHOLDS]
    contacts = last_contacts(hh, workbook[schema.CONTACTS])
    members = workbook[schema.MEMBERS]
    ages: dict[str, list[int]] = {}
    for hid, age in zip(members["世帯ID"], members["年齢"]):
        if not pd.isna(age):
            ages.setdefault(hid, []).append(int(age))
    position = {hid: i for i, hid in enumerate(board_order(hh))}
    columns: dict[str, list[Card]] = {s: [] for s in schema.STAGES}
    overdue = stale = new = 0
    by_track = dict.fromkeys(schema.TRACKS, 0)
    cards = []
    names = ["世帯ID", "表示名", "段階", "地区", "課題", "同意", "主担当機関", "担当者", "緊急度"]   # of a card, of the filters
    dates = {c: as_dates(hh[c]) for c in ("次回見直し日", "受付日")}
    for row, review, received in zip((dict(zip(names, values)) for values in zip(*(hh[c].tolist() for c in names))),
                                     dates["次回見直し日"], dates["受付日"]):
        hid = row["世帯ID"]
        last = contacts.get(hid)
        days = (today - last).days if last else None
        active = row["段階"] not in CLOSED_STAGES
        # With no contact recorded at all, the time since 受付日 decides the flag:
        silent_for = days if days is not None else (today - received).days
        card = Card(hid, row["表示名"], row["段階"], row["地区"], tuple(row["課題"]), track(row["同意"]),
                    row["主担当機関"], row["担当者"], row["緊急度"], review,
                    review_state(review, today, soon_days) if active else None, days,
                    active and silent_for >= stale_days, is_complex(row["課題"], ages.get(hid, [])),
                    waiting.get(hid), waiting.get(hid, -1) > referral_days)
        if active:
            overdue += card.review_state == "overdue"
            stale += card.stale
            by_track[card.track] += 1
        new += bool(received and (received.year, received.month) == (today.year, today.month))
        if _matches(row, filters):
            cards.append(card)
    for card in sorted(cards, key=lambda c: position[c.household_id]):
        columns.setdefault(card.stage, []).append(card)
    figures = Figures(sum(by_track.values()), overdue, stale, new, by_track)
    return Board(columns, figures, len(hh), len(cards))


def board_table(board: Board) -> pd.DataFrame:
    """The compact table view: one row per shown household, in board order."""
    rows = [{"世帯ID": c.household_id, "表示名": c.name, "段階": c.stage, "地区": c.area,
             "課題": "、".join(c.issues), "複合": "複合" if c.complex else "", "会議": c.track,
             "主担当機関": c.agency, "担当者": c.staff, "緊急度": c.urgency, "次回見直し日": c.review,
             "最終接触からの日数": c.days_since_contact}
            for cards in board.columns.values() for c in cards]
    return pd.DataFrame(rows, columns=["世帯ID", "表示名", "段階", "地区", "課題", "複合", "会議", "主担当機関",
                                       "担当者", "緊急度", "次回見直し日", "最終接触からの日数"])
