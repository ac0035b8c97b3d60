"""Casework entry: what staff record in the app, as write plans (pure; lib.workbook.sources writes them).

- 経過記録: a new row, never a changed one; a correction is a new row whose 訂正元 names the original.
- 相談受付 (別紙2-2): a new 世帯 row (段階 受付) with its 世帯員, its 同意記録 and its first 段階履歴 row.
- 同意: a 同意記録 row; 世帯.同意 follows it (a withdrawal takes the case to 支援会議).
- 段階: 世帯.段階 (and 終結日 / 中断日) plus a 段階履歴 row.
- 支援プラン: changed cells of the household's plan rows (conflict-checked) and added rows.
- アセスメント (別紙2-3): a new row per assessment; an earlier one is never changed (the newest is
  the household's assessment, the earlier ones stay as its history).

Every field is checked by the rules the sheet reader uses (lib.workbook.validate.parse_cell), and
every problem is reported at once, one Japanese message per field (`Invalid.errors`).
"""
from __future__ import annotations

import datetime as dt
import difflib
import re
import uuid
from dataclasses import dataclass, field

import pandas as pd

from lib.workbook import schema
from lib.casework.agencies import directory
from lib.workbook.cells import CellError, nfkc
from lib.workbook.validate import ROW, Workbook, parse_cell
from lib.workbook.writeplan import CellChange, NewRow, WritePlan, plain, row_as_read, row_key

# What each form records (the entries a role may make: lib.access.scope.allowed_entries):
CONTACT, INTAKE, CONSENT, STAGE, PLAN, ASSESSMENT, PARTICIPATION = (
    "経過記録", "相談受付", "同意", "段階", "支援プラン", "アセスメント", "参加支援")
ENTRIES = (CONTACT, INTAKE, CONSENT, STAGE, PLAN, ASSESSMENT, PARTICIPATION)
# 相談受付's 同意 as the form asks it (別紙2-2), and what 世帯.同意 becomes:
INTAKE_CONSENT = {"同意する": "あり", "同意しない": "なし", "不明": "不明"}
# Plan fields staff edit, in the 様式5 order:
PLAN_FIELDS = ("目標", "検討内容", "取組事項", "役割分担", "期限", "状況")
# A 表示名 this close to another in the same 地区 gives a warning (0–1, difflib ratio):
SIMILAR_NAME = 0.8
# First number of a town's 世帯ID when it has none yet, and its form:
FIRST_ID = "H-001"


class Invalid(Exception):
    """The form cannot be saved as filled in: field label → what to fix (nothing was written)."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("、".join(errors))
        self.errors = errors


class Checker:
    """Collects one message per field while values are parsed by the sheet's rules."""

    def __init__(self):
        self.errors: dict[str, str] = {}

    def cell(self, label: str, tab: str, column: str, value, required: bool = False):
        if isinstance(value, str):
            value = value.strip()
        try:
            parsed = parse_cell(tab, column, value)
        except CellError as e:
            self.errors.setdefault(label, str(e))
            return None
        if required and parsed in (None, [], ""):
            self.errors.setdefault(label, f"「{label}」を入れてください")
        return parsed

    def date(self, label: str, tab: str, column: str, value, today: dt.date, required: bool = True):
        day = self.cell(label, tab, column, value, required)
        if day is not None and day > today:
            self.errors.setdefault(label, "先の日付は入れられません（今日か、それより前の日付にしてください）")
        return day

    def agency(self, label: str, tab: str, column: str, value, workbook: Workbook):
        """An agency field: read by the sheet's rule and found in the 機関 tab (any of its spellings)."""
        agency = self.cell(label, tab, column, value)
        if agency and not directory(workbook).known(agency):
            self.fail(label, f"「{agency}」は機関タブにありません")
        return agency

    def fail(self, label: str, message: str) -> None:
        self.errors.setdefault(label, message)

    def done(self) -> None:
        if self.errors:
            raise Invalid(self.errors)


def _household(workbook: Workbook, household_id: str) -> dict:
    row = row_as_read(workbook, schema.HOUSEHOLDS, household_id)
    if row is None:
        raise Invalid({"世帯": f"世帯ID「{household_id}」の世帯は、記録できる世帯の中にありません"})
    return row


def new_record_id(day: dt.date) -> str:
    """K-20261126-3f9a1c: unique without reading the sheet (two people saving at once never clash)."""
    return f"K-{day:%Y%m%d}-{uuid.uuid4().hex[:6]}"


def original_reference(row: dict) -> str:
    """How a correction names its original: the 記録ID, or 「12行目」 for a row typed without one."""
    return row.get("記録ID") or f"{int(row[ROW])}行目"


