"""Every setting of the app, in one table: name, environment variable, secrets key, default, meaning,
and whether a 管理者 may set it on screen.

Readers call `get(name, env, secrets)`: the environment variable, else secrets.toml, else (for the
settings marked `on_screen`) the settings file a 管理者 saved on the 管理 screen, else the default.
Nothing else reads TSUNAGU_* variables, secrets sections or the settings file for settings.
README's 設定一覧 is generated from / checked against `SETTINGS` (tests/test_docs.py).
The file is written by lib/access/configure.py (checked, audited, 0600).
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Mapping, NamedTuple

# The settings a 管理者 saved on screen, in the state folder (see state_folder):
FILE_NAME = "settings.json"
# The audit log's folder (and the state folder's) when none is configured, in the working folder:
AUDIT_DIR_NAME = "つなぐボード_監査ログ"


class Setting(NamedTuple):
    name: str
    env: str                  # environment variable (wins over secrets)
    secrets_key: str | None   # "section.key" in .streamlit/secrets.toml, or None
    default: str
    meaning: str
    on_screen: bool = False   # a 管理者 may set it on the 管理 screen (written to the settings file)
    kind: str = "text"        # how the screen asks for it and configure.check checks it:
    #                           text, int, onoff, choice:A|B, url, mail, secret, path, workbook, cadence, addresses


SETTINGS: tuple[Setting, ...] = (
    Setting("workbook", "TSUNAGU_WORKBOOK", "tsunagu.workbook", "",
            "Excel ファイルの場所、または Google スプレッドシートの URL／キー。なければ見本の町", True, "workbook"),
    Setting("cache_ttl", "TSUNAGU_CACHE_TTL", "tsunagu.cache_ttl", "60", "読んだ内容を使い回す秒数", True, "int"),
    Setting("service_account_file", "TSUNAGU_SERVICE_ACCOUNT_FILE", "gcp_service_account", "",
            "サービスアカウントの鍵（secrets.toml では鍵ファイルの中身を項目ごとに。画面では鍵ファイルをアップロード）",
            True, "keyfile"),
    Setting("map_tiles", "TSUNAGU_MAP_TILES", "tsunagu.map_tiles", "off",
            "`on` にすると社会資源マップの背景にインターネットの地図を使う", True, "onoff"),
    Setting("backup_dir", "TSUNAGU_BACKUP_DIR", "tsunagu.backup_dir", "",
            "Excel に書き戻す前のバックアップの置き場所（空ならファイルと同じフォルダの `つなぐボード_バックアップ`）",
            True, "path"),
    Setting("users_file", "TSUNAGU_USERS_FILE", "auth.users_file", "",
            "ユーザーのファイル（YAML。空なら状態フォルダの `users.yaml`）"),
    Setting("cookie_key", "TSUNAGU_COOKIE_KEY", "auth.cookie_key", "",
            "サインインのクッキー鍵（32バイト以上。空なら初回に作って状態フォルダに保存）"),
    Setting("session_hours", "TSUNAGU_SESSION_HOURS", "auth.session_hours", "8", "サインインが続く時間", True, "int"),
    Setting("audit_dir", "TSUNAGU_AUDIT_DIR", "tsunagu.audit_dir", "",
            f"監査ログの置き場所（空なら作業フォルダの `{AUDIT_DIR_NAME}`）"),
    Setting("demo", "TSUNAGU_DEMO", "tsunagu.demo", "on",
            "`off` にすると、町のワークブックをつなぐ前でも見本のユーザーを使わず、初期設定コードで最初の管理者を作る"
            "（`start.py` は `off` で起動します）"),
    Setting("today", "TSUNAGU_TODAY", None, "", "「今日」を変えて表示する（研修・デモ用。例 `2026-11-24`）"),
    Setting("sheets_api_root", "TSUNAGU_SHEETS_API_ROOT", "tsunagu.sheets_api_root", "",
            "Sheets API の代わりに使う宛先（プロキシや試験用の偽サーバー。例 `http://127.0.0.1:8765`）。ループバックで鍵がなければ匿名で接続"),
    Setting("stale_contact_days", "TSUNAGU_STALE_CONTACT_DAYS", "tsunagu.stale_contact_days", "60",
            "この日数以上接触のない世帯を「接触なし」とする（ケースボードの赤字と会議の「中断検討」で共通）", True, "int"),
    Setting("referral_days", "TSUNAGU_REFERRAL_DAYS", "tsunagu.referral_days", "7",
            "この日数を過ぎても応答のない「つなぎ」の依頼を、ホームとケースボードで目立たせる", True, "int"),
    Setting("retention_years", "TSUNAGU_RETENTION_YEARS", "tsunagu.retention_years", "5",
            "終結・中断から何年で記録の保存期間が満了するか（管理・データ点検の「保存期間満了」）", True, "int"),
    Setting("meeting_cadence", "TSUNAGU_MEETING_CADENCE", "tsunagu.meeting_cadence",
            "重層的支援会議=毎月、支援会議=随時、定例会議=毎月、代表者会議=毎年",
            "会議を開く間隔（毎月・隔月・四半期・半年・毎年・随時）。会議の画面が次の開催日を提案します", True, "cadence"),
    Setting("app_url", "TSUNAGU_APP_URL", "tsunagu.app_url", "http://localhost:8501",
            "お知らせのメールに書くつなぐボードのアドレス（世帯へのリンクの頭）", True, "url"),
    Setting("smtp_host", "TSUNAGU_SMTP_HOST", "smtp.host", "",
            "お知らせを送るメールサーバー（空なら送れません。`--dry-run` は使えます）", True),
    Setting("smtp_port", "TSUNAGU_SMTP_PORT", "smtp.port", "587", "メールサーバーのポート", True, "int"),
    Setting("smtp_starttls", "TSUNAGU_SMTP_STARTTLS", "smtp.starttls", "on", "`on` なら STARTTLS で暗号化して送る",
            True, "onoff"),
    Setting("smtp_user", "TSUNAGU_SMTP_USER", "smtp.user", "", "メールサーバーのユーザー名（空ならログインしない）", True),
    Setting("smtp_password", "TSUNAGU_SMTP_PASSWORD", "smtp.password", "",
            "メールサーバーのパスワード（画面・secrets.toml・環境変数のどれかで。リポジトリには書かない）", True, "secret"),
    Setting("mail_from", "TSUNAGU_MAIL_FROM", "smtp.mail_from", "",
            "お知らせの差出人のアドレス（例 `tsunagu@town.example.lg.jp`）", True, "mail"),
    Setting("mail_sender_name", "TSUNAGU_MAIL_SENDER_NAME", "smtp.sender_name", "福祉課 多機関協働係",
            "開催通知の発信者（様式1に書く名前）", True),
    Setting("mail_names", "TSUNAGU_MAIL_NAMES", "smtp.names", "off",
            "`on` にするとお知らせに世帯の表示名も書く（メールが LGWAN の中だけを通る町のみ）", True, "onoff"),
    Setting("town_name", "TSUNAGU_TOWN_NAME", "tsunagu.town_name", "",
            "町の名前（実施状況報告の表紙と県への提出用 CSV に書く。例 `みどり町`。空なら見本の町のときだけ「みどり町」）", True),
    Setting("town_code", "TSUNAGU_TOWN_CODE", "tsunagu.town_code", "",
            "全国地方公共団体コード（6桁。県への提出用 CSV の町名コード。例 美咲町は `336661`。空なら見本の町のときだけ `999997`）", True, "towncode"),
    Setting("date_style", "TSUNAGU_DATE_STYLE", "tsunagu.date_style", "和暦",
            "画面と書類の日付の書き方: `和暦`（令和8年11月25日）または `西暦`（2026年11月25日）", True, "choice:和暦|西暦"),
    Setting("state_dir", "TSUNAGU_STATE_DIR", "tsunagu.state_dir", "",
            "ユーザー・画面で保存した設定・サインインの失敗回数・廃棄の記録などアプリの状態を置く場所（空なら監査ログと同じフォルダ）"),
    Setting("state_url", "TSUNAGU_STATE_URL", "tsunagu.state_url", "",
            "複数のサーバーで動かすときの共有の状態（PostgreSQL の接続先。例 `postgresql://tsunagu:パスワード@db.example.lg.jp/tsunagu`）。"
            "空なら状態フォルダに置く（1台のサーバー）"),
    Setting("trusted_proxies", "TSUNAGU_TRUSTED_PROXIES", "auth.trusted_proxies", "",
            "利用者のアドレスを `X-Forwarded-For` で伝えてよいプロキシのアドレス（`,` 区切り。例 `127.0.0.1`）。"
            "空ならこの見出しは信じず、つないできた相手のアドレスを使う", True, "addresses"),
)
BY_NAME = {s.name: s for s in SETTINGS}


def configured(name: str, env: Mapping[str, str] | None = None, secrets: Mapping | None = None) -> tuple[str, str] | None:
    """Where a setting is fixed outside the screen and its value: ("env", …) or ("secrets", …); None
    when neither sets it (an empty variable counts as not set; a whole secrets section counts as set,
    with no text value: ("secrets", None))."""
    setting = BY_NAME[name]
    env = os.environ if env is None else env
    if value := env.get(setting.env):
        return "env", value.strip()
    if setting.secrets_key and secrets:
        section, _, key = setting.secrets_key.partition(".")
        found = (secrets.get(section) or {}).get(key) if key else (secrets.get(section) or None)
        if found not in (None, ""):
            return "secrets", str(found).strip() if key else None     # a whole section is no text value
    return None


def audit_folder(env: Mapping[str, str] | None = None, secrets: Mapping | None = None) -> Path:
    """TSUNAGU_AUDIT_DIR, or secrets [tsunagu] audit_dir, or つなぐボード_監査ログ in the working folder."""
    found = configured("audit_dir", env, secrets)
    return Path(found[1]) if found else Path.cwd() / AUDIT_DIR_NAME


def state_folder(env: Mapping[str, str] | None = None, secrets: Mapping | None = None) -> Path:
    """TSUNAGU_STATE_DIR, else the audit log's folder (never from the settings file: the file is in it)."""
    found = configured("state_dir", env, secrets)
    return Path(found[1]) if found else audit_folder(env, secrets)


