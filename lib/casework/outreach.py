"""アウトリーチ (美咲町 別紙2-5②): people not yet in 受付 — often without consent or a name
(「東部 70代男性」) — with each contact and the plan for building trust, one row a contact in the
アウトリーチ tab (appended, never changed; rows of one person share a 対象ID). When the person
agrees, 「相談受付へ」 turns the record into a 相談受付 carrying its history, in one save: the new
世帯 (lib.casework.entry.intake), its 経過記録 made from the contacts, and a closing アウトリーチ row
that names the new 世帯ID.

Who sees these rows is decided in lib.access.scope (the outreach agency and 多機関協働 only,
never projected); this module is pure.
"""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, replace

import pandas as pd

from lib.casework import entry
from lib.casework.entry import Checker
from lib.workbook import schema
from lib.workbook.cells import show_date
from lib.workbook.validate import ROW, Workbook
from lib.workbook.writeplan import NewRow, WritePlan, depend_on

TAB = schema.OUTREACH
CONTACTING, WATCHING, TO_INTAKE, ENDED = schema.OUTREACH_STATES
# The 事業 (機関 tab) of the agencies that do outreach and see these records:
PROGRAMME = "アウトリーチ等継続的支援"
# How 「相談受付へ」 marks the 経過記録 it makes from the contacts (already counted as アウトリーチ件数):
COPIED = "（アウトリーチ）"


@dataclass
class Person:
    """One person reached out to, as the records stand."""

    id: str
    name: str                       # 呼び名
    area: str | None
    state: str
    first: dt.date | None
    last: dt.date | None
    contacts: int
    plan: str | None                # the latest 信頼づくりの計画
    agency: str | None
    household: str | None           # 受付後の世帯ID once taken into 受付

    @property
    def open(self) -> bool:
        return self.state in (CONTACTING, WATCHING)


def people(rows: pd.DataFrame) -> list[Person]:
    """Every person in the rows, the state and plan the latest rows say; most recent contact first."""
    out = []
    for pid, group in entry.record_groups(rows, "対象ID"):
        latest = group.iloc[-1]
        days = [d.date() for d in group["日付"].dropna()]
        plans = [p for p in group["信頼づくりの計画"] if isinstance(p, str) and p]
        areas = [a for a in group["地区"] if isinstance(a, str) and a]
        households = [h for h in group["受付後の世帯ID"] if isinstance(h, str) and h]
        out.append(Person(pid, latest["呼び名"], areas[-1] if areas else None, latest["状態"], days[0] if days else None,
                          days[-1] if days else None, int(group["方法"].notna().sum()), plans[-1] if plans else None,
                          latest["機関"],
                          households[-1] if households else None))
    return sorted(out, key=lambda p: (p.last or dt.date.min), reverse=True)


def of_workbook(workbook: Workbook) -> list[Person]:
    """Everyone in the workbook's アウトリーチ tab (as `people`)."""
    return people(workbook[TAB])


def table(found: list[Person]) -> pd.DataFrame:
    return pd.DataFrame([{"呼び名": p.name, "地区": p.area, "状態": p.state, "最初の接触": p.first, "最後の接触": p.last,
                          "接触回数": p.contacts, "機関": p.agency or "", "世帯ID": p.household or ""} for p in found],
                        columns=["呼び名", "地区", "状態", "最初の接触", "最後の接触", "接触回数", "機関", "世帯ID"])


def history(rows: pd.DataFrame, person_id: str) -> pd.DataFrame:
    """One person's contacts, newest first."""
    mine = rows[rows["対象ID"] == person_id].sort_values(["日付", ROW], ascending=False)
    return mine[["日付", "方法", "内容", "信頼づくりの計画", "状態", "機関", "記入者"]].reset_index(drop=True)


def new_id(day: dt.date) -> str:
    return f"O-{day:%Y%m%d}-{uuid.uuid4().hex[:6]}"


