"""The 所見 of the 実施状況報告: a short text per 年度 and 事業 that the 係長 writes on プラン進捗. Kept
in the 実施状況報告 tab as records: a save appends one row per changed 事業 and the newest row of a
年度・事業 is the text; a save is refused when anyone saved a 所見 of that 年度 after the form was
drawn (the typed texts stay, and the form says whose text is there now)."""
from __future__ import annotations

import datetime as dt

from lib.casework.entry import Invalid
from lib.workbook import schema
from lib.workbook.validate import Workbook
from lib.workbook.writeplan import NewRow, WritePlan, depend_on

TAB = schema.REPORT_NOTES
MAX_CHARS = 1200        # about half a printed page: a summary, not the year's records


def latest(workbook: Workbook, year: int) -> dict[str, str]:
    """事業 → the newest 所見 of the 年度 (sheet order: the lowest row is the newest)."""
    if not workbook.has(TAB):
        return {}
    rows = workbook[TAB]
    rows = rows[rows["年度"] == year]
    return {programme: (text if isinstance(text, str) else "")
            for programme, text in zip(rows["事業"], rows["所見"]) if isinstance(programme, str)}


def save(workbook: Workbook, year: int, texts: dict[str, str], *, by: str, today: dt.date) -> WritePlan:
    """The rows to append for the 事業 whose text changed (none: an empty plan); refused by the
    source when another 所見 of this 年度 was saved since `workbook` was read."""
    too_long = {f"所見（{p}）": f"{MAX_CHARS}字までにしてください（いま{len(t)}字）。"
                for p, t in texts.items() if len(t or "") > MAX_CHARS}
    if too_long:
        raise Invalid(too_long)
    unknown = [p for p in texts if p not in schema.PROGRAMMES]
    if unknown:
        raise Invalid({"事業": f"{'・'.join(unknown)} は事業の名前ではありません。"})
    before = latest(workbook, year)
    plan = WritePlan()
    for programme in schema.PROGRAMMES:
        text = (texts.get(programme) or "").strip()
        if programme in texts and text != before.get(programme, "").strip():
            plan.appends.append(NewRow(TAB, {"年度": year, "事業": programme, "所見": text, "記入日": today, "記入者": by}))
    return depend_on(plan, workbook, TAB, "年度", year, "所見") if plan.appends else plan
