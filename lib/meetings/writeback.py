"""Recording a meeting back into the workbook without losing anything staff typed.

This module only *plans* writes (pure): which single cells change and which rows are appended,
and what each touched row looked like when it was read. lib.sources carries the plan out, after
re-reading those rows and refusing if anyone changed them in the meantime.

The 会議 row holds, per household, one line 「H-001: …」 in 決定事項, 議事録 and 変更プラン (a
line break typed inside is kept as 「 ／ 」), so that lib.access.scope can hand each agency only
the lines of the households it may see. 出席者 holds one line per invited agency:
「機関名：出席者名」, or 「機関名：欠席」.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from lib.casework import entry
from lib.casework.agencies import key as agency_key
from lib.meetings import agenda as agenda_rules
from lib.workbook import schema
from lib.workbook.cells import nfkc
from lib.workbook.validate import Workbook
from lib.workbook.writeplan import CellChange, Conflict, NewRow, WritePlan, plain, row_as_read

# Household columns a decision may change besides the plan, in the order they are shown:
HOUSEHOLD_FIELDS = ("段階", "次回見直し日", "主担当機関")
# What a 重層的支援会議 may decide but a 支援会議 may not (DESIGN: no plan is decided there):
PLAN_DECISIONS = ("段階", "支援プラン")
ABSENT = "欠席"
LINE_BREAK = " ／ "
# One 「H-001: …」 line of a 会議 cell (lib.access.scope reads the same lines):
HOUSEHOLD_LINE = re.compile(r"^\s*([^:：\s]+)\s*[:：]\s?(.*)$")


@dataclass(frozen=True)
class Decision:
    """What the meeting decided for one household (None / empty = leave as it is)."""

    text: str = ""
    minutes: str = ""                                    # 議事録 of this item
    stage: str | None = None
    review: dt.date | None = None
    agency: str | None = None
    plan_edited: dict = field(default_factory=dict)      # 支援プラン row key → field → value as typed
    plan_added: tuple = ()                               # new plan rows: dicts with 対象 and the fields

    @property
    def changes_plan(self) -> bool:
        return bool(self.plan_edited or self.plan_added)


@dataclass(frozen=True)
class Attendance:
    """One agency at the meeting: invited or come along, present or not, and who came."""

    agency: str
    present: bool
    names: str = ""

    def line(self) -> str:
        return f"{self.agency}：{self.names.strip() or '出席'}" if self.present else f"{self.agency}：{ABSENT}"


def per_household(text) -> dict[str, str]:
    """「H-001: …」 lines of a 会議 cell → 世帯ID → text (line breaks restored); other lines are
    kept under "" so that nothing typed by hand is dropped when the app adds its lines."""
    out: dict[str, str] = {}
    if not isinstance(text, str):
        return out
    for line in text.splitlines():
        m = HOUSEHOLD_LINE.match(line)
        if m and re.fullmatch(r"[A-Za-z]*-?\d+|[A-Za-z0-9_-]+-\d+", nfkc(m.group(1))):
            key, value = nfkc(m.group(1)), m.group(2).replace(LINE_BREAK, "\n")
        else:
            key, value = "", line
        out[key] = f"{out[key]}\n{value}" if key in out else value
    return out


def joined(texts: dict[str, str]) -> str | None:
    """The cell text of `per_household`'s dict: hand-typed lines first, then one line per household."""
    lines = [texts[""]] if texts.get("") else []
    lines += [f"{hid}: {LINE_BREAK.join(t.strip().splitlines())}" for hid, t in texts.items() if hid and t and t.strip()]
    return "\n".join(lines) or None


def attendance_lines(text) -> list[Attendance]:
    """出席者 cell → who attended (「機関名：氏名」) and who was absent (「機関名：欠席」)."""
    out = []
    for line in (text or "").splitlines() if isinstance(text, str) else []:
        agency, sep, names = nfkc(line).partition(":")
        if not agency.strip():
            continue
        names = names.strip()
        out.append(Attendance(agency.strip(), names != ABSENT, "" if names in (ABSENT, "出席") or not sep else names))
    return out


