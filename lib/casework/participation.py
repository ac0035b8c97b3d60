"""参加支援 (美咲町 別紙2-5①): a member of a household matched with a 受入先 (a 社会資源) through
打診 → 見学 → 体験 → 定着, or 中断 with a reason; after 定着, 定着支援 contacts. Each step is a row of
the 参加支援 tab (appended, never changed); rows of one matching share its マッチングID.

Pure: the plans to append (checked by the sheet's rules), each matching's state, each resource's
受入実績, the yearly counts (参加支援マッチング件数・定着件数) and the 定着支援 contacts due.
"""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import pandas as pd

from lib.casework.entry import Checker, record_groups
from lib.workbook import schema
from lib.workbook.cells import nfkc, show_date
from lib.workbook.validate import Workbook
from lib.workbook.writeplan import NewRow, WritePlan, depend_on

TAB = schema.PARTICIPATION

PROPOSE, VISIT, TRIAL, SETTLED, FOLLOW_UP, STOPPED = schema.PARTICIPATION_STEPS
# The steps that may follow each (skipping is allowed: a person may start with a trial):
NEXT: dict[str | None, tuple[str, ...]] = {
    None: (PROPOSE,),
    PROPOSE: (VISIT, TRIAL, SETTLED, STOPPED),
    VISIT: (TRIAL, SETTLED, STOPPED),
    TRIAL: (SETTLED, STOPPED),
    SETTLED: (FOLLOW_UP, STOPPED),
    FOLLOW_UP: (FOLLOW_UP, STOPPED),
    STOPPED: (),
}
# A 定着 with no 定着支援 contact for this many days is due one (daily digest, 世帯詳細):
FOLLOW_UP_DAYS = 30


def new_id(day: dt.date) -> str:
    return f"P-{day:%Y%m%d}-{uuid.uuid4().hex[:6]}"


@dataclass
class Matching:
    """One matching as it stands: who, where, the step it is at and its history."""

    id: str
    household: str
    target: str
    resource: str
    step: str
    started: dt.date | None
    last: dt.date | None
    history: str                    # 「打診 R8.4.1 → 見学 R8.4.20」
    agency: str | None = None       # who recorded the latest step

    @property
    def open(self) -> bool:
        return self.step != STOPPED


def matchings(rows: pd.DataFrame) -> list[Matching]:
    """Every matching in the rows, its current step the latest row's (by 日付, then sheet order)."""
    out = []
    for mid, group in record_groups(rows, "マッチングID"):
        first, latest = group.iloc[0], group.iloc[-1]
        days = [d.date() if not pd.isna(d) else None for d in group["日付"]]
        proposed = [d for s, d in zip(group["段階"], days) if s == PROPOSE and d]
        out.append(Matching(mid, first["世帯ID"], first["対象"], first["受入先"], latest["段階"],
                            proposed[0] if proposed else days[0], days[-1],
                            " → ".join(f"{s} {show_date(d)}" for s, d in zip(group["段階"], days)),
                            latest["機関"] if isinstance(latest["機関"], str) else None))
    return sorted(out, key=lambda m: (m.started or dt.date.min), reverse=True)


def of_household(workbook: Workbook, household_id: str) -> list[Matching]:
    rows = workbook[schema.PARTICIPATION]
    return matchings(rows[rows["世帯ID"] == household_id])


def _common(workbook: Workbook, check: Checker, day, today: dt.date, agency):
    when = check.date("日付", TAB, "日付", day, today)
    agency = check.agency("機関", TAB, "機関", agency, workbook)
    return when, agency


def start(workbook: Workbook, household_id: str, *, target, resource, day, note, agency, by: str,
          today: dt.date) -> tuple[WritePlan, str]:
    """A new matching (its 打診 row): the member, the 受入先 from the 社会資源 tab."""
    check = Checker()
    members = workbook[schema.MEMBERS]
    marks = set(members.loc[members["世帯ID"] == household_id, "記号"].dropna())
    if household_id not in set(workbook[schema.HOUSEHOLDS]["世帯ID"]):
        check.fail("世帯", f"世帯ID「{household_id}」の世帯は、記録できる世帯の中にありません")
    target = check.cell("対象", TAB, "対象", target, required=True)
    if target and target not in marks:
        check.fail("対象", f"「{target}」はこの世帯の世帯員にいません")
    resource = check.cell("受入先", TAB, "受入先", resource, required=True)
    names = {nfkc(n): n for n in workbook[schema.RESOURCES]["名称"]}
    if resource and nfkc(resource) not in names:
        check.fail("受入先", f"「{resource}」は社会資源タブにありません")
    when, agency = _common(workbook, check, day, today, agency)
    note = check.cell("内容", TAB, "内容", note)
    check.done()
    mid = new_id(today)
    return WritePlan(appends=[NewRow(schema.PARTICIPATION, {
        "マッチングID": mid, "世帯ID": household_id, "対象": target, "受入先": names[nfkc(resource)], "段階": PROPOSE,
        "日付": when, "内容": note, "機関": agency, "記入者": by})]), mid


