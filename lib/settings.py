"""Every setting of the app, in one table: name, environment variable, secrets key, default, meaning.

Readers call `get(name, env, secrets)`; nothing else reads TSUNAGU_* variables or secrets
sections for settings. README's 設定一覧 is generated from / checked against `SETTINGS`
(tests/test_docs.py).
"""
from __future__ import annotations

import os
from typing import Mapping, NamedTuple


class Setting(NamedTuple):
    name: str
    env: str                  # environment variable (wins over secrets)
    secrets_key: str | None   # "section.key" in .streamlit/secrets.toml, or None
    default: str
    meaning: str


SETTINGS: tuple[Setting, ...] = (
    Setting("workbook", "TSUNAGU_WORKBOOK", "tsunagu.workbook", "",
            "Excel ファイルの場所、または Google スプレッドシートの URL／キー。なければ見本の町"),
    Setting("cache_ttl", "TSUNAGU_CACHE_TTL", "tsunagu.cache_ttl", "60", "読んだ内容を使い回す秒数"),
    Setting("service_account_file", "TSUNAGU_SERVICE_ACCOUNT_FILE", "gcp_service_account", "",
            "サービスアカウントの鍵（secrets.toml では鍵ファイルの中身を項目ごとに）"),
    Setting("map_tiles", "TSUNAGU_MAP_TILES", "tsunagu.map_tiles", "off",
            "`on` にすると社会資源マップの背景にインターネットの地図を使う"),
    Setting("backup_dir", "TSUNAGU_BACKUP_DIR", "tsunagu.backup_dir", "",
            "Excel に書き戻す前のバックアップの置き場所（空ならファイルと同じフォルダの `つなぐボード_バックアップ`）"),
    Setting("users_file", "TSUNAGU_USERS_FILE", "auth.users_file", "", "ユーザーのファイル（YAML）"),
    Setting("cookie_key", "TSUNAGU_COOKIE_KEY", "auth.cookie_key", "", "サインインのクッキー鍵（32バイト以上）"),
    Setting("session_hours", "TSUNAGU_SESSION_HOURS", "auth.session_hours", "8", "サインインが続く時間"),
    Setting("audit_dir", "TSUNAGU_AUDIT_DIR", "tsunagu.audit_dir", "",
            "監査ログの置き場所（空なら作業フォルダの `つなぐボード_監査ログ`）"),
    Setting("today", "TSUNAGU_TODAY", None, "", "「今日」を変えて表示する（研修・デモ用。例 `2026-11-24`）"),
    Setting("sheets_api_root", "TSUNAGU_SHEETS_API_ROOT", "tsunagu.sheets_api_root", "",
            "Sheets API の代わりに使う宛先（プロキシや試験用の偽サーバー。例 `http://127.0.0.1:8765`）。ループバックで鍵がなければ匿名で接続"),
    Setting("stale_contact_days", "TSUNAGU_STALE_CONTACT_DAYS", "tsunagu.stale_contact_days", "60",
            "この日数以上接触のない世帯を「接触なし」とする（ケースボードの赤字と会議の「中断検討」で共通）"),
    Setting("referral_days", "TSUNAGU_REFERRAL_DAYS", "tsunagu.referral_days", "7",
            "この日数を過ぎても応答のない「つなぎ」の依頼を、ホームとケースボードで目立たせる"),
    Setting("meeting_cadence", "TSUNAGU_MEETING_CADENCE", "tsunagu.meeting_cadence",
            "重層的支援会議=毎月、支援会議=随時、定例会議=毎月、代表者会議=毎年",
            "会議を開く間隔（毎月・隔月・四半期・半年・毎年・随時）。会議の画面が次の開催日を提案します"),
    Setting("app_url", "TSUNAGU_APP_URL", "tsunagu.app_url", "http://localhost:8501",
            "お知らせのメールに書くつなぐボードのアドレス（世帯へのリンクの頭）"),
    Setting("smtp_host", "TSUNAGU_SMTP_HOST", "smtp.host", "", "お知らせを送るメールサーバー（空なら送れません。`--dry-run` は使えます）"),
    Setting("smtp_port", "TSUNAGU_SMTP_PORT", "smtp.port", "587", "メールサーバーのポート"),
    Setting("smtp_starttls", "TSUNAGU_SMTP_STARTTLS", "smtp.starttls", "on", "`on` なら STARTTLS で暗号化して送る"),
    Setting("smtp_user", "TSUNAGU_SMTP_USER", "smtp.user", "", "メールサーバーのユーザー名（空ならログインしない）"),
    Setting("smtp_password", "TSUNAGU_SMTP_PASSWORD", "smtp.password", "",
            "メールサーバーのパスワード（secrets.toml か環境変数に。リポジトリには書かない）"),
    Setting("mail_from", "TSUNAGU_MAIL_FROM", "smtp.mail_from", "", "お知らせの差出人のアドレス（例 `tsunagu@town.example.lg.jp`）"),
    Setting("mail_sender_name", "TSUNAGU_MAIL_SENDER_NAME", "smtp.sender_name", "福祉課 多機関協働係",
            "開催通知の発信者（様式1に書く名前）"),
    Setting("mail_names", "TSUNAGU_MAIL_NAMES", "smtp.names", "off",
            "`on` にするとお知らせに世帯の表示名も書く（メールが LGWAN の中だけを通る町のみ）"),
    Setting("date_style", "TSUNAGU_DATE_STYLE", "tsunagu.date_style", "和暦",
            "画面と書類の日付の書き方: `和暦`（令和8年11月25日）または `西暦`（2026年11月25日）"),
    Setting("state_dir", "TSUNAGU_STATE_DIR", "tsunagu.state_dir", "",
            "サインインの失敗回数・廃棄の記録などアプリの状態を置く場所（空なら監査ログと同じフォルダ）"),
    Setting("trusted_proxies", "TSUNAGU_TRUSTED_PROXIES", "auth.trusted_proxies", "",
            "利用者のアドレスを `X-Forwarded-For` で伝えてよいプロキシのアドレス（`,` 区切り。例 `127.0.0.1`）。"
            "空ならこの見出しは信じず、つないできた相手のアドレスを使う"),
)
BY_NAME = {s.name: s for s in SETTINGS}


def get(name: str, env: Mapping[str, str] | None = None, secrets: Mapping | None = None) -> str:
    """A setting's value as text: the environment variable, else the secrets key, else the default."""
    setting = BY_NAME[name]
    env = os.environ if env is None else env
    value = env.get(setting.env) or None        # an empty variable counts as not set
    if value is None and setting.secrets_key and secrets:
        section, _, key = setting.secrets_key.partition(".")
        found = (secrets.get(section) or {}).get(key) if key else None
        value = None if found in (None, "") else str(found)
    return (setting.default if value is None else value).strip()


def get_int(name: str, env: Mapping[str, str] | None = None, secrets: Mapping | None = None) -> int:
    """An integer setting; a value that is not a whole number falls back to the default."""
    text = get(name, env, secrets)
    try:
        return int(text)
    except ValueError:
        return int(BY_NAME[name].default)


def readme_table() -> str:
    """The 設定一覧 table of README, made from SETTINGS."""
    lines = ["| 環境変数 | secrets.toml | 既定 | 意味 |", "|---|---|---|---|"]
    for s in SETTINGS:
        where = ""
        if s.secrets_key:
            section, _, key = s.secrets_key.partition(".")
            where = f"`[{section}] {key}`" if key else f"`[{section}]`"
        lines.append(f"| `{s.env}` | {where} | {s.default or '（空）'} | {s.meaning} |")
    return "\n".join(lines)