# ---------------------------------------------------------------- 経過記録

def contact(workbook: Workbook, household_id: str, *, day, method, agency, staff, text, today: dt.date,
            corrects: dict | None = None) -> WritePlan:
    """A 経過記録 row to append (a correction when `corrects` is the original row)."""
    _household(workbook, household_id)
    check = Checker()
    day = check.date("日付", schema.CONTACTS, "日付", day, today)
    method = check.cell("方法", schema.CONTACTS, "方法", method, required=True)
    agency = check.agency("機関", schema.CONTACTS, "機関", agency, workbook)
    staff = check.cell("担当者", schema.CONTACTS, "担当者", staff)
    text = check.cell("内容", schema.CONTACTS, "内容", text, required=True)
    if corrects is not None and corrects.get("世帯ID") != household_id:
        check.fail("訂正", "訂正する記録がこの世帯のものではありません")
    check.done()
    values = {"日付": day, "世帯ID": household_id, "機関": agency, "担当者": staff, "方法": method,
              "内容": text, "記録ID": new_record_id(today)}
    if corrects is not None:
        values["訂正元"] = original_reference(corrects)
    return WritePlan(appends=[NewRow(schema.CONTACTS, values)])


def contact_history(contacts: pd.DataFrame) -> pd.DataFrame:
    """The household's 経過記録, newest first, with each row's correction state: 訂正 rows say
    which record they correct, and originals say they were corrected (both rows stay)."""
    frame = contacts.copy()
    refs = {original_reference(r) for r in frame.to_dict("records")}
    corrected = {r for r in frame["訂正元"].dropna() if r in refs}
    frame["訂正"] = ["訂正（" + str(c) + " を訂正）" if isinstance(c, str) and c else
                   ("訂正されました" if original_reference(r) in corrected else "")
                   for c, r in zip(frame["訂正元"], frame.to_dict("records"))]
    return frame.sort_values(["日付", ROW], ascending=False, na_position="last")


# ---------------------------------------------------------------- 相談受付

@dataclass
class Member:
    """One 世帯員 on the intake form (別紙2-2: 記号, 続柄, 年齢, 分野, 状況)."""

    mark: str = ""
    relation: str = ""
    age: object = None
    fields: object = ""
    situation: str = ""

    @property
    def blank(self) -> bool:
        return not any(str(v or "").strip() for v in (self.mark, self.relation, self.age, self.fields, self.situation))


@dataclass
class Intake:
    """別紙2-2 相談受付・申込票, as the form fills it."""

    name: str = ""
    area: str | None = None
    issues: list[str] = field(default_factory=list)
    referrer: str = ""
    consent: str = "不明"                 # 同意する / 同意しない / 不明
    agency: str | None = None
    staff: str = ""
    received: object = None
    urgency: str | None = None
    note: str = ""
    members: list[Member] = field(default_factory=list)


_ID = re.compile(r"^(.*?)(\d+)$")


def next_household_id(taken: set[str]) -> str:
    """The next free 世帯ID in the town's own pattern (H-061 after H-060; H-00061 in a big town)."""
    return next_id(taken, FIRST_ID)


def next_id(taken: set[str], first: str) -> str:
    """The next free ID after the highest-numbered one of `taken`, in its own prefix and width
    (`first` when none has a number)."""
    best = None
    for hid in taken:
        m = _ID.match(hid)
        if m and (best is None or int(m.group(2)) > best[1]):
            best = (m.group(1), int(m.group(2)), len(m.group(2)))
    if best is None:
        return first
    prefix, n, width = best
    candidate = f"{prefix}{n + 1:0{width}d}"
    while candidate in taken:
        n += 1
        candidate = f"{prefix}{n + 1:0{width}d}"
    return candidate


def household_name_key(name: str) -> str:
    """A 表示名 as compared for "the same household": no spaces, without 世帯・様・さん at the end."""
    return re.sub(r"\s|世帯$|様$|さん$", "", nfkc(name))


def similar_households(workbook: Workbook, name: str, area: str | None) -> list[str]:
    """Households in the same 地区 whose 表示名 reads almost the same (a warning, never a block)."""
    key = household_name_key(name)
    if not key:
        return []
    hh = workbook[schema.HOUSEHOLDS]
    out = []
    for hid, other, other_area in zip(hh["世帯ID"], hh["表示名"], hh["地区"]):
        if (area or None) != (other_area or None):
            continue
        okey = household_name_key(other)
        if okey == key or difflib.SequenceMatcher(None, key, okey).ratio() >= SIMILAR_NAME:
            out.append(f"{other}（{hid}）")
    return out


