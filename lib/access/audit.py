"""The audit trail: append-only JSON Lines files, one a month for each server, of who did what.

Sign-in/out, opening a household (and being refused one), every download, every write-back
(cells, old → new). Writing must never block or break a page: `record` returns False when the
folder is unwritable and the page shows a warning. Several servers of a city share one folder (on a
network share, where two machines appending to one file can mix their lines): each appends to a
file named after itself, and reading merges them in time order — one log for the 管理者.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import re
import socket
from pathlib import Path

import pandas as pd

from lib import settings

EVENTS = {"sign_in": "サインイン", "sign_in_failed": "サインイン失敗", "sign_out": "サインアウト",
          "open_household": "世帯を開いた", "refused_household": "世帯の閲覧を拒否", "download": "ダウンロード",
          "write": "シートへの書き戻し", "write_refused": "書き戻しの拒否", "dispose": "保存期間満了の廃棄",
          "view_plans": "プラン進捗を見た", "sign_in_throttled": "待ち時間中のサインイン", "sign_in_refused": "停止・削除されたユーザーのサインイン",
          "sign_in_cookie": "クッキーでサインイン（開き直し）", "session_ended": "サインインの終了",
          "download_refused": "ダウンロードの拒否", "sheet_completed": "足りないタブと見出しを作成",
          "import": "取り込み", "user_changed": "ユーザーの変更",
          "setup": "初期設定（最初の管理者）", "setup_refused": "初期設定コードの拒否",
          "settings_changed": "設定の変更", "test_mail": "テストメール",
          "view_outreach": "アウトリーチを見た"}

# Japanese headings for the log's columns on screen (the file keeps the English keys):
COLUMN_LABELS = {"time": "日時", "user": "ユーザー", "event": "種類", "household": "世帯ID", "projection": "投影",
                 "what": "何を", "file": "ファイル", "households": "世帯数", "cells": "書いたセル",
                 "appended": "追加した行", "conflicts": "重なった変更", "backups": "バックアップ",
                 "address": "アドレス", "reason": "理由", "sheet": "シート", "tab": "タブ", "rows": "行数",
                 "change": "変更", "target": "対象", "role": "役割", "agency": "所属機関"}


def folder(env=None, secrets=None) -> Path:
    """TSUNAGU_AUDIT_DIR, or secrets [tsunagu] audit_dir, or つなぐボード_監査ログ in the working folder."""
    return settings.audit_folder(env, secrets)


def append_line(path: Path, record: dict) -> bool:
    """Append one JSON line to an append-only file, made readable by the app's account only
    (0600) when created; False (never an exception) when it cannot be written."""
    line = json.dumps(record, ensure_ascii=False, default=str)
    try:
        if not path.parent.is_dir():             # who looked at what: the app's account only
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            os.chmod(path.parent, 0o700)
        fresh = not path.exists()
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(line + "\n")
        if fresh:
            os.chmod(path, 0o600)           # who looked at which household: the app's account only
        return True
    except OSError:
        return False


def read_lines(path: Path) -> list[dict]:
    """Every JSON line of a file (lines that are not JSON skipped; none when it is missing)."""
    try:
        texts = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    rows = []
    for text in texts:
        try:
            rows.append(json.loads(text))
        except ValueError:
            continue
    return rows


def server_name() -> str:
    """This machine's name as a part of a file name (lower case; never empty)."""
    return re.sub(r"[^a-z0-9._-]", "_", socket.gethostname().lower()).strip("._") or "server"


def record(where: Path, event: str, user: str, now: dt.datetime | None = None, **details) -> bool:
    """Append one line to this server's file of this month; False (never an exception) when it
    cannot be written."""
    now = now or dt.datetime.now()
    return append_line(where / f"audit-{now:%Y-%m}-{server_name()}.jsonl",
                       {"time": now.isoformat(timespec="seconds"), "user": user, "event": event, **details})


def lines(where: Path, month: dt.date | None = None) -> list[dict]:
    """Every line of every server's files (of one month, when given), oldest first — a file of an
    older version without a server's name included."""
    pattern = f"audit-{month:%Y-%m}*.jsonl" if month else "audit-*.jsonl"
    rows = [row for path in (sorted(where.glob(pattern)) if where.is_dir() else []) for row in read_lines(path)]
    return sorted(rows, key=lambda row: str(row.get("time") or ""))


def read(where: Path) -> pd.DataFrame:
    """Every line of every month and server, oldest first (lines that are not JSON are skipped)."""
    frame = pd.DataFrame(lines(where))
    for column in ("time", "user", "event"):
        if column not in frame.columns:
            frame[column] = pd.Series(dtype=object)
    frame["内容"] = frame["event"].map(lambda e: EVENTS.get(e, e))
    details = [c for c in frame.columns if c not in ("time", "user", "event", "内容")]
    return frame[["time", "user", "内容", "event", *details]]
