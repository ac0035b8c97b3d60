"""Retention (美咲町 個人情報規程): records are kept until 5 years after 支援終結日 (or 中断日),
then disposed of. Disposal is a recorded step (who, when, which 世帯ID) that also removes those
households' rows from the app's own backups; the workbook itself is cleaned by the 事務局."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from lib.access import state
from lib.workbook import schema, xlsx_cells
from lib.workbook.cells import nfkc

RETENTION_YEARS = 5
DISPOSALS = "disposals.jsonl"
DUE_COLUMNS = ["世帯ID", "表示名", "段階", "基準日", "保存期限", "超過日数"]


def _plus_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:               # 2/29 → 2/28
        return day.replace(year=day.year + years, day=28)


def disposal_due(workbook, today: dt.date) -> pd.DataFrame:
    """終結 households more than RETENTION_YEARS after 終結日, 中断 ones after 中断日 (保存期間満了).
    A 中断 household without 中断日 never comes due (データ点検 warns about it)."""
    hh = workbook[schema.HOUSEHOLDS]
    rows = []
    for r in hh[["世帯ID", "表示名", "段階", "終結日", "中断日"]].to_dict("records"):
        base = {"終結": r["終結日"], "中断": r["中断日"]}.get(r["段階"])
        if base is None or pd.isna(base):
            continue
        base = pd.Timestamp(base).date()
        until = _plus_years(base, RETENTION_YEARS)
        if until < today:
            rows.append({"世帯ID": r["世帯ID"], "表示名": r["表示名"], "段階": r["段階"], "基準日": base,
                         "保存期限": until, "超過日数": (today - until).days})
    return pd.DataFrame(rows, columns=DUE_COLUMNS)


def _household_rows(raw) -> dict[str, list[tuple[int, list[int]]]]:
    """title → [(1-based row, its used 0-based columns)] for rows keyed by a 世帯ID, with that ID."""
    out = {}
    for title, rows in raw.items():
        tab = schema.tab_for_title(title)
        if tab is None or not rows:
            continue
        header = [schema.column_for_header(tab, h) for h in rows[0]]
        index = next((i for i, c in enumerate(header) if c is not None and c.name == "世帯ID"), None)
        if index is None:
            continue
        out[title] = [(n, nfkc(row[index]) if index < len(row) else "", [i for i, v in enumerate(row) if v not in (None, "")])
                      for n, row in enumerate(rows[1:], start=2)]
    return out


def in_backups(folder: Path | None, ids: set[str]) -> pd.DataFrame:
    """Backup files of the app that still hold rows of these households."""
    from lib.workbook.sources import SourceError, read_excel
    rows = []
    for path in sorted(folder.glob("*.xls*")) if folder and folder.is_dir() else []:
        try:
            raw = read_excel(path)
        except SourceError:
            continue
        found = sorted({hid for title, keyed in _household_rows(raw).items() for _, hid, _ in keyed if hid in ids})
        if found:
            rows.append({"ファイル": path.name, "世帯": "、".join(found), "世帯数": len(found)})
    return pd.DataFrame(rows, columns=["ファイル", "世帯", "世帯数"])


def in_audit_log(log: pd.DataFrame, ids: set[str]) -> pd.DataFrame:
    """Audit lines that name one of these households (they hold the 世帯ID, never a name)."""
    if "household" not in log.columns:
        return log.iloc[0:0]
    return log[log["household"].isin(ids)]


def scrub_backups(folder: Path | None, ids: set[str]) -> list[str]:
    """Blank every row of these households in the app's .xlsx backups (other cells untouched);
    returns the files changed."""
    from lib.workbook.sources import SourceError, read_excel
    changed = []
    for path in sorted(folder.glob("*.xls[xm]")) if folder and folder.is_dir() else []:
        try:
            data = path.read_bytes()
            raw = read_excel(path, data)
        except (OSError, SourceError):
            continue
        cells = [(title, n, col, None) for title, keyed in _household_rows(raw).items()
                 for n, hid, cols in keyed if hid in ids for col in cols]
        if cells:
            new_data, _ = xlsx_cells.apply(data, xlsx_cells.Edits(cells=cells))
            path.write_bytes(new_data)
            changed.append(path.name)
    return changed


def record_disposal(where: Path, who: str, ids: list[str], backups: list[str], now: dt.datetime | None = None) -> bool:
    """Write the disposal record: who, when, which 世帯ID, which backups were cleaned."""
    return state.append_jsonl(where, DISPOSALS, {"time": (now or dt.datetime.now()).isoformat(timespec="seconds"),
                                                 "user": who, "households": list(ids), "backups": backups})


def disposals(where: Path) -> pd.DataFrame:
    rows = [{"日時": r.get("time"), "記録した人": r.get("user"), "世帯": "、".join(r.get("households") or []),
             "消したバックアップ": len(r.get("backups") or [])} for r in state.read_jsonl(where, DISPOSALS)]
    return pd.DataFrame(rows, columns=["日時", "記録した人", "世帯", "消したバックアップ"])