def intake(workbook: Workbook, form: Intake, *, taken: set[str], today: dt.date, by: str) -> tuple[WritePlan, str]:
    """A new household at 段階 受付: its 世帯 row (a 世帯ID nobody uses, re-checked at save),
    its 世帯員, a 同意記録 row when consent was asked, and its first 段階履歴 row."""
    check = Checker()
    name = check.cell("表示名", schema.HOUSEHOLDS, "表示名", form.name, required=True)
    area = check.cell("地区", schema.HOUSEHOLDS, "地区", form.area)
    areas = set(workbook[schema.AREAS]["地区名"])
    if area and areas and area not in areas:
        check.fail("地区", f"「{area}」は地区タブにありません")
    issues = check.cell("課題", schema.HOUSEHOLDS, "課題", "、".join(form.issues) if isinstance(form.issues, list) else form.issues)
    if form.consent not in INTAKE_CONSENT:
        check.fail("同意", "同意する／同意しない／不明 から選んでください")
    agency = check.agency("主担当機関", schema.HOUSEHOLDS, "主担当機関", form.agency, workbook)
    received = check.date("受付日", schema.HOUSEHOLDS, "受付日", form.received, today)
    urgency = check.cell("緊急度", schema.HOUSEHOLDS, "緊急度", form.urgency)
    members, marks = [], set()
    for i, m in enumerate((m for m in form.members if not m.blank), start=1):
        label = f"世帯員{i}"
        mark = check.cell(f"{label}の記号", schema.MEMBERS, "記号", m.mark, required=True)
        if mark and nfkc(mark) in marks:
            check.fail(f"{label}の記号", f"記号「{mark}」が2人にあります（A氏・B氏…と分けてください）")
        if mark and nfkc(mark) in schema.PLAN_EXTRA_TARGETS:
            check.fail(f"{label}の記号", f"「{mark}」は記号に使えません（プランの欄の名前です）")
        marks.add(nfkc(mark or ""))
        members.append({"記号": mark, "続柄": check.cell(f"{label}の続柄", schema.MEMBERS, "続柄", m.relation),
                        "年齢": check.cell(f"{label}の年齢", schema.MEMBERS, "年齢", m.age),
                        "分野": check.cell(f"{label}の分野", schema.MEMBERS, "分野", m.fields),
                        "状況": check.cell(f"{label}の状況", schema.MEMBERS, "状況", m.situation)})
    check.done()
    hid = next_household_id(taken)
    consent = INTAKE_CONSENT[form.consent]
    plan = WritePlan(appends=[NewRow(schema.HOUSEHOLDS, {
        "世帯ID": hid, "表示名": name, "地区": area, "課題": tuple(issues), "同意": consent, "段階": "受付",
        "主担当機関": agency, "担当者": form.staff.strip() or None, "受付日": received, "緊急度": urgency,
        "紹介元": form.referrer.strip() or None, "備考": form.note.strip() or None}, unique="世帯ID")])
    plan.appends += [NewRow(schema.MEMBERS, {"世帯ID": hid, **m}) for m in members]
    if consent != "不明":
        plan.appends.append(NewRow(schema.CONSENTS, {"世帯ID": hid, "日付": received, "同意": consent,
                                                     "範囲": "両方" if consent == "あり" else None, "取得者": by,
                                                     "備考": "相談受付時"}))
    plan.appends.append(NewRow(schema.STAGE_HISTORY, {"世帯ID": hid, "日付": received, "旧段階": None,
                                                      "新段階": "受付", "理由": "相談受付", "記入者": by}))
    return plan, hid


# ---------------------------------------------------------------- 同意

