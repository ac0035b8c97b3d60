"""Where the workbook is, and what a read or a save of it gives: the configuration (resolve: an
Excel file or a Google spreadsheet, from the environment, secrets or the 管理 screen), the errors
staff are shown in Japanese, a Snapshot (one read, validated) and a WriteResult (one save). The
backends (excel.py, sheets.py) build on this; the rest of the app goes through sources.py."""
from __future__ import annotations

import datetime as dt
import ipaddress
import json
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping
from urllib.parse import urlsplit

from lib import settings
from lib.workbook.derived import Derived
from lib.workbook.validate import Workbook, Written

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_WORKBOOK = ROOT / "sample_data" / "midori_town.xlsx"

# Seconds a read is reused before the sheet is read again (TSUNAGU_CACHE_TTL overrides):
DEFAULT_CACHE_TTL = 60
EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")
_SHEETS_URL = re.compile(r"/spreadsheets/d/([A-Za-z0-9_-]+)")
_SHEETS_KEY = re.compile(r"^[A-Za-z0-9_-]{25,}$")


class SourceError(Exception):
    """The workbook could not be read; `advice` tells staff what to check."""

    advice = "設定（TSUNAGU_WORKBOOK または secrets.toml）を確かめてください。"

    def __init__(self, message: str, advice: str | None = None):
        super().__init__(message)
        if advice:
            self.advice = advice


class SourceConfigError(SourceError):
    """The configuration names no usable workbook or credentials."""


class SourceNotFound(SourceError):
    """The file or spreadsheet does not exist (or the URL/key is mistyped)."""


class SourceForbidden(SourceError):
    """The service account may not open the spreadsheet (not shared with it)."""


class SourceUnavailable(SourceError):
    """The source did not answer usefully after retries (network, quota, server error)."""


@dataclass(frozen=True)
class SourceConfig:
    """Which workbook to open and how; built by `resolve` from environment and secrets."""

    kind: str                      # "excel" or "sheets"
    location: str                  # file path, or spreadsheet key
    service_account: Mapping | None = field(default=None, compare=False, repr=False)
    api_root: str | None = None
    ttl: int = DEFAULT_CACHE_TTL
    is_sample: bool = False
    backup_dir: str | None = None  # where Excel saves keep their backups (None: beside the file)

    @property
    def label(self) -> str:
        """What the sidebar says is open (never a secret)."""
        if self.kind == "excel":
            name = Path(self.location).name
            return f"見本の町（{name}）" if self.is_sample else f"Excel: {name}"
        return f"Google スプレッドシート: …{self.location[-6:]}"

    @property
    def cache_key(self) -> str:
        return f"{self.kind}:{self.location}:{self.api_root or ''}"


@dataclass
class Snapshot:
    """One read of the workbook: validated tables, when they were read, and from where."""

    workbook: Workbook
    read_at: dt.datetime
    label: str
    requests: int = 0              # HTTP requests the read took (Sheets only)
    digest: str | None = None      # sha256 of the Excel file's bytes read (None for Sheets)
    # Sheet title → a key of its content as read (the next read converts only tabs whose key changed):
    parts: dict = field(default_factory=dict, compare=False, repr=False)
    # Google Sheets: every sheet title (a refresh reuses them), and the rows each sheet had:
    sheet_titles: tuple = ()
    extent: dict = field(default_factory=dict, compare=False, repr=False)
    # Excel: the file's bytes as read (a refresh compares the sheets that changed with them):
    package: bytes | None = field(default=None, compare=False, repr=False)
    # Google Sheets: when the spreadsheet had last changed as this read began (Drive's modifiedTime;
    # a refresh that finds it the same reads nothing more), DRIVE_REFUSED, or None (not known)
    modified: str | None = None
    # What sessions derive from this read (scoped copies, the board …), computed once for all:
    derived: Derived = field(default_factory=Derived, compare=False, repr=False)

    def unchanged(self, keys: dict) -> set[str]:
        """The sheets whose key of content now (`keys`, made as `parts` was) is the one this read
        converted: their rows need not be converted again."""
        return {t for t, key in keys.items() if self.parts.get(t) == key}


