"""世帯詳細: everything about one household, in the layouts of the seeds' forms."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pandas as pd

from lib.casework import board
from lib.casework.entry import contact_history
from lib.workbook import schema
from lib.workbook.cells import nfkc
from lib.casework.households import track
from lib.workbook.validate import Workbook

# 続柄 words read as female / male for the 家族構成図 (○ / □); anything else is drawn as ◇.
FEMALE = ("母", "妻", "娘", "長女", "次女", "三女", "姉", "妹", "祖母", "実母", "義母", "嫁", "孫娘", "女")
MALE = ("父", "夫", "息子", "長男", "次男", "三男", "兄", "弟", "祖父", "実父", "義父", "婿", "孫息子", "男")
PLAN_COLUMNS = ["対象", "目標", "検討内容", "取組事項", "役割分担", "期限", "状況"]


@dataclass
class Detail:
    """One household's screen: each part already shaped for display."""

    household: dict
    track: str
    last_contact: dt.date | None
    complex: bool
    members: pd.DataFrame
    genogram: str
    plan: pd.DataFrame
    contacts: pd.DataFrame
    meetings: pd.DataFrame
    problems: list


def find(workbook: Workbook, household_id: str) -> dict | None:
    """The household row for an ID typed in a URL (NFKC, trimmed), or None."""
    hh = workbook[schema.HOUSEHOLDS]
    match = hh[hh["世帯ID"] == nfkc(household_id)]
    return None if match.empty else match.iloc[0].to_dict()


def sex_of(relation: str | None) -> str:
    """'F', 'M' or '?' from a 続柄 word (for the shape in the 家族構成図)."""
    rel = relation or ""
    if any(rel.endswith(w) or rel == w for w in FEMALE):
        return "F"
    if any(rel.endswith(w) or rel == w for w in MALE):
        return "M"
    return "?"


def _dot(text: object) -> str:
    """A value made safe inside a double-quoted DOT string."""
    return re.sub(r'(["\\])', r"\\\1", "" if text is None else str(text)).replace("\n", " ")


def genogram(members: pd.DataFrame, projection: bool = False) -> str:
    """A genogram-style DOT graph: generations by age top to bottom, ○ female, □ male, ◇ unknown.

    Members whose ages are within GENERATION_GAP_YEARS of each other share a generation; each
    generation is linked to the next. The household is drawn inside one frame (同居).
    """
    rows = members.to_dict("records")
    ages = [None if pd.isna(r.get("年齢")) else int(r["年齢"]) for r in rows]
    order = sorted(range(len(rows)), key=lambda i: -(ages[i] if ages[i] is not None else -1))
    generations: list[list[int]] = []
    for i in order:
        age = ages[i]
        if generations and (age is None or ages[generations[-1][0]] is None
                            or ages[generations[-1][0]] - age < board.GENERATION_GAP_YEARS):
            generations[-1].append(i)
        else:
            generations.append([i])
    shapes = {"F": "circle", "M": "box", "?": "diamond"}
    lines = ["graph 家族構成図 {", '  graph [rankdir=TB, fontname="sans-serif", nodesep=0.5];',
             '  node [fontname="sans-serif", fontsize=11, width=1.1, height=0.8, fixedsize=false];',
             "  subgraph cluster_household {", '    label="同居"; style=rounded; color="#888888";']
    for gen in generations:
        lines.append("    { rank=same; " + " ".join(f"m{i};" for i in gen) + " }")
        for i in gen:
            r = rows[i]
            age = r.get("年代") if projection else (f"{ages[i]}歳" if ages[i] is not None else "")
            label = "\\n".join(_dot(p) for p in (r.get("記号"), r.get("続柄"), age) if p)
            lines.append(f'    m{i} [label="{label}", shape={shapes[sex_of(r.get("続柄"))]}];')
        for a, b in zip(gen, gen[1:]):
            lines.append(f"    m{a} -- m{b} [style=dashed];")
    for upper, lower in zip(generations, generations[1:]):
        for child in lower:
            lines.append(f"    m{upper[0]} -- m{child};")
    lines += ["  }", "}"]
    return "\n".join(lines)


def plan_sheet(plans: pd.DataFrame, members: pd.DataFrame) -> pd.DataFrame:
    """世帯支援プランシート (様式5): a row per member (A氏 …), then 危機介入 and その他, even when empty."""
    targets = list(dict.fromkeys([*members["記号"], *plans["対象"]]))
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
    contacts = contact_history(contacts[contacts["世帯ID"] == hid])
    meetings = workbook[schema.MEETINGS]
    meetings = meetings[meetings["対象世帯"].map(lambda ids: hid in ids).astype(bool)].sort_values("開催日", ascending=False)
    hh = workbook[schema.HOUSEHOLDS]
    last = board.last_contacts(hh[hh["世帯ID"] == hid], workbook[schema.CONTACTS]).get(hid)
    ages = [int(a) for a in members["年齢"].dropna()]
    member_cols = ["記号", "続柄", "年代" if projection else "年齢", "分野"] + ([] if projection else ["状況"])
    contact_cols = ["日付", "機関", "担当者", "方法"] + ([] if projection else ["内容", "訂正"])
    meeting_cols = ["開催日", "種別", "会議ID"] + ([] if projection else ["決定事項"])
    shown_members = members.reindex(columns=member_cols).assign(
        分野=lambda f: f["分野"].map(lambda v: "、".join(v) if isinstance(v, list) else v))
    plan = plan_sheet(plans, members)
    if projection:
        plan = plan[["対象", "期限", "状況"]]
    return Detail(
        household=row, track=track(row["同意"]), last_contact=last,
        complex=board.is_complex(row["課題"], ages),
        members=shown_members.reset_index(drop=True), genogram=genogram(members, projection), plan=plan,
        contacts=contacts[contact_cols].assign(日付=lambda f: f["日付"].dt.date).reset_index(drop=True),
        meetings=meetings[meeting_cols].assign(開催日=lambda f: f["開催日"].dt.date).reset_index(drop=True),
        problems=[p for p in workbook.problems if p.household == hid])