def consent(workbook: Workbook, household_id: str, *, day, value, scope, taker, note, today: dt.date) -> WritePlan:
    """A 同意記録 row, and 世帯.同意 when it no longer matches (conflict-checked)."""
    before = _household(workbook, household_id)
    check = Checker()
    day = check.date("日付", schema.CONSENTS, "日付", day, today)
    value = check.cell("同意", schema.CONSENTS, "同意", value, required=True)
    scope = check.cell("範囲", schema.CONSENTS, "範囲", scope)
    taker = check.cell("取得者", schema.CONSENTS, "取得者", taker)
    note = check.cell("備考", schema.CONSENTS, "備考", note)
    if value == "撤回" and before["同意"] != "あり":
        check.fail("同意", f"いまの同意は「{before['同意']}」です。撤回は同意「あり」の世帯にだけ記録できます")
    if value == "あり" and not scope:
        check.fail("範囲", "同意の範囲（情報共有／重層的支援会議／両方）を選んでください")
    check.done()
    # (decided from the household as read: a colleague's 同意 recorded meanwhile refuses it)
    plan = WritePlan(appends=[NewRow(schema.CONSENTS, {"世帯ID": household_id, "日付": day, "同意": value,
                                                       "範囲": scope, "取得者": taker, "備考": note})],
                     expected={(schema.HOUSEHOLDS, household_id): before})
    wanted = schema.CONSENT_BY_RECORD[value]
    latest = workbook[schema.CONSENTS]
    latest = latest[latest["世帯ID"] == household_id]
    newer = latest[latest["日付"].dt.date > day] if len(latest) else latest
    if wanted != before["同意"] and newer.empty:
        plan.changes.append(CellChange(schema.HOUSEHOLDS, household_id, "同意", before["同意"], wanted))
    return plan


# ---------------------------------------------------------------- 段階

def stage_move(workbook: Workbook, household_id: str, *, stage, day, reason, by, today: dt.date,
               evaluated: bool = False) -> WritePlan:
    """世帯.段階 (with 終結日 / 中断日 for those stages) and a 段階履歴 row; 中断 and 終結 need a reason,
    and 終結 its 評価 (`evaluated`: lib.casework.referrals.closure adds the 評価 rows to this plan).
    Reopening out of 終結 / 中断 is a move like any other (the earlier dates stay in the sheet)."""
    before = _household(workbook, household_id)
    check = Checker()
    stage = check.cell("新しい段階", schema.STAGE_HISTORY, "新段階", stage, required=True)
    day = check.date("日付", schema.STAGE_HISTORY, "日付", day, today)
    reason = check.cell("理由", schema.STAGE_HISTORY, "理由", reason)
    if stage and stage == before["段階"]:
        check.fail("新しい段階", f"いまの段階も「{stage}」です")
    if stage in ("プラン作成", "支援中") and before["同意"] != "あり":
        check.fail("新しい段階", f"同意が「{before['同意']}」の世帯はプランを作れません（支援会議では見守り・情報共有のみ）。"
                   "先に同意を記録してください")
    if stage == "終結" and not evaluated:
        check.fail("新しい段階", "終結は評価と一緒に記録します（世帯詳細の「終結と評価」から）")
    if stage in schema.STAGE_DATE_COLUMN and not reason:
        check.fail("理由", f"「{stage}」にするときは理由を書いてください（会議で決めたことなど）")
    if day and before["受付日"] and day < before["受付日"]:
        check.fail("日付", "受付日より前の日付です")
    check.done()
    plan = WritePlan(expected={(schema.HOUSEHOLDS, household_id): before})
    wanted = {"段階": stage}
    if stage in schema.STAGE_DATE_COLUMN:
        wanted[schema.STAGE_DATE_COLUMN[stage]] = day
    plan.changes = [CellChange(schema.HOUSEHOLDS, household_id, c, before[c], v) for c, v in wanted.items()
                    if v != before[c]]
    plan.appends.append(NewRow(schema.STAGE_HISTORY, {"世帯ID": household_id, "日付": day, "旧段階": before["段階"],
                                                      "新段階": stage, "理由": reason, "記入者": by}))
    return plan


# ---------------------------------------------------------------- 支援プラン

def plan_targets(workbook: Workbook, household_id: str) -> list[str]:
    """The 様式5 blocks of a household: each 世帯員 (A氏 …), then 危機介入 and その他."""
    members = workbook[schema.MEMBERS]
    marks = [m for m in members[members["世帯ID"] == household_id]["記号"]]
    plans = workbook[schema.PLANS]
    typed = [t for t in plans[plans["世帯ID"] == household_id]["対象"] if t not in marks]
    return list(dict.fromkeys([*marks, *(t for t in typed if t not in schema.PLAN_EXTRA_TARGETS),
                               *schema.PLAN_EXTRA_TARGETS]))


def plan_rows(workbook: Workbook, household_id: str) -> list[dict]:
    """The household's plan rows as read (each with its row key), in 様式5 order."""
    plans = workbook[schema.PLANS]
    order = {t: i for i, t in enumerate(plan_targets(workbook, household_id))}
    rows = [{"key": row_key(schema.PLANS, r), **{c: plain(r[c]) for c in schema.TABS_BY_NAME[schema.PLANS].column_names}}
            for r in plans[plans["世帯ID"] == household_id].to_dict("records")]
    return sorted(rows, key=lambda r: (order.get(r["対象"], len(order)), int(r["key"])))


