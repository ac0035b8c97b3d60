"""Settings a 管理者 changes on screen: checked, written to the one settings file (0600, in the
state folder) that lib/settings.py reads after the environment and secrets.toml, and audited
old → new (a password is never written to the log).

A save re-reads the file and refuses, naming the setting, when another 管理者 changed it after
the form was drawn; a setting fixed by an environment variable or secrets.toml is never saved
(it would have no effect) — the screen shows it as fixed.
"""
from __future__ import annotations

import datetime as dt
import ipaddress
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping
from urllib.parse import urlsplit

from lib import settings
from lib import state
from lib.access import audit
from lib.workbook import schema, sources
from lib.workbook.cells import nfkc

# Short names for the screen and the audit log (the long meaning is in settings.SETTINGS):
LABELS = {
    "workbook": "ワークブックの場所", "cache_ttl": "読み直す間隔（秒）", "service_account_file": "サービスアカウントの鍵",
    "map_tiles": "地図の背景（インターネット）", "backup_dir": "バックアップの置き場所", "session_hours": "サインインが続く時間",
    "stale_contact_days": "接触なしとする日数", "referral_days": "つなぎの応答を待つ日数", "retention_years": "保存期間（年）",
    "meeting_cadence": "会議を開く間隔", "app_url": "つなぐボードのアドレス", "smtp_host": "メールサーバー",
    "smtp_port": "ポート", "smtp_starttls": "STARTTLS で暗号化", "smtp_user": "メールサーバーのユーザー名",
    "smtp_password": "メールサーバーのパスワード", "mail_from": "差出人のアドレス", "mail_sender_name": "開催通知の発信者",
    "mail_names": "お知らせに世帯の表示名を書く", "date_style": "日付の書き方", "trusted_proxies": "信頼するプロキシ",
    "town_name": "町の名前", "town_code": "全国地方公共団体コード",
}
KEY_FILE = "service_account.json"      # an uploaded service account key, in the state folder (0600)
TRIAL_KEY_FILE = "service_account.trial.json"     # one only tried with 「接続を確かめる」
SETTINGS_EVENT = "settings_changed"
_INT_RANGES = {"smtp_port": (1, 65535), "cache_ttl": (0, 86400), "session_hours": (1, 24 * 30),
               "stale_contact_days": (1, 3650), "referral_days": (1, 365), "retention_years": (1, 100)}
_MAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def is_mail(text: str) -> bool:
    """Whether the text has the shape of a mail address (the sender setting, a test mail's address)."""
    return bool(_MAIL.match((text or "").strip()))


def fixed_by(name: str, env: Mapping | None = None, secrets: Mapping | None = None) -> str | None:
    """Why a setting cannot be changed on screen: 「環境変数 TSUNAGU_…」 or 「secrets.toml」; None when it can."""
    found = settings.configured(name, env, secrets)
    if found is None:
        return None
    return f"環境変数 {settings.BY_NAME[name].env}" if found[0] == "env" else "secrets.toml"


def normal(name: str, text: str) -> str:
    """The value as it is stored: full-width digits and letters made half-width where the kind is
    a number, a switch, an address or a URL; surrounding spaces dropped."""
    kind = settings.BY_NAME[name].kind
    text = (text or "").strip()
    if kind in ("int", "onoff", "url", "mail", "addresses", "workbook", "towncode"):
        text = nfkc(text).strip()
    if kind == "onoff":
        text = text.lower()
    return text


def town_code_ok(code: str) -> bool:
    """A 全国地方公共団体コード: 6 digits, the last the check digit of the first five (総務省: the
    last digit of 11 − (Σ digit × 6,5,4,3,2) mod 11). 131016 千代田区, 011002 札幌市."""
    if len(code) != 6 or not code.isdigit():
        return False
    remainder = sum(int(d) * w for d, w in zip(code[:5], (6, 5, 4, 3, 2))) % 11
    return int(code[5]) == (11 - remainder) % 10


