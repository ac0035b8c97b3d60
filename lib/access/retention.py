"""Retention (美咲町 個人情報規程): records are kept until 5 years after 支援終結日 (or 中断日),
then disposed of. Disposal is a recorded step (who, when, which 世帯ID) that also removes those
households' rows from the app's own backups; the workbook itself is cleaned by the 事務局."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from lib.access import audit
from lib.workbook import schema, xlsx_cells
from lib.workbook.cells import nfkc

RETENTION_YEARS = 5          # the default of the retention_years setting (美咲町 規程)
DISPOSALS = "disposals.jsonl"
DUE_COLUMNS = ["世帯ID", "表示名", "段階", "基準日", "保存期限", "超過日数"]


def _plus_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:               # 2/29 → 2/28
        return day.replace(year=day.year + years, day=28)


def disposal_due(workbook, today: dt.date, years: int = RETENTION_YEARS) -> pd.DataFrame:
    """終結 households more than `years` (setting retention_years) after 終結日, 中断 ones after 中断日 (保存期間満了).
    A 中断 household without 中断日 never comes due (データ点検 warns about it)."""
    hh = workbook[schema.HOUSEHOLDS]
    rows = []
    for r in hh[["世帯ID", "表示名", "段階", "終結日", "中断日"]].to_dict("records"):
        base = {"終結": r["終結日"], "中断": r["中断日"]}.get(r["段階"])
        if base is None or pd.isna(base):
            continue
        base = pd.Timestamp(base).date()
        until = _plus_years(base, years)
        if until < today:
            rows.append({"世帯ID": r["世帯ID"], "表示名": r["表示名"], "段階": r["段階"], "基準日": base,
                         "保存期限": until, "超過日数": (today - until).days})
    return pd.DataFrame(rows, columns=DUE_COLUMNS)


def _household_rows(raw) -> dict[str, list[tuple[int, str, list[int]]]]:
    """title → [(1-based row, its 世帯ID, its used 0-based columns)] for tabs keyed by 世帯ID."""
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


def _backups_holding(folder: Path | None, ids: set[str]):
    """Each of the app's backup files (.xlsx/.xlsm, the only ones it writes) that still holds rows of
    these households: (path, its bytes, [(title, row, 世帯ID, used columns)])."""
    from lib.workbook.sources import SourceError, read_excel
    for path in sorted(folder.glob("*.xls[xm]")) if folder and folder.is_dir() else []:
        try:
            data = path.read_bytes()
            raw = read_excel(path, data)
        except (OSError, SourceError):
            continue
        hits = [(title, n, hid, cols) for title, keyed in _household_rows(raw).items()
                for n, hid, cols in keyed if hid in ids]
        if hits:
            yield path, data, hits


def in_backups(folder: Path | None, ids: set[str]) -> pd.DataFrame:
    """Backup files of the app that still hold rows of these households."""
    rows = []
    for path, _, hits in _backups_holding(folder, ids):
        found = sorted({hid for _, _, hid, _ in hits})
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
    changed = []
    for path, data, hits in _backups_holding(folder, ids):
        cells = [(title, n, col, None) for title, n, _, cols in hits for col in cols]
        path.write_bytes(xlsx_cells.apply(data, xlsx_cells.Edits(cells=cells))[0])
        changed.append(path.name)
    return changed


def record_disposal(where: Path, who: str, ids: list[str], backups: list[str], now: dt.datetime | None = None) -> bool:
    """Write the disposal record: who, when, which 世帯ID, which backups were cleaned."""
    return audit.append_line(where / DISPOSALS, {"time": (now or dt.datetime.now()).isoformat(timespec="seconds"),
                                                 "user": who, "households": list(ids), "backups": backups})


def disposals(where: Path) -> pd.DataFrame:
    rows = [{"日時": r.get("time"), "記録した人": r.get("user"), "世帯": "、".join(r.get("households") or []),
             "消したバックアップ": len(r.get("backups") or [])} for r in audit.read_lines(where / DISPOSALS)]
    return pd.DataFrame(rows, columns=["日時", "記録した人", "世帯", "消したバックアップ"])