def merged_attendance(saved_text, page: list[Attendance], base: list[Attendance] | None = None) -> str | None:
    """The 出席者 cell after a save: an agency's line as the page has it only when the operator changed
    it on this page (it differs from `base`, what the page started from); every other agency's line as
    saved — a reloaded page, or another operator's page, never blanks what was recorded. With no
    `base`, every agency on the page is as the page has it (lines for other agencies stay)."""
    lines = {agency_key(a.agency): a for a in attendance_lines(saved_text)}     # (one agency however spelled)
    started = {agency_key(a.agency): a for a in base} if base is not None else {}
    for a in page:
        at = agency_key(a.agency)
        if base is None or started.get(at, Attendance(a.agency, False)) != a or at not in lines:
            lines[at] = a
    return "\n".join(x.line() for x in lines.values()) or None


# The 会議 cells that hold one line per household:
HOUSEHOLD_CELLS = ("決定事項", "議事録", "変更プラン")


def lines_replaced(plan: WritePlan, meeting_id: str) -> list[Conflict]:
    """For a save planned again on a 会議 row its page never saw (another operator made the row a moment
    earlier): each household line of that row the save would replace — refused, as any change made
    after a page was drawn is; lines for other households join the row."""
    found = []
    for c in plan.changes:
        if c.tab == schema.MEETINGS and c.key == meeting_id and c.column in HOUSEHOLD_CELLS:
            before, after = per_household(c.old), per_household(c.new)
            found += [Conflict(c.tab, c.key, f"{c.column}（{hid}）", None, text)
                      for hid, text in before.items() if hid and text.strip() and after.get(hid) != text]
    return found


def attended_agencies(row: dict) -> list[str]:
    """The agencies that were there: from 出席者 when recorded, else the invited 参加機関."""
    recorded = attendance_lines(row.get("出席者"))
    if recorded:
        return [a.agency for a in recorded if a.present]
    return list(row.get("参加機関") or [])


def meeting_id_for(workbook: Workbook, a: agenda_rules.Agenda) -> str:
    """The 会議ID a save of this meeting goes into: the agenda's own, else the 会議 row already
    recorded for the same 種別, 開催日 and 開始 (a reloaded page, a new browser, a second operator),
    else a new one. One meeting, one 会議 row."""
    if a.meeting_id:
        return a.meeting_id
    meetings = workbook[schema.MEETINGS]
    same = meetings[meetings["種別"].eq(a.kind) & (meetings["開催日"].dt.date == a.date)
                    & meetings["開始"].map(lambda t: t == a.start)]
    return str(same["会議ID"].iloc[0]) if len(same) else new_meeting_id(workbook, a)


def new_meeting_id(workbook: Workbook, a: agenda_rules.Agenda) -> str:
    """M-YYYYMMDD-種別の頭文字-n, not yet used in 会議."""
    short = {schema.SHIEN_KAIGI: "S", schema.JUSOU_KAIGI: "J", schema.TEIREI_KAIGI: "T", schema.DAIHYO_KAIGI: "D"}.get(a.kind, "X")
    used = set(workbook[schema.MEETINGS]["会議ID"])
    n = 1
    while f"M-{a.date:%Y%m%d}-{short}{n}" in used:
        n += 1
    return f"M-{a.date:%Y%m%d}-{short}{n}"


def _merged(existing, new: dict[str, str]) -> str | None:
    """A 会議 cell with this save's lines: a household's new text replaces its old line; a
    household left empty keeps what was saved before (nothing typed is lost)."""
    texts = per_household(existing)
    texts.update({hid: t for hid, t in new.items() if t and t.strip()})
    return joined(texts)


def _wording(row: dict) -> str:
    return plain(row.get("目標")) or plain(row.get("取組事項")) or ""


