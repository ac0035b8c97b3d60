"""Figures for the home page: counts per 段階, per track, per tab."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from lib import settings
from lib.workbook import schema
from lib.workbook.validate import ERROR, Workbook

CLOSED_STAGES, TRACK_BY_CONSENT = schema.CLOSED_STAGES, schema.TRACK_BY_CONSENT


def stale_contact_days(secrets=None) -> int:
    """Households with no contact for this many days are flagged on the board and proposed for
    中断検討 in the agenda (one setting for both)."""
    return settings.get_int("stale_contact_days", secrets=secrets)


def referral_days(secrets=None) -> int:
    """Requests unanswered for more than this many days are flagged on the home screen and the board."""
    return settings.get_int("referral_days", secrets=secrets)


@dataclass(frozen=True)
class Summary:
    active: int
    by_track: dict[str, int]
    by_stage: pd.DataFrame
    rows_per_tab: pd.DataFrame
    errors: int


def track(consent: str | None) -> str:
    """The meeting track for a household's 同意 value."""
    return TRACK_BY_CONSENT.get(consent or "不明", schema.SHIEN_KAIGI)


def summary(workbook: Workbook) -> Summary:
    """Counts for the home page (no names, no free text)."""
    hh = workbook[schema.HOUSEHOLDS]
    active = hh[~hh["段階"].isin(CLOSED_STAGES)]
    by_track = dict.fromkeys(schema.TRACKS, 0)
    for consent in active["同意"]:
        by_track[track(consent)] += 1
    stage_counts = hh["段階"].value_counts()
    by_stage = pd.DataFrame({"段階": list(schema.STAGES),
                             "世帯数": [int(stage_counts.get(s, 0)) for s in schema.STAGES]})
    rows = pd.DataFrame({
        "タブ": [t.name for t in schema.TABS],
        "読めた行": [len(workbook[t.name]) for t in schema.TABS],
        "表示できない行": [workbook.left_out.get(t.name, 0) for t in schema.TABS],
        "状態": ["あり" if t.name in workbook.present_tabs else ("なし（必須）" if t.required else "なし")
                 for t in schema.TABS]})
    return Summary(len(active), by_track, by_stage, rows, workbook.counts()[ERROR])