def check(name: str, text: str) -> str | None:
    """What is wrong with a value for a setting, in Japanese; None when it can be saved. An empty
    value always can (the default then applies)."""
    setting = settings.BY_NAME[name]
    label = LABELS.get(name, name)
    text = normal(name, text)
    if not text:
        return None
    if "\n" in text or "\r" in text or len(text) > 500:
        return f"{label}: 1行・500字までで書いてください。"
    kind = setting.kind
    if kind == "int":
        low, high = _INT_RANGES.get(name, (0, 10**6))
        if not text.isdigit() or not low <= int(text) <= high:
            return f"{label}: {low}〜{high} の整数で書いてください（今: {text}）。"
    elif kind == "onoff" and text not in ("on", "off"):
        return f"{label}: on か off を選んでください。"
    elif kind.startswith("choice:") and text not in kind.removeprefix("choice:").split("|"):
        return f"{label}: {'・'.join(kind.removeprefix('choice:').split('|'))} のどれかを選んでください。"
    elif kind == "url":
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return f"{label}: http:// か https:// で始まるアドレスを書いてください（例 https://tsunagu.town.lg.jp）。"
    elif kind == "mail" and not is_mail(text):
        return f"{label}: メールアドレスの形ではありません（例 tsunagu@town.example.lg.jp）。"
    elif kind == "towncode" and not town_code_ok(text):
        return f"{label}: 6桁の全国地方公共団体コードを書いてください（例 335665。総務省の一覧のとおり。今: {text}）。"
    elif kind == "addresses":
        for part in filter(None, (p.strip() for p in text.split(","))):
            try:
                ipaddress.ip_network(part, strict=False)
            except ValueError:
                return f"{label}: 「{part}」は IP アドレスではありません（例 127.0.0.1）。"
    elif kind == "cadence":
        from lib.meetings.agenda import CADENCE_MONTHS, unread_cadence
        if unread := unread_cadence(text):
            return (f"{label}: 「{unread[0]}」が読めません。「会議の種別=間隔」（間隔は "
                    f"{'・'.join(CADENCE_MONTHS)}）を「、」で区切って書いてください。")
    elif kind == "workbook" and sources.sheets_key(text) is None and Path(text).suffix.lower() not in sources.EXCEL_SUFFIXES:
        return (f"{label}: Excel ファイル（{'・'.join(sources.EXCEL_SUFFIXES)}）の場所か、"
                "Google スプレッドシートの URL を書いてください。")
    return None


def shown(name: str, value: str) -> str:
    """A value as the audit log and the screen's summary show it: never a password."""
    if settings.BY_NAME[name].kind == "secret":
        return "（設定あり）" if value else "（空）"
    return value if value else "（空）"