def _plan_lines(plan: WritePlan, workbook: Workbook) -> list[str]:
    """What a plan save changes, as a person reads it, by the row's wording after the save:
    「A氏『就労の準備』更新」, with 「（旧: …）」 when the wording itself changed."""
    out = []
    for key in dict.fromkeys(c.key for c in plan.changes if c.tab == schema.PLANS):
        before = row_as_read(workbook, schema.PLANS, key) or {}
        after = {**before, **{c.column: c.new for c in plan.changes if c.tab == schema.PLANS and c.key == key}}
        old = f"（旧: {_wording(before)}）" if _wording(before) and _wording(before) != _wording(after) else ""
        out.append(f"{plain(after.get('対象')) or ''}「{_wording(after)}」更新{old}（{key}行目）")
    for new in (r for r in plan.appends if r.tab == schema.PLANS):
        out.append(f"{new.values['対象']}「{new.values.get('目標') or new.values.get('取組事項') or ''}」追加")
    return out


def meeting_values(workbook: Workbook, a: agenda_rules.Agenda, decisions: dict[str, Decision], meeting_id: str,
                   attendance: list[Attendance] | None = None, existing: dict | None = None,
                   plan_lines: dict[str, list[str]] | None = None,
                   attendance_base: list[Attendance] | None = None) -> dict:
    """The 会議 row for this meeting: schedule, households, invited agencies, who attended, and each
    household's 決定事項, 議事録 and changed plan rows (merged into what was saved before)."""
    existing = existing or {}
    changed = {hid: "、".join(lines) for hid, lines in (plan_lines or {}).items() if lines}
    if existing.get("変更プラン"):
        before = per_household(existing["変更プラン"])
        changed = {hid: "、".join(dict.fromkeys([*filter(None, before.get(hid, "").split("、")), *text.split("、")]))
                   for hid, text in changed.items()}
    values = {"会議ID": meeting_id, "種別": a.kind, "開催日": a.date, "開始": a.start, "終了": None if a.past_midnight else a.end,
              "場所": a.place or None, "議長": a.chair or None,
              "対象世帯": tuple(p.household_id for p in a.items),
              "議題": "、".join(dict.fromkeys(r for p in a.items for r in p.reasons)) or None,
              "参加機関": tuple(agenda_rules.agencies_to_notify(workbook, a)),
              "決定事項": _merged(existing.get("決定事項"), {h: d.text for h, d in decisions.items()}),
              "議事録": _merged(existing.get("議事録"), {h: d.minutes for h, d in decisions.items()}),
              "変更プラン": _merged(existing.get("変更プラン"), changed)}
    if attendance is not None:
        values["出席者"] = merged_attendance(existing.get("出席者"), attendance, attendance_base)
    return values


def _household_plan(workbook: Workbook, a: agenda_rules.Agenda, hid: str, decision: Decision, *, by: str,
                    today: dt.date) -> WritePlan:
    """The household's part of a decision: 段階 (with its 段階履歴 row), 次回見直し日, 主担当機関 and
    plan items, refused with a message per field when the meeting may not decide them."""
    before = row_as_read(workbook, schema.HOUSEHOLDS, hid)
    if before is None:
        raise entry.Invalid({"世帯": f"世帯ID「{hid}」の世帯は、記録できる世帯の中にありません"})
    if a.kind == schema.SHIEN_KAIGI and (decision.stage or decision.changes_plan):
        raise entry.Invalid({"支援会議": "支援会議ではプランや段階を決めません（見守り・情報共有と、その担当・見直し日だけを記録します）。"
                                       "プランは本人の同意を得て重層的支援会議で決めてください"})
    plan = WritePlan()
    if decision.stage and decision.stage != before["段階"]:
        reason = " ".join(decision.text.split()) or f"{a.kind}（{a.date:%Y/%m/%d}）で決定"
        plan = entry.stage_move(workbook, hid, stage=decision.stage, day=min(a.date, today), reason=reason[:200],
                                by=by, today=today)
    wanted = {"次回見直し日": decision.review, "主担当機関": decision.agency}
    extra = [CellChange(schema.HOUSEHOLDS, hid, c, before[c], v) for c, v in wanted.items()
             if v is not None and v != before[c]]
    if extra:
        plan.expected[(schema.HOUSEHOLDS, hid)] = before
        plan.changes += extra
    if decision.changes_plan:
        edits = entry.plan_edit(workbook, hid, edited=decision.plan_edited, added=list(decision.plan_added), today=today)
        plan.changes += edits.changes
        plan.appends += edits.appends
        plan.expected.update(edits.expected)
    return plan