def secrets_from_files(cwd: Path | None = None) -> dict:
    """Secrets as Streamlit would see them (.streamlit/secrets.toml here, then in $HOME)."""
    merged: dict = {}
    for path in (Path.home() / ".streamlit" / "secrets.toml", (cwd or Path.cwd()) / ".streamlit" / "secrets.toml"):
        if path.is_file():
            merged.update(tomllib.loads(path.read_text(encoding="utf-8")))
    return merged


def sheets_key(text: str) -> str | None:
    """The spreadsheet key in a Sheets URL or a bare key, else None."""
    if m := _SHEETS_URL.search(text):
        return m.group(1)
    if _SHEETS_KEY.match(text) and not Path(text).suffix:
        return text
    return None


def resolve(env: Mapping[str, str] | None = None, secrets: Mapping | None = None) -> SourceConfig:
    """Choose the workbook: TSUNAGU_WORKBOOK, then secrets [tsunagu] workbook, else the sample town."""
    env = os.environ if env is None else env
    secrets = secrets or {}
    where = settings.get("workbook", env, secrets)
    api_root = settings.get("sheets_api_root", env, secrets).rstrip("/") or None
    ttl_text = settings.get("cache_ttl", env, secrets)
    try:
        ttl = max(0, int(ttl_text))
    except (TypeError, ValueError):
        raise SourceConfigError(f"TSUNAGU_CACHE_TTL は秒数（整数）で指定してください（今: {ttl_text}）") from None
    backup_dir = settings.get("backup_dir", env, secrets) or None
    if not where:
        return SourceConfig("excel", str(SAMPLE_WORKBOOK), ttl=ttl, is_sample=True, backup_dir=backup_dir)
    key = sheets_key(where)
    if key is None:
        return SourceConfig("excel", where, ttl=ttl, backup_dir=backup_dir)
    account = secrets.get("gcp_service_account")
    account_file = settings.get("service_account_file", env, secrets) or env.get("GOOGLE_APPLICATION_CREDENTIALS")
    if not account and account_file:
        try:
            account = json.loads(Path(account_file).read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise SourceConfigError(f"サービスアカウントの鍵ファイルを読めません: {account_file}（{type(e).__name__}）") from None
    if not account and not (api_root and _is_loopback(api_root)):
        raise SourceConfigError(
            "Google スプレッドシートを開くためのサービスアカウントが設定されていません。",
            ".streamlit/secrets.toml に [gcp_service_account] を書くか、TSUNAGU_SERVICE_ACCOUNT_FILE に"
            "鍵ファイルの場所を指定してください（README「Google スプレッドシートにつなぐ」）。")
    return SourceConfig("sheets", key, service_account=dict(account) if account else None, api_root=api_root, ttl=ttl)


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class WriteRefused(SourceError):
    """Nothing was written: the file is open elsewhere, changed meanwhile, or cannot be written."""


class WriteConflict(WriteRefused):
    """Someone changed a row the app is about to write; `conflicts` says which cells."""

    def __init__(self, conflicts: list, advice: str | None = None):
        super().__init__(f"保存しませんでした。読み込んだ後に、シートの{len(conflicts)}か所が変更されています。",
                         advice or "変更を確かめてから「最新の情報に更新」を押し、もう一度保存してください。")
        self.conflicts = conflicts


@dataclass
class WriteResult:
    """What a save wrote: cells, and (tab, sheet row) of every row it touched or appended."""

    cells: int = 0
    rows: list[tuple[str, int]] = field(default_factory=list)
    created: list[str] = field(default_factory=list)        # tabs the save had to add
    headers: list[tuple[str, str]] = field(default_factory=list)   # (tab, column) headers it had to add
    # Excel: sha256 of the file before and after the save, and what it wrote into each sheet as
    # a read of the saved file gives it back: the read after the save converts only that (see
    # load's `written`)
    digests: tuple[str, str] | None = None
    written: dict[str, Written] = field(default_factory=dict)
    # Google Sheets: when the read the save was made from was taken (its `written` holds the values
    # as sent, which a read gives back as they are: RAW input), and the key of content of each
    # sheet it read whole and wrote into, as it is after the save (the next check or refresh
    # converts it again only if someone changed it since)
    base: dt.datetime | None = None
    keys: dict[str, str] = field(default_factory=dict)
    # …and when the spreadsheet changed with this save (asked right after it): the next refresh
    # reads nothing when nobody changed it since (None: not known, that refresh reads)
    modified: str | None = None