@dataclass
class Outcome:
    """What a save did: the changes written (name, old, new), or why nothing was written."""

    changed: list[tuple[str, str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)        # values that cannot be saved
    conflicts: list[str] = field(default_factory=list)     # changed by someone else since the form was drawn
    failed: str = ""                                       # the file could not be written

    @property
    def saved(self) -> bool:
        return not (self.errors or self.conflicts or self.failed)


def _read_file(path: Path) -> dict[str, str]:
    """The settings file as it is on disk now (not the reader's cache)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {k: str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def save(values: Mapping[str, str], drawn: Mapping[str, str], who: str, env: Mapping | None = None,
         secrets: Mapping | None = None, now: dt.datetime | None = None) -> Outcome:
    """Write the on-screen settings in `values` whose value differs from what the form was drawn
    with (`drawn`, the saved values then). All or nothing: one bad value or one conflict writes nothing."""
    folder = settings.state_folder(env, secrets)
    path = folder / settings.FILE_NAME
    current = _read_file(path)
    outcome = Outcome()
    wanted = {}
    for name, text in values.items():
        setting = settings.BY_NAME.get(name)
        if setting is None or not setting.on_screen or fixed_by(name, env, secrets):
            continue
        new = normal(name, text)
        before = normal(name, drawn.get(name, ""))
        if new == before:
            continue
        now_there = normal(name, current.get(name, ""))
        if now_there != before:
            outcome.conflicts.append(f"{LABELS.get(name, name)}: ほかの管理者がこの画面を開いた後に変えました"
                                     f"（{shown(name, before)} → {shown(name, now_there)}）。")
            continue
        if error := check(name, new):
            outcome.errors.append(error)
            continue
        wanted[name] = (now_there, new)
    if not outcome.saved or not wanted:
        return outcome
    merged = dict(current)
    for name, (_, new) in wanted.items():
        if new:
            merged[name] = new
        else:
            merged.pop(name, None)               # empty: the default applies again
    if not state.write_json(folder, settings.FILE_NAME, merged):
        outcome.failed = f"設定のファイルを書き込めませんでした（{path}）。フォルダの権限を確かめてください。"
        return outcome
    outcome.changed = [(name, old, new) for name, (old, new) in wanted.items()]
    audit.record(audit.folder(env, secrets), SETTINGS_EVENT, who, now,
                 change="、".join(f"{LABELS.get(n, n)}: {shown(n, old)} → {shown(n, new)}" for n, old, new in outcome.changed))
    return outcome


def store_key_file(data: bytes, env: Mapping | None = None, secrets: Mapping | None = None,
                   trial: bool = False) -> tuple[str | None, str | None]:
    """Keep an uploaded service account key (JSON) in the state folder, 0600: (its path, None), or
    (None, what is wrong with it). A `trial` key (only tried) never replaces the one in use."""
    try:
        key = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None, "サービスアカウントの鍵（JSON ファイル）ではありません。Google Cloud でダウンロードした .json を選んでください。"
    if not isinstance(key, dict) or key.get("type") != "service_account" or not key.get("client_email") \
            or not key.get("private_key"):
        return None, "サービスアカウントの鍵ではありません（type が service_account の JSON ではありません）。"
    folder = settings.state_folder(env, secrets)
    name = TRIAL_KEY_FILE if trial else KEY_FILE
    if not state.write_text(folder, name, json.dumps(key, ensure_ascii=False)):
        return None, f"鍵を保存できませんでした（{folder}）。フォルダの権限を確かめてください。"
    return str(folder / name), None


@dataclass
class Connection:
    """What 「接続を確かめる」 found: could it be read, and what is in it."""

    ok: bool
    message: str
    notes: list[str] = field(default_factory=list)


def try_workbook(location: str, env: Mapping | None = None, secrets: Mapping | None = None,
                 key_file: str | None = None) -> Connection:
    """Read the workbook at `location` as the app would (nothing is saved) and say what it holds."""
    location = normal("workbook", location)
    if not location:
        return Connection(True, "場所が空なので、見本の町（みどり町）を開きます。")
    if error := check("workbook", location):
        return Connection(False, error)
    trial = dict(os.environ if env is None else env)
    trial[settings.BY_NAME["workbook"].env] = location
    if key_file and not settings.configured("service_account_file", trial, secrets):
        trial[settings.BY_NAME["service_account_file"].env] = key_file
    try:
        config = sources.resolve(trial, secrets)
        snapshot = sources.load(config)
    except (sources.SourceConfigError, sources.SourceError) as e:
        return Connection(False, " ".join(str(a) for a in e.args if a))
    from lib.workbook.new import missing_parts
    workbook = snapshot.workbook
    households = len(workbook[schema.HOUSEHOLDS]) if schema.HOUSEHOLDS in workbook.tables else 0
    notes = []
    tabs, headings = missing_parts(workbook)
    if tabs:
        notes.append(f"足りないタブ: {'、'.join(tabs)}（データ点検の「足りないタブと見出しを作る」で作れます）")
    if headings:
        notes.append(f"見出しの足りないタブ: {'、'.join(headings)}")
    if config.kind == "excel" and not os.access(config.location, os.W_OK):
        notes.append("このファイルには書き込めません（読み取り専用）。画面からの記録は保存できません。")
    if workbook.problems:
        notes.append(f"データ点検で確かめる点: {len(workbook.problems)}件")
    return Connection(True, f"読めました: {snapshot.label}（世帯 {households}件、タブ {len(workbook.titles)}）", notes)