def record_meeting(workbook: Workbook, a: agenda_rules.Agenda, decisions: dict[str, Decision], *,
                   attendance: list[Attendance] | None = None, by: str = "", today: dt.date | None = None,
                   attendance_base: list[Attendance] | None = None) -> WritePlan:
    """The writes that record a meeting in one conflict-safe save: its 会議 row (appended, or only
    its changed cells when the 会議ID already exists) and, for each decision that changes them,
    the household's 段階 (with 段階履歴), 次回見直し日, 主担当機関 and plan items. `attendance_base`: the
    attendance the operator's page started from (see merged_attendance).

    Raises lib.casework.entry.Invalid (per field) when a decision cannot be saved as made."""
    today = today or a.date
    meeting_id = meeting_id_for(workbook, a)
    existing = row_as_read(workbook, schema.MEETINGS, meeting_id)
    households, plan_lines, errors = WritePlan(), {}, {}
    for hid, decision in decisions.items():
        try:
            part = _household_plan(workbook, a, hid, decision, by=by, today=today)
        except entry.Invalid as e:
            errors.update({f"{hid} {k}": v for k, v in e.errors.items()})
            continue
        plan_lines[hid] = _plan_lines(part, workbook)
        households.changes += part.changes
        households.appends += part.appends
        households.expected.update(part.expected)
    if errors:
        raise entry.Invalid(errors)
    values = meeting_values(workbook, a, decisions, meeting_id, attendance, existing, plan_lines, attendance_base)
    plan = WritePlan()
    if existing is None:
        plan.appends.append(NewRow(schema.MEETINGS, values, unique="会議ID"))
    else:
        plan.expected[(schema.MEETINGS, meeting_id)] = existing
        for column, new in values.items():
            if new is not None and plain(new) != existing.get(column):
                plan.changes.append(CellChange(schema.MEETINGS, meeting_id, column, existing.get(column), new))
    plan.changes += households.changes
    plan.appends += households.appends
    plan.expected.update(households.expected)
    return plan


@dataclass
class Saved:
    """A meeting as recorded in the 会議 tab, read back for its paperwork."""

    row: dict
    decisions: dict[str, str]
    minutes: dict[str, str]
    plan_changes: dict[str, str]
    attendance: list[Attendance]


def saved_meeting(workbook: Workbook, meeting_id: str) -> Saved | None:
    """The 会議 row of `meeting_id` with its per-household lines and attendance split out."""
    row = row_as_read(workbook, schema.MEETINGS, meeting_id)
    if row is None:
        return None
    return Saved(row, per_household(row.get("決定事項")), per_household(row.get("議事録")),
                 per_household(row.get("変更プラン")), attendance_lines(row.get("出席者")))


def agenda_of(saved: Saved) -> agenda_rules.Agenda:
    """The Agenda a saved meeting stands for (its households in the order recorded)."""
    row = saved.row
    items = [agenda_rules.Proposal(h, ()) for h in row.get("対象世帯") or []]
    start = row.get("開始") or agenda_rules.DEFAULT_START
    return agenda_rules.Agenda(row["種別"], row["開催日"], start, agenda_rules.DEFAULT_MINUTES, row.get("場所") or "",
                               row.get("議長") or "", items, row["会議ID"], ends=row.get("終了"))
