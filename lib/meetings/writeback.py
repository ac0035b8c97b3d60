"""Recording a meeting back into the workbook without losing anything staff typed.

This module only *plans* writes (pure): which single cells change and which rows are appended,
and what each touched row looked like when it was read. lib.sources carries the plan out, after
re-reading those rows and refusing if anyone changed them in the meantime.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


from lib.meetings import agenda as agenda_rules
from lib.workbook import schema
from lib.workbook.validate import Workbook
from lib.workbook.writeplan import CellChange, NewRow, WritePlan, plain, row_as_read

# Household columns the presenter may change, in the order they are shown:
HOUSEHOLD_FIELDS = ("段階", "次回見直し日", "主担当機関")


@dataclass(frozen=True)
class Decision:
    """What the meeting decided for one household (None = leave as it is)."""

    text: str = ""
    stage: str | None = None
    review: dt.date | None = None
    agency: str | None = None


def new_meeting_id(workbook: Workbook, a: agenda_rules.Agenda) -> str:
    """M-YYYYMMDD-種別の頭文字-n, not yet used in 会議."""
    short = {schema.SHIEN_KAIGI: "S", schema.JUSOU_KAIGI: "J", schema.TEIREI_KAIGI: "T", schema.DAIHYO_KAIGI: "D"}.get(a.kind, "X")
    used = set(workbook[schema.MEETINGS]["会議ID"])
    n = 1
    while f"M-{a.date:%Y%m%d}-{short}{n}" in used:
        n += 1
    return f"M-{a.date:%Y%m%d}-{short}{n}"


def meeting_values(workbook: Workbook, a: agenda_rules.Agenda, decisions: dict[str, Decision], meeting_id: str) -> dict:
    """The 会議 row for this meeting: schedule, households, agencies and each household's 決定事項."""
    decided = "\n".join(f"{hid}: {d.text.strip()}" for hid, d in decisions.items() if d.text.strip())
    return {"会議ID": meeting_id, "種別": a.kind, "開催日": a.date, "開始": a.start, "終了": a.end,
            "場所": a.place or None, "議長": a.chair or None,
            "対象世帯": tuple(p.household_id for p in a.items),
            "議題": "、".join(dict.fromkeys(r for p in a.items for r in p.reasons)) or None,
            "参加機関": tuple(agenda_rules.agencies_to_notify(workbook, a)), "決定事項": decided or None}


def record_meeting(workbook: Workbook, a: agenda_rules.Agenda, decisions: dict[str, Decision]) -> WritePlan:
    """The writes that record a meeting: its 会議 row (appended, or only its changed cells when
    the 会議ID already exists) and each household's changed 段階 / 次回見直し日 / 主担当機関."""
    plan = WritePlan()
    meeting_id = a.meeting_id or new_meeting_id(workbook, a)
    values = meeting_values(workbook, a, decisions, meeting_id)
    existing = row_as_read(workbook, schema.MEETINGS, meeting_id)
    if existing is None:
        plan.appends.append(NewRow(schema.MEETINGS, values))
    else:
        plan.expected[(schema.MEETINGS, meeting_id)] = existing
        for column, new in values.items():
            if plain(new) != existing[column] and new is not None:
                plan.changes.append(CellChange(schema.MEETINGS, meeting_id, column, existing[column], new))
    for hid, decision in decisions.items():
        before = row_as_read(workbook, schema.HOUSEHOLDS, hid)
        if before is None:
            raise KeyError(hid)
        wanted = {"段階": decision.stage, "次回見直し日": decision.review, "主担当機関": decision.agency}
        if decision.stage == "終結" and before["終結日"] is None:
            wanted["終結日"] = a.date      # 終結の判断 is made at this meeting
        changed = [CellChange(schema.HOUSEHOLDS, hid, c, before[c], v) for c, v in wanted.items()
                   if v is not None and v != before[c]]
        if changed:
            plan.expected[(schema.HOUSEHOLDS, hid)] = before
            plan.changes += changed
    return plan
