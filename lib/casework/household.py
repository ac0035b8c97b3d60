"""世帯詳細: everything about one household, in the layouts of the seeds' forms."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from lib.casework import board
from lib.casework import genogram as drawing
from lib.casework import participation
from lib.casework.agencies import names_agency
from lib.casework.entry import contact_history
from lib.workbook import schema
from lib.workbook.cells import nfkc
from lib.casework.households import track
from lib.workbook.validate import Workbook

PLAN_COLUMNS = ["対象", "目標", "検討内容", "取組事項", "役割分担", "期限", "状況"]


@dataclass
class Detail:
    """One household's screen: each part already shaped for display."""

    household: dict
    track: str
    last_contact: dt.date | None
    complex: bool
    members: pd.DataFrame
    genogram: str                 # SVG (lib.casework.genogram)
    ecomap: str                   # SVG: the agencies around the household
    plan: pd.DataFrame
    contacts: pd.DataFrame
    meetings: pd.DataFrame
    problems: list
    genogram_alt: str = ""        # the drawings in words (their text alternatives)
    ecomap_alt: str = ""


def find(workbook: Workbook, household_id: str) -> dict | None:
    """The household row for an ID typed in a URL (NFKC, trimmed), or None."""
    hh = workbook[schema.HOUSEHOLDS]
    match = hh[hh["世帯ID"] == nfkc(household_id)]
    return None if match.empty else match.iloc[0].to_dict()


def plan_sheet(plans: pd.DataFrame, members: pd.DataFrame) -> pd.DataFrame:
    """世帯支援プランシート (様式5): a row per living member (A氏 …), then 危機介入 and その他, even when empty."""
    living = members[members["死亡"] != "はい"] if "死亡" in members.columns else members
    targets = list(dict.fromkeys([*living["記号"], *plans["対象"]]))
    targets = [t for t in targets if t not in schema.PLAN_EXTRA_TARGETS] + list(schema.PLAN_EXTRA_TARGETS)
    rows = []
    for target in targets:
        items = plans[plans["対象"] == target]
        if items.empty:
            rows.append({c: (target if c == "対象" else None) for c in PLAN_COLUMNS})
        for _, item in items.iterrows():
            rows.append({"対象": target, **{c: item[c] for c in PLAN_COLUMNS[1:]}})
    frame = pd.DataFrame(rows, columns=PLAN_COLUMNS)
    frame["期限"] = pd.to_datetime(frame["期限"]).dt.date
    return frame.rename(columns={"取組事項": "当面の取組事項"})


def build_detail(workbook: Workbook, household_id: str, today: dt.date, projection: bool = False) -> Detail | None:
    """Everything the 世帯詳細 page shows for one household, or None if it is not in this workbook."""
    row = find(workbook, household_id)
    if row is None:
        return None
    hid = row["世帯ID"]
    members = workbook[schema.MEMBERS]
    members = members[members["世帯ID"] == hid]
    plans = workbook[schema.PLANS]
    plans = plans[plans["世帯ID"] == hid]
    contacts = workbook[schema.CONTACTS]
    contacts = contacts[contacts["世帯ID"] == hid]
    hh = workbook[schema.HOUSEHOLDS]
    last = board.last_contacts(hh[hh["世帯ID"] == hid], contacts).get(hid)      # from its own 経過記録 only
    contacts = contact_history(contacts)
    meetings = workbook[schema.MEETINGS]
    meetings = meetings[meetings["対象世帯"].map(lambda ids: hid in ids).astype(bool)].sort_values("開催日", ascending=False)
    ages = [int(a) for a in members["年齢"].dropna()]
    member_cols = ["記号", "続柄", "年代" if projection else "年齢", "分野"] + ([] if projection else ["状況"])
    contact_cols = ["日付", "機関", "担当者", "方法"] + ([] if projection else ["内容", "訂正"])
    meeting_cols = ["開催日", "種別", "会議ID"] + ([] if projection else ["決定事項"])
    shown_members = members.reindex(columns=member_cols).assign(
        分野=lambda f: f["分野"].map(lambda v: "、".join(v) if isinstance(v, list) else v))
    plan = plan_sheet(plans, members)
    referrals = workbook[schema.REFERRALS]
    agencies = list(workbook[schema.AGENCIES]["機関名"])
    around = drawing.ties(row, plans, referrals[referrals["世帯ID"] == hid],
                          lambda text, agency: names_agency(text, agency, agencies), agencies,
                          participation.of_household(workbook, hid))
    if projection:
        plan = plan[["対象", "期限", "状況"]]
    return Detail(
        household=row, track=track(row["同意"]), last_contact=last,
        complex=board.is_complex(row["課題"], ages),
        members=shown_members.reset_index(drop=True), genogram=drawing.genogram_svg(members, projection, today.year),
        ecomap=drawing.ecomap_svg(str(row["表示名"]), around), plan=plan,
        genogram_alt=f"家族構成図（世帯員{len(members)}人。内容は「世帯員」の表と同じです）",
        ecomap_alt=drawing.ecomap_text(str(row["表示名"]), around),
        contacts=contacts[contact_cols].assign(日付=lambda f: f["日付"].dt.date).reset_index(drop=True),
        meetings=meetings[meeting_cols].assign(開催日=lambda f: f["開催日"].dt.date).reset_index(drop=True),
        problems=[p for p in workbook.problems if p.household == hid])


def assessment_items(row) -> list[tuple[str, str]]:
    """One assessment as the sheet reads: (heading, what was seen), headings left empty left out."""
    return [(name, row[name]) for name in schema.ASSESSMENT_FIELDS if isinstance(row[name], str) and row[name]]


def assessment_history(rows: pd.DataFrame) -> pd.DataFrame:
    """Earlier assessments: when, about whom, by whom, and what was seen in short."""
    return pd.DataFrame({"実施日": rows["実施日"].dt.date, "対象": rows["対象"], "機関": rows["機関"], "記入者": rows["記入者"],
                         "課題の見立て": rows["課題の見立て"], "支援の方向": rows["支援の方向"]})