def plan_edit(workbook: Workbook, household_id: str, *, edited: dict[str, dict], added: list[dict],
              today: dt.date) -> WritePlan:
    """Changed cells of existing plan rows (`edited`: row key → field → value as typed) and new rows
    (`added`: dicts with 対象 and the fields); 更新日 becomes today on every row touched."""
    _household(workbook, household_id)
    check = Checker()
    plan = WritePlan()
    targets = plan_targets(workbook, household_id)
    for key, values in edited.items():
        before = row_as_read(workbook, schema.PLANS, key)
        if before is None or before["世帯ID"] != household_id:
            check.fail(f"{key}行目", "この世帯のプランの行ではありません（「最新の情報に更新」を押してください）")
            continue
        label = f"{before['対象']}（{key}行目）"
        changed = []
        for column in PLAN_FIELDS:
            if column not in values:
                continue
            new = plain(check.cell(f"{label}の{column}", schema.PLANS, column, values[column]))
            if new != before[column]:
                changed.append(CellChange(schema.PLANS, key, column, before[column], new))
        if changed:
            if before["更新日"] != today:
                changed.append(CellChange(schema.PLANS, key, "更新日", before["更新日"], today))
            plan.expected[(schema.PLANS, key)] = before
            plan.changes += changed
    for i, values in enumerate(added, start=1):
        target = (values.get("対象") or "").strip()
        label = f"追加{i}（{target or '対象なし'}）"
        if target not in targets:
            check.fail(f"{label}の対象", "対象は世帯員の記号（A氏…）か、危機介入・その他から選んでください")
        row = {c: check.cell(f"{label}の{c}", schema.PLANS, c, values.get(c)) for c in PLAN_FIELDS}
        if not any(row[c] for c in ("目標", "取組事項")):
            check.fail(f"{label}の目標", "目標か取組事項を入れてください")
        plan.appends.append(NewRow(schema.PLANS, {"世帯ID": household_id, "対象": target, **row, "更新日": today}))
    check.done()
    return plan


# ---------------------------------------------------------------- アセスメント (別紙2-3)

WHOLE_HOUSEHOLD = "世帯"


def assessment_targets(workbook: Workbook, household_id: str) -> list[str]:
    """Whom an assessment may be about: the whole household, then each 世帯員's 記号."""
    members = workbook[schema.MEMBERS]
    return [WHOLE_HOUSEHOLD, *dict.fromkeys(members.loc[members["世帯ID"] == household_id, "記号"].dropna())]


def assessment(workbook: Workbook, household_id: str, *, day, target, values: dict[str, str], agency, by: str,
               today: dt.date) -> WritePlan:
    """An アセスメント row to append: the date, whom it is about, what was seen under each heading
    of 別紙2-3 (at least one), the agency and who wrote it."""
    _household(workbook, household_id)
    check = Checker()
    day = check.date("実施日", schema.ASSESSMENTS, "実施日", day, today)
    target = check.cell("対象", schema.ASSESSMENTS, "対象", target) or WHOLE_HOUSEHOLD
    if target not in assessment_targets(workbook, household_id):
        check.fail("対象", f"「{target}」はこの世帯の世帯員にいません")
    seen = {name: check.cell(name, schema.ASSESSMENTS, name, values.get(name)) for name in schema.ASSESSMENT_FIELDS}
    if not any(seen.values()):
        check.fail("本人の思い", "どれか一つは書いてください（本人の思い・生活歴・健康・…・支援の方向）")
    agency = check.agency("機関", schema.ASSESSMENTS, "機関", agency, workbook)
    check.done()
    return WritePlan(appends=[NewRow(schema.ASSESSMENTS, {
        "世帯ID": household_id, "実施日": day, "対象": target, **seen, "機関": agency, "記入者": by,
        "記録ID": new_record_id(today).replace("K-", "A-", 1)})])


def record_groups(rows: pd.DataFrame, key: str):
    """The rows of an appended record tab grouped by `key` (a マッチングID, a 対象ID), each group in
    the order things happened (日付, then sheet order): (id, group) pairs."""
    if rows.empty:
        return []
    return rows.sort_values(["日付", ROW], na_position="first").groupby(key, sort=False)


def assessments(workbook: Workbook, household_id: str) -> pd.DataFrame:
    """The household's assessments, newest first (the first row is the one in force)."""
    rows = workbook[schema.ASSESSMENTS]
    return rows[rows["世帯ID"] == household_id].sort_values(["実施日", ROW], ascending=False, na_position="last")