def contact(workbook: Workbook, person: Person | None, *, name, area, day, method, text, plan, state, agency,
            by: str, today: dt.date) -> WritePlan:
    """A contact to append: with a new person (`person` None: 呼び名 needed) or one already known."""
    check = Checker()
    if person is None:
        name = check.cell("呼び名", TAB, "呼び名", name, required=True)
        area = check.cell("地区", TAB, "地区", area)
        if area and area not in set(workbook[schema.AREAS]["地区名"]):
            check.fail("地区", f"「{area}」は地区タブにありません")
    else:
        if not person.open:
            check.fail("状態", f"この人の記録は「{person.state}」で終わっています")
        name, area = person.name, person.area
    when = check.date("日付", TAB, "日付", day, today)
    if person is not None and when and person.last and when < person.last:
        check.fail("日付", f"前の接触（{show_date(person.last)}）より前の日付です")
    method = check.cell("方法", TAB, "方法", method, required=True)
    text = check.cell("内容", TAB, "内容", text, required=True)
    plan = check.cell("信頼づくりの計画", TAB, "信頼づくりの計画", plan)
    state = check.cell("状態", TAB, "状態", state, required=True)
    if state in (TO_INTAKE,):
        check.fail("状態", "相談受付へ進むときは「相談受付へ」のボタンを使います（世帯と経過記録を一緒に作ります）")
    agency = check.agency("機関", TAB, "機関", agency, workbook)
    check.done()
    out = WritePlan(appends=[NewRow(TAB, {
        "対象ID": person.id if person else new_id(today), "呼び名": name, "地区": area, "日付": when, "方法": method,
        "内容": text, "信頼づくりの計画": plan, "状態": state, "機関": agency, "記入者": by})])
    # (a contact with someone known is decided from their record as read: one recorded meanwhile refuses it)
    return depend_on(out, workbook, TAB, "対象ID", person.id, "状態") if person else out


def to_intake(workbook: Workbook, person: Person, form: entry.Intake, *, taken: set[str], today: dt.date,
              by: str) -> tuple[WritePlan, str]:
    """The person agreed: a 相談受付 (the new 世帯, its 世帯員, 同意記録 and 段階履歴) with the contacts as
    its first 経過記録 and a closing アウトリーチ row naming the new 世帯ID — one plan, one save."""
    if not person.open:
        raise entry.Invalid({"状態": f"この人の記録は「{person.state}」で終わっています"})
    form = replace(form, area=form.area or person.area,
                   referrer=form.referrer or "アウトリーチ",
                   note=form.note or f"アウトリーチ（{person.name}、{person.contacts}回の接触）から")
    plan, hid = entry.intake(workbook, form, taken=taken, today=today, by=by)
    rows = workbook[TAB]
    for r in rows[rows["対象ID"] == person.id].sort_values(["日付", ROW]).to_dict("records"):
        plan.appends.append(NewRow(schema.CONTACTS, {
            "日付": r["日付"].date() if not pd.isna(r["日付"]) else today, "世帯ID": hid, "機関": r["機関"],
            "担当者": r["記入者"], "方法": r["方法"] or "その他", "内容": f"{COPIED}{r['内容'] or ''}",
            "記録ID": entry.new_record_id(today)}))
    plan.appends.append(NewRow(TAB, {
        "対象ID": person.id, "呼び名": person.name, "地区": person.area, "日付": form_day(form, today),
        "方法": None, "内容": f"本人が同意し、相談受付へ（世帯ID {hid}）", "信頼づくりの計画": None,
        "状態": TO_INTAKE, "機関": form.agency or person.agency, "記入者": by, "受付後の世帯ID": hid}))
    # (two workers turning the same person into a 相談受付 at once would make two 世帯: the second is refused)
    return depend_on(plan, workbook, TAB, "対象ID", person.id, "状態"), hid


def form_day(form: entry.Intake, today: dt.date) -> dt.date:
    """The 受付日 the intake form carries (already checked by entry.intake), else today."""
    return Checker().cell("受付日", schema.HOUSEHOLDS, "受付日", form.received) or today


def copied(contacts: pd.DataFrame) -> pd.Series:
    """Which 経過記録 rows 「相談受付へ」 made from アウトリーチ contacts (each visit counts once: as
    アウトリーチ件数, not again as 訪問件数)."""
    return contacts["内容"].map(lambda text: isinstance(text, str) and text.startswith(COPIED)).astype(bool)


def count(workbook: Workbook, in_year) -> int:
    """アウトリーチ件数: contacts (rows with a 方法) dated in the year."""
    rows = workbook[TAB]
    return int((rows["方法"].notna() & in_year(rows["日付"])).sum())


def came_to_intake(workbook: Workbook, in_year) -> int:
    """アウトリーチからの受付件数: people whose record says 「相談受付へ」 on a day in the year."""
    rows = workbook[TAB]
    return int(rows.loc[rows["状態"].eq(TO_INTAKE) & in_year(rows["日付"]), "対象ID"].nunique())