def settings_file(env: Mapping[str, str] | None = None, secrets: Mapping | None = None) -> Path:
    return state_folder(env, secrets) / FILE_NAME


_saved_cache: dict[Path, tuple[tuple[int, int], dict[str, str]]] = {}


def saved(env: Mapping[str, str] | None = None, secrets: Mapping | None = None) -> dict[str, str]:
    """What a 管理者 saved on screen: on-screen setting → text ({} when there is no file or it is
    unreadable). Read again only when the file changed (every page asks many times a run)."""
    path = settings_file(env, secrets)
    try:
        status = path.stat()
    except OSError:
        return {}
    stamp = (status.st_mtime_ns, status.st_size)
    cached = _saved_cache.get(path)
    if cached and cached[0] == stamp:
        return cached[1]
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = {}
    values = {k: str(v) for k, v in (data.items() if isinstance(data, dict) else ())
              if k in BY_NAME and BY_NAME[k].on_screen and v is not None}
    _saved_cache[path] = (stamp, values)
    return values


def get(name: str, env: Mapping[str, str] | None = None, secrets: Mapping | None = None) -> str:
    """A setting's value as text: the environment variable, else the secrets key, else what was
    saved on screen, else the default."""
    setting = BY_NAME[name]
    found = configured(name, env, secrets)
    if found is None:
        value = saved(env, secrets).get(name, "").strip() if setting.on_screen else ""
    else:
        value = found[1] or ""
    return value or setting.default.strip()


def get_int(name: str, env: Mapping[str, str] | None = None, secrets: Mapping | None = None) -> int:
    """An integer setting; a value that is not a whole number falls back to the default."""
    text = get(name, env, secrets)
    try:
        return int(text)
    except ValueError:
        return int(BY_NAME[name].default)


def readme_table() -> str:
    """The 設定一覧 table of README, made from SETTINGS."""
    lines = ["| 環境変数 | secrets.toml | 画面 | 既定 | 意味 |", "|---|---|---|---|---|"]
    for s in SETTINGS:
        where = ""
        if s.secrets_key:
            section, _, key = s.secrets_key.partition(".")
            where = f"`[{section}] {key}`" if key else f"`[{section}]`"
        lines.append(f"| `{s.env}` | {where} | {'○' if s.on_screen else ''} | {s.default or '（空）'} | {s.meaning} |")
    return "\n".join(lines)
