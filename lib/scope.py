"""The viewer scope: which households this person may see, and whether the screen is projected.

Every page, export and write-back takes its households through `scope_workbook`. Until sign-in
exists it lets every household through at a desk. Projected (投影モード), no personal data
leaves this function: 表示名 become stable pseudonyms (A世帯 …), free text and town-added
columns are emptied, ages become age bands, and 支援会議-track households (no consent) are left
out unless the screen is explicitly in a 支援会議 context.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd

from lib import schema
from lib.board import pseudonyms
from lib.home import track
from lib.validate import ROW, Workbook

SHIEN_KAIGI = "支援会議"


@dataclass(frozen=True)
class Viewer:
    """Who is looking and how: projected on a wall, or at a desk; in which meeting context."""

    projection: bool = False
    meeting_context: str | None = None   # "支援会議" lets no-consent households through when projected
    user: str | None = None


def age_band(age) -> str | None:
    """82 → 80代, 7 → 10歳未満; blank stays blank."""
    if age is None or pd.isna(age):
        return None
    age = int(age)
    return "10歳未満" if age < 10 else f"{age // 10 * 10}代"


def scope_workbook(workbook: Workbook, viewer: Viewer) -> Workbook:
    """The part of the workbook this viewer may see, pseudonymised when projected."""
    if not viewer.projection:
        return workbook
    hh = workbook[schema.HOUSEHOLDS]
    if viewer.meeting_context != SHIEN_KAIGI:
        hh = hh[hh["同意"].map(track) != SHIEN_KAIGI]
    keep = set(hh["世帯ID"])
    names = pseudonyms(hh)
    tables = {}
    for tab in schema.TABS:
        frame = workbook[tab.name]
        frame = frame[[ROW, *tab.column_names]]               # town-added columns may hold anything
        if tab.name == schema.HOUSEHOLDS:
            frame = hh[[ROW, *tab.column_names]].assign(表示名=hh["世帯ID"].map(names))
        elif "世帯ID" in frame.columns:
            frame = frame[frame["世帯ID"].isin(keep)]
        if tab.name == schema.MEETINGS:
            frame = frame.assign(対象世帯=[[h for h in ids if h in keep] for ids in frame["対象世帯"]])
        if tab.name == schema.MEMBERS:
            frame = frame.assign(年代=frame["年齢"].map(age_band), 年齢=pd.array([pd.NA] * len(frame), dtype="Int64"))
        free = schema.free_text_columns(tab.name)
        if free:
            frame = frame.assign(**{c: [None] * len(frame) for c in free})
        tables[tab.name] = frame.reset_index(drop=True)
    problems = [replace(p, value="") for p in workbook.problems if p.household is None or p.household in keep]
    return Workbook(tables, problems, dict(workbook.left_out), dict(workbook.titles))