def step(workbook: Workbook, matching: Matching, *, next_step, day, note, support, reason, agency, by: str,
         today: dt.date) -> WritePlan:
    """The matching's next step (a new row): one of NEXT[its step], not before its last date; 中断
    needs its reason."""
    check = Checker()
    next_step = check.cell("次の段階", TAB, "段階", next_step, required=True)
    if next_step and next_step not in NEXT[matching.step]:
        allowed = "・".join(NEXT[matching.step]) or "なし（中断したマッチングです）"
        check.fail("次の段階", f"いまは「{matching.step}」です。次に記録できるのは {allowed}")
    when, agency = _common(workbook, check, day, today, agency)
    if when and matching.last and when < matching.last:
        check.fail("日付", f"前の記録（{show_date(matching.last)}）より前の日付です")
    note = check.cell("内容", TAB, "内容", note)
    support = check.cell("受入先への支援", TAB, "受入先への支援", support)
    reason = check.cell("中断理由", TAB, "中断理由", reason)
    if next_step == STOPPED and not reason:
        check.fail("中断理由", "中断するときは理由を書いてください")
    check.done()
    # (decided from the matching's steps as read: a step someone recorded meanwhile refuses it)
    plan = WritePlan(appends=[NewRow(schema.PARTICIPATION, {
        "マッチングID": matching.id, "世帯ID": matching.household, "対象": matching.target, "受入先": matching.resource,
        "段階": next_step, "日付": when, "内容": note, "受入先への支援": support,
        "中断理由": reason if next_step == STOPPED else None, "機関": agency, "記入者": by})])
    return depend_on(plan, workbook, TAB, "マッチングID", matching.id, "段階")


def resource_record(workbook: Workbook) -> pd.DataFrame:
    """Each 受入先's 受入実績: matchings, those that reached 定着, those going on now, those stopped."""
    rows = workbook[schema.PARTICIPATION]
    settled = set(rows.loc[rows["段階"] == SETTLED, "マッチングID"])
    found: dict[str, dict] = {}
    for m in matchings(rows):
        e = found.setdefault(m.resource, {"受入先": m.resource, "マッチング": 0, "定着": 0, "進行中": 0, "中断": 0})
        e["マッチング"] += 1
        e["定着"] += m.id in settled
        e["進行中"] += m.step in (PROPOSE, VISIT, TRIAL)
        e["中断"] += m.step == STOPPED
    return pd.DataFrame(sorted(found.values(), key=lambda e: (-e["マッチング"], e["受入先"])),
                        columns=["受入先", "マッチング", "定着", "進行中", "中断"])


def developing(workbook: Workbook) -> pd.DataFrame:
    """Resources being developed (開拓中) and who is working on them."""
    res = workbook[schema.RESOURCES]
    rows = res[res["状態"] == "開拓中"] if "状態" in res.columns else res.iloc[0:0]
    return rows.reindex(columns=["名称", "種別", "地区", "開拓担当", "備考"]).reset_index(drop=True)


def follow_ups_due(found: list[Matching], today: dt.date, days: int = FOLLOW_UP_DAYS) -> list[Matching]:
    """Settled matchings with no 定着支援 contact for `days` (or more) since 定着 or the last contact."""
    return [m for m in found if m.step in (SETTLED, FOLLOW_UP) and m.last is not None and (today - m.last).days >= days]


def count(workbook: Workbook, key: str, in_year) -> int:
    """参加支援マッチング件数 (matchings proposed in the year) or 定着件数 (matchings settled in the year)."""
    rows = workbook[schema.PARTICIPATION]
    wanted = PROPOSE if key == "参加支援マッチング件数" else SETTLED
    return int(rows.loc[(rows["段階"] == wanted) & in_year(rows["日付"]), "マッチングID"].nunique())
