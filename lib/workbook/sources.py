"""Where the workbook comes from: an Excel file on disk or a Google Sheet (gspread 6).

The only module that touches files, gspread and secrets. Backends hand over raw cell values
(tab title → rows, header in row 1); lib.validate converts them. Nothing here guesses types.
"""
from __future__ import annotations

import datetime as dt
import ipaddress
import json
import os
import random
import re
import threading
import time
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Mapping
from urllib.parse import urlsplit

from lib import settings
from lib.workbook import schema, xlsx_cells
from lib.workbook.derived import Derived
from lib.workbook.validate import Header, RawWorkbook, Workbook, Written, validate
from lib.workbook.writeplan import cell_value, locate

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_WORKBOOK = ROOT / "sample_data" / "midori_town.xlsx"
GOOGLE_SHEETS_ROOT = "https://sheets.googleapis.com"
GOOGLE_DRIVE_ROOT = "https://www.googleapis.com"
# The spreadsheet's values, and its file's metadata only (when it last changed: a refresh of a sheet
# nobody touched is then one small request):
SCOPES = ("https://www.googleapis.com/auth/spreadsheets", "https://www.googleapis.com/auth/drive.metadata.readonly")
# Snapshot.modified when the Drive API is not enabled for the account (every refresh reads the values):
DRIVE_REFUSED = "refused"
# Seconds a read is reused before the sheet is read again (TSUNAGU_CACHE_TTL overrides):
DEFAULT_CACHE_TTL = 60
# Connect and read timeouts for every Sheets request, in seconds:
REQUEST_TIMEOUT = (5, 30)
# A failed Sheets request (429, 5xx, network) is tried this many times in all:
RETRY_TRIES = 4
# First wait between tries; it doubles each time (with jitter) up to RETRY_MAX_DELAY seconds:
RETRY_BASE_DELAY = 0.5
RETRY_MAX_DELAY = 8.0
RETRY_STATUS = (429, 500, 502, 503, 504)
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


# ---------------------------------------------------------------- Excel

# Tabs of an Excel file are parsed by this many threads at once (python-calamine lets other
# threads run while it parses, so validation of one tab overlaps the reading of the next):
READ_THREADS = 2


def _unreadable(name: str, e: Exception) -> SourceError:
    return SourceError(f"Excel ファイルとして読めません: {name}（{e}）",
                       f"{', '.join(EXCEL_SUFFIXES)} 形式か、ファイルが壊れていないかを確かめてください。")


class _ExcelTabs(Mapping):
    """Tab title → rows of an Excel file, each tab parsed in a worker thread; a tab's rows are
    waited for only when asked for (validation starts on the first tab while the others are read)."""

    def __init__(self, titles: list[str], read_tab, name: str, digest: str, later=frozenset()):
        from concurrent.futures import Future, ThreadPoolExecutor

        self.digest = digest          # of the bytes read: a save knows whether the file is still these

        pool = ThreadPoolExecutor(READ_THREADS, thread_name_prefix="tsunagu-read")
        self._futures = {title: Future() if title in later else pool.submit(read_tab, title) for title in titles}
        pool.shutdown(wait=False)
        self._name, self._read_tab = name, read_tab
        self._later = set(later) & set(titles)      # read here when asked; the others by the pool
        self._asking = threading.Lock()             # two threads asking for one later tab read it once

    def __getitem__(self, title: str) -> list:
        from python_calamine import CalamineError

        future = self._futures[title]
        with self._asking:
            mine = title in self._later
            self._later.discard(title)
        if mine and future.set_running_or_notify_cancel():    # a tab read only when asked for
            try:
                future.set_result(self._read_tab(title))
            except Exception as e:                            # noqa: BLE001 - raised below, as from a worker
                future.set_exception(e)
        try:
            return future.result()
        except (CalamineError, OSError, ValueError) as e:
            raise _unreadable(self._name, e) from None

    def __iter__(self):
        return iter(self._futures)

    def __contains__(self, title) -> bool:          # (Mapping's would read the tab)
        return title in self._futures

    def __len__(self) -> int:
        return len(self._futures)


def read_excel(path: str | Path, data: bytes | None = None, only=None, skip=frozenset(), later=frozenset(),
               digest: str | None = None) -> RawWorkbook:
    """Every tab of an Excel/ODS file as raw cell values, row 1 first (blank rows kept in place).
    With `data`, those bytes (already read from `path`) are parsed instead of reading again; with
    `only` (sheet titles), the other tabs come back empty (a save reads just what it checks), and so
    do the tabs in `skip` (a refresh keeps what it converted of them before); the tabs in `later`
    are read only if asked for. `digest`: the sha256 of `data` when already known."""
    import io

    from python_calamine import CalamineError, CalamineWorkbook

    path = Path(path)
    if data is None and not path.is_file():
        raise SourceNotFound(f"ファイルが見つかりません: {path}",
                             "パスのつづりと、共有フォルダに接続できているかを確かめてください。")
    try:
        if data is None:
            data = path.read_bytes()
        titles = CalamineWorkbook.from_filelike(io.BytesIO(data)).sheet_names
    except (CalamineError, OSError, ValueError) as e:
        raise _unreadable(path.name, e) from None
    books = threading.local()       # one parser per thread: a CalamineWorkbook is not shared

    def read_tab(title: str) -> list:
        if (only is not None and title not in only) or title in skip:
            return []
        if not hasattr(books, "book"):
            books.book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        return books.book.get_sheet_by_name(title).to_python(skip_empty_area=False)

    return _ExcelTabs(titles, read_tab, path.name, digest or _file_hash(data), later)


# ---------------------------------------------------------------- Google Sheets

def _session(credentials, api_root: str | None):
    """An authorised requests session that sends Sheets API calls to `api_root` when set."""
    from google.auth.transport.requests import AuthorizedSession

    class RootRewritingSession(AuthorizedSession):
        calls = 0   # HTTP requests sent, retries included

        def request(self, method, url, *args, **kwargs):
            self.calls += 1
            if api_root and url.startswith(GOOGLE_SHEETS_ROOT):
                url = api_root + url[len(GOOGLE_SHEETS_ROOT):]
            elif api_root and url.startswith(GOOGLE_DRIVE_ROOT):
                url = api_root + url[len(GOOGLE_DRIVE_ROOT):]
            return super().request(method, url, *args, **kwargs)

    return RootRewritingSession(credentials)


def _retrying_client_class(tries: int, base_delay: float, max_delay: float):
    """gspread HTTP client with bounded, jittered retries (gspread's own never stops)."""
    import requests
    from gspread.exceptions import APIError
    from gspread.http_client import HTTPClient

    class RetryingHTTPClient(HTTPClient):
        def request(self, *args, **kwargs):
            for attempt in range(1, tries + 1):
                retry_after = None
                try:
                    return super().request(*args, **kwargs)
                except APIError as e:
                    if e.response.status_code not in RETRY_STATUS or attempt == tries:
                        raise
                    retry_after = e.response.headers.get("Retry-After")
                except (requests.ConnectionError, requests.Timeout):
                    if attempt == tries:
                        raise
                delay = min(max_delay, base_delay * 2 ** (attempt - 1)) * random.uniform(0.5, 1.0)
                if retry_after and retry_after.isdigit():
                    delay = min(max_delay, max(delay, float(retry_after)))
                time.sleep(delay)

    return RetryingHTTPClient


def sheets_client(config: SourceConfig, tries: int | None = None):
    """A gspread Client for `config` with timeout and bounded retries (RETRY_* above)."""
    import gspread
    from google.auth.credentials import AnonymousCredentials
    from google.oauth2.service_account import Credentials

    if config.service_account:
        try:
            credentials = Credentials.from_service_account_info(dict(config.service_account), scopes=SCOPES)
        except (ValueError, KeyError) as e:
            raise SourceConfigError(f"サービスアカウントの設定が正しくありません（{type(e).__name__}）",
                                    "secrets.toml の [gcp_service_account] に、鍵ファイル(JSON)の中身をそのまま写してください。") from None
    else:
        credentials = AnonymousCredentials()
    client = gspread.Client(auth=credentials, session=_session(credentials, config.api_root),
                            http_client=_retrying_client_class(tries or RETRY_TRIES, RETRY_BASE_DELAY, RETRY_MAX_DELAY))
    client.set_timeout(REQUEST_TIMEOUT)
    return client


def _quote(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


def read_sheets(config: SourceConfig, client=None, titles: tuple | None = None) -> tuple[RawWorkbook, int]:
    """All tabs in one values batchGet when `titles` (every sheet title, from an earlier read) are
    given, else in two calls (metadata for the titles, then the batchGet); a tab renamed or removed
    since `titles` makes it ask for the titles again. Returns (raw, requests made); raw's keys are
    every sheet title."""
    import requests
    from gspread.exceptions import APIError

    client = client or sheets_client(config)
    http = client.http_client
    before = getattr(http.session, "calls", 0)

    def values(titles) -> _SheetsTabs:
        raw = _SheetsTabs({t: [] for t in titles})
        raw.update(_batch_values(http, config, [t for t in titles if schema.tab_for_title(t)]))
        return raw

    try:
        raw = None
        if titles:
            try:
                raw = values(titles)
            except APIError as e:
                if e.response.status_code != 400:          # 400: a title asked for is not there any more
                    raise
        if raw is None:
            meta = http.fetch_sheet_metadata(config.location, params={"fields": "sheets.properties(title,sheetId,hidden)"})
            raw = values([s["properties"]["title"] for s in meta.get("sheets", [])])
    except (APIError, requests.ConnectionError, requests.Timeout) as e:
        raise _read_refusal(e, config) from None
    return raw, getattr(http.session, "calls", 0) - before


def sheets_modified(config: SourceConfig, client=None) -> str | None:
    """When the spreadsheet last changed (the Drive API's modifiedTime of its file), in one small
    request; DRIVE_REFUSED when the account may not ask (the Drive API not enabled: 403), None when
    it could not be asked now (the values are then read as before)."""
    import requests
    client = client or sheets_client(config)
    try:                    # (no retries: when it does not answer at once, the values are read as before)
        answer = client.http_client.session.request(
            "get", f"{GOOGLE_DRIVE_ROOT}/drive/v3/files/{config.location}",
            params={"fields": "modifiedTime", "supportsAllDrives": "true"}, timeout=REQUEST_TIMEOUT)
        if answer.status_code in (401, 403):
            return DRIVE_REFUSED
        return (answer.json().get("modifiedTime") or None) if answer.ok else None
    except (requests.RequestException, ValueError):
        return None


def _read_refusal(e: Exception, config: SourceConfig) -> SourceError:
    """What a failed Sheets read tells staff (an API error by its status, or no connection)."""
    from gspread.exceptions import APIError
    if isinstance(e, APIError):
        return _sheets_error(e.response.status_code, config)
    return SourceUnavailable(f"Google スプレッドシートに接続できません（{type(e).__name__}）",
                             "インターネット接続を確かめ、しばらくしてから「最新の情報に更新」を押してください。")


def _batch_values(http, config: SourceConfig, titles: list[str]) -> dict[str, list]:
    """Title → rows of these tabs, in one values batchGet (none for no titles)."""
    if not titles:
        return {}
    answer = http.values_batch_get(config.location, [_quote(t) for t in titles], params={
        "valueRenderOption": "UNFORMATTED_VALUE", "dateTimeRenderOption": "SERIAL_NUMBER", "majorDimension": "ROWS"})
    return {title: block.get("values", []) for title, block in zip(titles, answer.get("valueRanges", []))}


class _SheetsAfterSave(Mapping):
    """Sheet title → rows for the read after a save to Google Sheets: empty (the previous read's
    conversion is kept), and for the sheets in `later` (the ones the save wrote into) read in one
    batchGet each only if validation asks for them (what the save wrote could not be converted on
    its own)."""

    def __init__(self, config: SourceConfig, titles: tuple, later: set[str]):
        self._config, self._rows, self._later = config, {t: [] for t in titles}, set(later) & set(titles)
        self._asking = threading.Lock()
        self.requests = 0

    def __getitem__(self, title: str) -> list:
        import requests
        from gspread.exceptions import APIError

        with self._asking:
            if title in self._later:
                try:
                    self._rows.update(_batch_values(sheets_client(self._config).http_client, self._config, [title]))
                except (APIError, requests.ConnectionError, requests.Timeout) as e:
                    raise _read_refusal(e, self._config) from None
                self._later.discard(title)
                self.requests += 1
        return self._rows[title]

    def __iter__(self):
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)


class _SheetsTabs(dict):
    """Sheet title → rows as Google Sheets sent them."""

    def keys_of_content(self) -> dict[str, str]:
        """Title → a hash of the tab's values (a refresh converts only the tabs whose hash changed)."""
        import hashlib
        import pickle
        return {title: hashlib.blake2b(pickle.dumps(rows, protocol=5), digest_size=16).hexdigest()
                for title, rows in self.items()}


def _sheets_error(status: int, config: SourceConfig) -> SourceError:
    email = (config.service_account or {}).get("client_email", "サービスアカウント")
    if status == 404:
        return SourceNotFound("スプレッドシートが見つかりません（404）",
                              "TSUNAGU_WORKBOOK / secrets.toml の URL またはキーが正しいか確かめてください。")
    if status in (401, 403):
        return SourceForbidden(f"スプレッドシートを開く権限がありません（{status}）",
                               f"スプレッドシートの「共有」で {email} を閲覧者（書き戻すなら編集者）として追加してください。")
    if status == 429:
        return SourceUnavailable("Google の読み取り回数の上限に達しました（429）",
                                 "1分ほど待ってから「最新の情報に更新」を押してください。")
    if status == 400:
        return SourceError("スプレッドシートの読み取り要求が受け付けられませんでした（400）",
                           "タブ名に特殊な文字がないか確かめてください。")
    return SourceUnavailable(f"Google スプレッドシートが応答しません（{status}）",
                             "しばらくしてから「最新の情報に更新」を押してください。")


# ---------------------------------------------------------------- both

def read_raw(config: SourceConfig, data: bytes | None = None) -> tuple[RawWorkbook, int]:
    """Raw cells from the configured backend, plus the HTTP requests it took (0 for files);
    `data`: the Excel file's bytes when already read."""
    if config.kind == "excel":
        return read_excel(config.location, data), 0
    return read_sheets(config)


def excel_part_keys(data: bytes) -> dict[str, tuple]:
    """Sheet title → a key of its content in an .xlsx package, from the zip directory's CRCs alone
    (nothing is decompressed but the workbook's part list): (the sheet's own part, its CRC, the
    CRCs of the parts every sheet's values depend on: shared strings, styles, the date system of
    the workbook part). {} when the file is not an .xlsx package."""
    import io
    import zipfile
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            crc = {i.filename: i.CRC for i in package.infolist()}
            listed = {name: package.read(name) for name in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels") if name in crc}
            parts = xlsx_cells._sheet_parts(listed)
    except Exception:               # noqa: BLE001 - not a package, or a damaged part list: convert every tab
        return {}
    # The workbook part itself changes with every save (recalculation flag); of it, values depend
    # only on the date system:
    dates = "1904" if re.search(rb'date1904="(1|true)"', listed["xl/workbook.xml"]) else "1900"
    common = "/".join(str(crc.get(p)) for p in ("xl/sharedStrings.xml", "xl/styles.xml")) + "/" + dates
    return {title: (part, crc[part], common) for title, part in parts.items() if part in crc}


def _rows_appended(before: bytes, after: bytes, wanted: dict[str, str], sheet_parts: set[str]) -> dict[str, Written]:
    """By sheet title, the rows appended below each sheet of `wanted` (title → its part) since the
    Excel package `before` (which an earlier read converted) became `after`, as reading `after`
    gives them back (`sheet_parts`: every sheet's part); a sheet whose change is anything else
    (see xlsx_cells.rows_added) is left out, to be read whole.
    python-calamine reads the added rows from a small package of them alone, with `after`'s
    styles and shared strings: the same reader, the same dates and numbers as a whole read."""
    import io
    import zipfile
    from concurrent.futures import ThreadPoolExecutor

    from python_calamine import CalamineWorkbook

    if not wanted:
        return {}
    try:
        with zipfile.ZipFile(io.BytesIO(before)) as old, zipfile.ZipFile(io.BytesIO(after)) as new:
            with ThreadPoolExecutor(2) as pool:      # inflating two tens of MB: zlib lets go of the GIL
                made = {part: xlsx_cells.rows_added(*pool.map(lambda z: z.read(part), (old, new)))
                        for part in wanted.values()}
            made = {part: xml for part, xml in made.items() if xml is not None}
            if not made:
                return {}
            small = io.BytesIO()
            others = set(sheet_parts) - set(made)
            with zipfile.ZipFile(small, "w") as out:
                for info in new.infolist():
                    if info.filename in made:
                        out.writestr(info.filename, made[info.filename])
                    elif info.filename not in others and not xlsx_cells._copy_compressed(new, info, out):
                        out.writestr(info, new.read(info))
        book = CalamineWorkbook.from_filelike(io.BytesIO(small.getvalue()))
        found = {}
        for title, part in wanted.items():
            if part in made:
                sheet = book.get_sheet_by_name(title)
                if sheet.start is not None:
                    (top, left), rows = sheet.start, sheet.to_python(skip_empty_area=True)
                    found[title] = Written(rows=[(top + 1 + i, [""] * left + list(r)) for i, r in enumerate(rows)])
        return found
    except Exception:               # noqa: BLE001 - a package this does not follow: read those sheets whole
        return {}


def load(config: SourceConfig, now: dt.datetime | None = None, previous: Snapshot | None = None,
         written: WriteResult | None = None) -> Snapshot:
    """Read and validate the configured workbook. With `previous` (an earlier read of the same
    workbook), only what changed is converted again: an Excel file still byte for byte the same
    comes back as the previous tables stamped with the new time; otherwise each tab whose content
    is the same as before (Excel: its part's CRC; Sheets: a hash of its values) keeps its previous
    typed rows and problems, and only the others are read and checked (a save of a 経過記録 row
    converts 経過記録 only). With `written` (the save just made from `previous`), when the file is
    still the one that save wrote, the sheets it wrote into are read only if what it wrote cannot
    be converted on its own (validate's `written`). Google Sheets refreshes in one request (see
    read_sheets)."""
    now = now or dt.datetime.now()
    data = digest = None
    if previous is not None and previous.digest is not None and config.kind == "excel":
        data = _read_file(Path(config.location))
        digest = _file_hash(data) if data is not None else None
        if digest is not None and digest == previous.digest:
            return replace(previous, read_at=now)
    titles = ()
    typed: dict[str, Written] = {}
    if config.kind == "excel":
        if data is None:
            data = _read_file(Path(config.location))
            digest = _file_hash(data) if data is not None else None
        parts = excel_part_keys(data) if data is not None else {}
        same = previous.unchanged(parts) if previous is not None else set()
        if (written is not None and written.digests and previous is not None and data is not None
                and written.digests == (previous.digest, digest)):
            typed = {t: w for t, w in written.written.items() if t in parts}
        elif previous is not None and data is not None:
            # Another process's save: of a sheet it only appended rows to, only those rows are
            # converted (else the sheet is read whole).
            typed = _appended_since(previous, data, parts, set(parts) - same)
        raw, requests_made = read_excel(config.location, data, skip=same, later=set(typed), digest=digest), 0
    elif typed := _sent_to_sheets(previous, written):
        # Right after this process's save from `previous`: the sheets it wrote into are what it
        # sent, the others as `previous` read them (still the time of that read: the cache's TTL
        # runs from it, so a change someone made in another tab is read no later than before).
        titles, now = previous.sheet_titles, previous.read_at
        raw = _SheetsAfterSave(config, titles, set(typed))
        same = set(titles) - set(typed)
        workbook = validate(raw, previous.workbook, same, typed)
        # (the sheets it wrote into, by what they hold now when the save read them whole; the next
        # read converts the others)
        parts = {**{t: key for t, key in previous.parts.items() if t in same},
                 **{t: key for t, key in written.keys.items() if t in typed}}
        extent = {**previous.extent, **{t: max([previous.extent[t], *(n for n, _ in w.rows)]) for t, w in typed.items()}}
        return Snapshot(workbook, now, config.label, raw.requests, None, parts, titles, extent,
                        modified=DRIVE_REFUSED if previous.modified == DRIVE_REFUSED else written.modified)
    else:
        # First, when the spreadsheet last changed: the same as at the last read → nothing more to read
        client = sheets_client(config)
        modified, asked = (previous.modified if previous is not None else None), 0
        if modified != DRIVE_REFUSED:
            modified, asked = sheets_modified(config, client), 1
            if previous is not None and modified not in (None, DRIVE_REFUSED) and modified == previous.modified:
                return replace(previous, read_at=now, requests=asked)
        # The titles of the last read are asked for again only when it lacked a tab of the contract
        # (the 事務局 may have added it since) or, inside read_sheets, when one was renamed or removed:
        if previous is not None and previous.sheet_titles and all(previous.workbook.has(t.name) for t in schema.TABS):
            titles = previous.sheet_titles
        raw, requests_made = read_sheets(config, client, titles=titles or None)
        requests_made += asked
        if tuple(raw) != tuple(titles):
            titles = tuple(raw)                      # asked for afresh (or renamed): keep the new ones
        parts = raw.keys_of_content()
        same = previous.unchanged(parts) if previous is not None else set()
    workbook = validate(raw, previous.workbook if previous is not None and (same or typed) else None, same, typed)
    extent = {t: len(rows) for t, rows in raw.items()} if config.kind == "sheets" else {}
    return Snapshot(workbook, now, config.label, requests_made, getattr(raw, "digest", None), parts, titles, extent,
                    package=data if config.kind == "excel" else None,
                    modified=modified if config.kind == "sheets" else None)


def _appended_since(snapshot: Snapshot, data: bytes, parts: dict[str, tuple], titles) -> dict[str, Written]:
    """Of the sheets `titles`, the ones that only had rows appended since `snapshot` was read from
    the Excel file that is now `data` (whose part keys are `parts`), with those rows: only a
    sheet whose own part changed (not the styles or shared strings every sheet reads) is looked at."""
    if snapshot.package is None:
        return {}
    return _rows_appended(snapshot.package, data, {
        t: parts[t][0] for t in titles if t in parts and (before := snapshot.parts.get(t)) is not None
        and before[0] == parts[t][0] and before[2] == parts[t][2]}, {key[0] for key in parts.values()})


def _sent_to_sheets(previous: Snapshot | None, written: WriteResult | None) -> dict[str, Written]:
    """What a Google Sheets save made from `previous` wrote, by sheet title, when a read after it
    would give exactly `previous` with that (else {}: read everything). Its new rows must have gone
    right below each sheet's last row as read (an append into a gap of blank rows moves the rows
    below it), its cells into tabs and headings that were there."""
    if (written is None or written.base is None or previous is None or not written.written
            or written.base != previous.read_at or not previous.sheet_titles or written.created or written.headers):
        return {}
    for title, w in written.written.items():
        if title not in previous.extent:
            return {}
        numbers = [n for n, _ in w.rows]
        if numbers and numbers != list(range(previous.extent[title] + 1, previous.extent[title] + 1 + len(numbers))):
            return {}
    return written.written


def _read_file(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None                          # read_excel says what is wrong, in Japanese


# ---------------------------------------------------------------- writing back

# Backups of the Excel file kept before each write (oldest removed first):
BACKUP_KEEP = 20
BACKUP_DIR_NAME = "つなぐボード_バックアップ"
# A save writes the new file beside the workbook under this prefix, then swaps it in:
TEMP_PREFIX = ".~tsunagu-"
# Leftover temp files older than this are a killed save's, removed at the next start:
LEFTOVER_AGE_SECONDS = 60
WRITABLE_EXCEL = (".xlsx", ".xlsm")


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


@dataclass
class _Layout:
    """Where a plan's cells go in the sheet as it is now: header positions per tab, the header
    cells and tabs to add first, and the current row of every touched row."""

    titles: dict[str, str]
    headers: dict[str, dict[str, int]]
    rows: dict[tuple[str, str], int]
    new_tabs: list[str] = field(default_factory=list)
    new_headers: list[tuple[str, int, str]] = field(default_factory=list)   # (title, column index, name)


def _tabs_of(plan) -> set[str]:
    return {c.tab for c in plan.changes} | {a.tab for a in plan.appends} | {t for t, _ in plan.expected}


def _layout(plan, snapshot: Snapshot, raw: RawWorkbook | None, same=frozenset(),
            appended: Mapping[str, Written] | None = None) -> _Layout:
    """Check the plan against the sheet as it is now and lay it out; refuses (WriteConflict) when a
    touched row changed or a new ID was taken, and (WriteRefused) when a row it updates has no tab.
    A tab the plan appends to that the sheet lacks is added with the schema's header row, and a
    column it writes that a header lacks is added after the last header cell: nothing moves.
    `raw` is the sheet read again; None when the file is byte for byte the one `snapshot` was
    read from (nobody saved since), so the snapshot is what a re-read would give. `same`: the
    sheets of `raw` whose content is still what `snapshot` converted (their rows are not
    converted again); `appended`: the sheets that only had rows appended since, with those rows
    (only they are converted)."""
    titles = dict(snapshot.workbook.titles)
    present = set(raw) if raw is not None else set(titles.values())
    new_tabs = []
    for tab in sorted(_tabs_of(plan)):
        if tab in titles and titles[tab] in present:
            continue
        if any(c.tab == tab for c in plan.changes) or any(t == tab for t, _ in plan.expected):
            raise WriteRefused(f"「{tab}」タブが見つからないため保存できません。",
                               f"スプレッドシートに「{tab}」タブ（1行目に見出し）を戻してから、もう一度保存してください。")
        if tab in titles.values() or tab in present:
            raise WriteRefused(f"「{tab}」タブを読み込めていないため保存できません。", "「最新の情報に更新」を押してから、もう一度保存してください。")
        titles[tab] = tab
        new_tabs.append(tab)
    fresh = (snapshot.workbook if raw is None
             else validate(_Only(raw, _check_titles(plan, titles)), snapshot.workbook, same, appended))
    found, rows = locate(plan, fresh)
    if found:
        raise WriteConflict(found)
    headers, new_headers = {}, []
    for tab in _tabs_of(plan):
        title = titles[tab]
        if tab in new_tabs:
            header, free = {c: i for i, c in enumerate(schema.TABS_BY_NAME[tab].column_names)}, 0
            new_headers += [(title, i, c) for c, i in header.items()]
        else:
            known = (snapshot.workbook.headers[tab] if raw is None or title in same or title in (appended or {})
                     else Header.of(schema.TABS_BY_NAME[tab], (raw.get(title) or [[]])[0]))
            header, free = dict(known.positions), known.free
        wanted = [c.column for c in plan.changes if c.tab == tab]
        wanted += [c for a in plan.appends if a.tab == tab for c, v in a.values.items() if v not in (None, "", ())]
        for column in dict.fromkeys(wanted):
            if column not in header:
                header[column] = free
                new_headers.append((title, free, column))
                free += 1
        headers[tab] = header
    return _Layout(titles, headers, rows, new_tabs, new_headers)


class _Only(Mapping):
    """The sheets of a raw workbook among `titles`, each read only when asked for (a sheet whose
    appended rows are converted on their own is not read)."""

    def __init__(self, raw: RawWorkbook, titles):
        self._raw, self._titles = raw, [t for t in titles if t in raw]

    def __getitem__(self, title: str) -> list:
        if title not in self._titles:
            raise KeyError(title)
        return self._raw[title]

    def __iter__(self):
        return iter(self._titles)

    def __len__(self) -> int:
        return len(self._titles)


def _check_titles(plan, titles: dict[str, str]) -> list[str]:
    """The sheets a plan's check needs read again: the rows it updates, the tabs where it adds a new
    ID, the records it was decided from (`depends`), and 世帯 (records need their household; 世帯.同意
    is read through 同意記録). A tab it only appends to (経過記録, 段階履歴 …) is not needed: nothing in it is compared."""
    tabs = {t for t, _ in plan.expected} | {c.tab for c in plan.changes} | {a.tab for a in plan.appends if a.unique}
    tabs |= {t for t, *_ in plan.depends} | {schema.HOUSEHOLDS, schema.CONSENTS}
    return [titles[t] for t in sorted(tabs) if t in titles]


def _cells_to_write(plan, layout: _Layout, for_sheets: bool) -> list[tuple[str, int, int, object]]:
    """(sheet title, row, column index, value): added header cells first, then every change."""
    out = [(title, 1, col, name) for title, col, name in layout.new_headers]
    for change in plan.changes:
        out.append((layout.titles[change.tab], layout.rows[(change.tab, change.key)],
                    layout.headers[change.tab][change.column], cell_value(change.new, for_sheets)))
    return out


def _appended_rows(plan, layout: _Layout, for_sheets: bool) -> list[tuple[str, list]]:
    """Each tab's new rows laid out in its own column order, one entry per tab (one append request)."""
    grouped: dict[str, list] = {}
    for new_row in plan.appends:
        header = layout.headers[new_row.tab]
        values = {header[c]: cell_value(v, for_sheets) for c, v in new_row.values.items() if v not in (None, "", ())}
        width = max(values) + 1 if values else 0
        grouped.setdefault(layout.titles[new_row.tab], []).append([values.get(i, "") for i in range(width)])
    return list(grouped.items())


# An Excel save that finds the file changed under it starts again from a fresh read this often:
EXCEL_RETRIES = 3


def write(config: SourceConfig, snapshot: Snapshot, plan, shared=None) -> WriteResult:
    """Carry out a WritePlan on the configured workbook.

    Single cells and appended rows only, never a whole tab; rows located after a fresh read;
    refused (WriteConflict) if any touched row changed since `snapshot` was read. One save of a
    workbook at a time across every server process (the lock is in the shared state `shared`,
    default: the configured one): two people saving at once are queued, and the second's check
    reads what the first wrote.
    """
    if plan.empty:
        return WriteResult()
    from lib import state
    shared = state.store(shared) if shared is not None else state.store(secrets=secrets_from_files())
    with shared.hold(f"save {config.kind} {config.location}"):
        if config.kind == "excel":
            return _write_excel(config, snapshot, plan)
        return _write_sheets(config, snapshot, plan)


def _file_hash(data: bytes) -> str:
    import hashlib
    return hashlib.sha256(data).hexdigest()


def _write_excel(config: SourceConfig, snapshot: Snapshot, plan) -> WriteResult:
    path = Path(config.location)
    if path.suffix.lower() not in WRITABLE_EXCEL:
        raise WriteRefused(f"{path.suffix} 形式のファイルには書き戻せません。",
                           "書き戻すには .xlsx 形式で保存し直してください（閲覧はこのままできます）。")
    owner = path.with_name("~$" + path.name)
    if owner.exists():
        raise WriteRefused(f"ファイルがほかのパソコンの Excel で開かれています（{owner.name}）。",
                           "Excel を閉じてから、もう一度保存してください。入力した内容は画面に残っています。")
    if path.exists() and not path.stat().st_mode & 0o222:
        raise WriteRefused("ファイルが読み取り専用になっているため保存できません。",
                           "エクスプローラーでファイルのプロパティを開き「読み取り専用」を外してから、もう一度保存してください。"
                           "入力した内容は画面に残っています。")
    for attempt in range(1, EXCEL_RETRIES + 1):
        try:
            return _write_excel_once(config, snapshot, plan, path)
        except _FileMoved:
            if attempt == EXCEL_RETRIES:
                raise WriteRefused("保存の途中で、ほかの人がファイルを保存しました。",
                                   "「最新の情報に更新」を押して、もう一度保存してください。") from None
    raise AssertionError("unreachable")


class _FileMoved(Exception):
    """The file changed between this save's read and its swap: read again and redo."""


def _write_excel_once(config: SourceConfig, snapshot: Snapshot, plan, path: Path) -> WriteResult:
    import shutil
    import uuid

    try:
        with open(path, "r+b") as handle:
            data = handle.read()
    except PermissionError:
        raise WriteRefused("ファイルが使用中のため書き込めません。",
                           "Excel などで開いていないか確かめ、閉じてからもう一度保存してください。") from None
    except FileNotFoundError:
        raise SourceNotFound(f"ファイルが見つかりません: {path}") from None
    titles = snapshot.workbook.titles    # the conflict check sees exactly the bytes written from:
    base = _file_hash(data)
    same, appended = set(), {}
    if snapshot.digest is not None and snapshot.digest == base:
        raw = None                       # nobody saved since the snapshot: it is the re-read
    else:
        # (a sheet whose part is as the snapshot read it is not read nor converted again; of one
        # that another process only appended to, only those rows are, and its headings are the
        # snapshot's)
        parts = excel_part_keys(data)
        same = snapshot.unchanged(parts)
        needed = set(_check_titles(plan, titles)) | {titles.get(t, t) for t in _tabs_of(plan)}
        appended = _appended_since(snapshot, data, parts, needed - same)
        raw = read_excel(path, data, only=needed, skip=same, later=set(appended), digest=base)
    layout = _layout(plan, snapshot, raw, same, appended)
    cells = _cells_to_write(plan, layout, for_sheets=False)
    appends = _appended_rows(plan, layout, for_sheets=False)
    in_place: set[str] = set()
    try:
        new_data, written, appended = xlsx_cells.apply(data, xlsx_cells.Edits(cells, appends, layout.new_tabs), in_place)
    except xlsx_cells.PackageError as e:
        raise WriteRefused(f"Excel ファイルの中身を読み取れないため保存できません（{e}）。",
                           "Excel で開いて .xlsx 形式で保存し直してから、もう一度保存してください。") from None
    backups = backup_folder(path, config.backup_dir)
    temp = path.with_name(f"{TEMP_PREFIX}{uuid.uuid4().hex}{path.suffix}")
    try:
        temp.write_bytes(new_data)
        with open(path, "rb") as handle:
            if handle.read() != data:
                raise _FileMoved()
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        shutil.copy2(path, backups / f"{path.stem}_{stamp}{path.suffix}")
        for old in sorted(backups.glob(f"{path.stem}_*{path.suffix}"))[:-BACKUP_KEEP]:
            old.unlink()
        _replace_keeping_access(temp, path)
    except PermissionError:
        raise WriteRefused("ファイルが使用中のため書き込めません。", "Excel を閉じてから、もう一度保存してください。") from None
    finally:
        temp.unlink(missing_ok=True)
    result = _result(plan, layout, written, appended)
    result.digests = (base, _file_hash(new_data))
    # (rows that went into formatted rows of a sheet take their styles: only a read can tell)
    result.written = _written_by_sheet(cells, appends, appended, xlsx_cells.as_read,
                                       unsure={t for t, _ in appends} - in_place)
    return result


def _written_by_sheet(cells, appends, appended, as_read, unsure=frozenset()) -> dict[str, Written]:
    """What a save wrote into each sheet as a read gives it back (`as_read` of each value sent):
    its cells and its new rows at the rows they went to; a sheet in `unsure` is left out (read)."""
    rows_of = dict(appends)
    out = {}
    for title in ({t for t, *_ in cells} | set(rows_of)) - set(unsure):
        numbers = [n for t, n in appended if t == title]
        out[title] = Written({(row, col): as_read(value) for t, row, col, value in cells if t == title},
                             [(n, [as_read(v) for v in values]) for n, values in zip(numbers, rows_of.get(title, []))])
    return out


def _result(plan, layout: _Layout, written: int, appended: list[tuple[str, int]]) -> WriteResult:
    by_title = {title: tab for tab, title in layout.titles.items()}
    rows = [(c.tab, layout.rows[(c.tab, c.key)]) for c in plan.changes]
    rows += [(by_title.get(title, title), n) for title, n in appended]
    return WriteResult(written, list(dict.fromkeys(rows)), list(layout.new_tabs),
                       [(by_title.get(t, t), name) for t, _, name in layout.new_headers if by_title.get(t, t) not in layout.new_tabs])


# Windows keeps who may open a file in its ACL, which a replacing file would not carry over: there
# the saved bytes are written into the original file itself (after its backup was made).
WRITE_IN_PLACE = os.name == "nt"


def _replace_keeping_access(temp: Path, path: Path) -> None:
    """Put the saved workbook in place of the original so that who may read it stays as it was
    (a 0600 workbook stays 0600, its owner stays its owner)."""
    if WRITE_IN_PLACE:
        with open(path, "r+b") as handle:
            handle.write(temp.read_bytes())
            handle.truncate()
        return
    before = path.stat()
    os.chmod(temp, before.st_mode & 0o7777)
    try:
        os.chown(temp, before.st_uid, before.st_gid)
    except (OSError, AttributeError):          # not allowed to give it away: the mode still holds
        pass
    os.replace(temp, path)


def backup_path(path: Path, configured: str | None) -> Path:
    """Where backups of this workbook go (not created)."""
    return Path(configured) if configured else Path(path).parent / BACKUP_DIR_NAME


def backup_folder(path: Path, configured: str | None) -> Path:
    """Where backups go (made if missing): the backup_dir setting, else a folder beside the workbook.
    A setting that names a file, or a folder that cannot be made, refuses the save in Japanese."""
    folder = backup_path(path, configured)
    try:
        if not folder.exists():              # copies of the whole workbook: the app's account only
            folder.mkdir(parents=True, mode=0o700)
            os.chmod(folder, 0o700)
    except (FileExistsError, NotADirectoryError):
        pass                                 # a file stands in the way: refused just below
    except OSError as e:
        raise WriteRefused(f"バックアップの置き場所を作れません（{folder}: {type(e).__name__}）。保存していません。",
                           "設定 TSUNAGU_BACKUP_DIR のフォルダと、書き込む権限を確かめてください。") from None
    if not folder.is_dir():
        raise WriteRefused(f"バックアップの置き場所がフォルダではありません（{folder}）。保存していません。",
                           "設定 TSUNAGU_BACKUP_DIR にはフォルダを指定してください。")
    return folder


def clean_leftovers(path: Path, older_than_seconds: float = LEFTOVER_AGE_SECONDS) -> list[Path]:
    """Remove temp files a killed save left beside the workbook (.~tsunagu-*); returns those removed."""
    import time
    removed = []
    try:
        candidates = list(Path(path).parent.glob(f"{TEMP_PREFIX}*"))
    except OSError:
        return removed
    for leftover in candidates:
        try:
            if time.time() - leftover.stat().st_mtime >= older_than_seconds:
                leftover.unlink()
                removed.append(leftover)
        except OSError:
            continue
    return removed


def _a1(title: str, row: int, col: int) -> str:
    """'世帯'!G5 for a 1-based row and a 0-based column index."""
    letters, n = "", col + 1
    while n:
        n, r = divmod(n - 1, 26)
        letters = chr(65 + r) + letters
    return f"{_quote(title)}!{letters}{row}"


# Lists a person may upload to 取り込み, and how big one may be:
UPLOAD_TYPES = ("xlsx", "xlsm", "xls", "ods", "csv")
UPLOAD_MAX_BYTES = 20 * 1024 * 1024


def read_upload(name: str, data: bytes) -> dict[str, list[list]]:
    """An uploaded list as sheet title → rows of raw cell values (a CSV is one sheet, read as
    UTF-8 with or without BOM, else Shift_JIS). The bytes are only read, never written back.
    Raises SourceError in Japanese for a file that is not such a list."""
    import csv
    suffix = Path(name).suffix.lower().lstrip(".")
    if suffix not in UPLOAD_TYPES:
        raise SourceError(f"「{name}」は取り込めない種類のファイルです。",
                           "Excel（.xlsx .xls）・LibreOffice（.ods）・CSV の一覧を選んでください。")
    if len(data) > UPLOAD_MAX_BYTES:
        raise SourceError(f"「{name}」は大きすぎます（{len(data) // 1024 // 1024} MB）。",
                           f"{UPLOAD_MAX_BYTES // 1024 // 1024} MB までにしてください（いくつかに分けられます）。")
    if suffix != "csv":
        raw = read_excel(Path(name), data)
        return {title: raw[title] for title in raw}
    for encoding in ("utf-8-sig", "cp932"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise SourceError(f"「{name}」の文字を読めません。", "CSV は UTF-8 か Shift_JIS で保存してください。")
    if "\x00" in text:
        raise SourceError(f"「{name}」は CSV ではないようです。", "Excel で開いて「CSV」として保存し直してください。")
    import io
    rows = [[cell if cell.strip() else None for cell in row] for row in csv.reader(io.StringIO(text, newline=""))]
    return {Path(name).stem: rows}


def _write_refusal(error: Exception, config: SourceConfig, undone: str, again: str) -> SourceError:
    """A write to Google Sheets that did not go through, said in Japanese (`undone`: what that
    means for the person, `again`: what to do once fixed)."""
    from gspread.exceptions import APIError
    if not isinstance(error, APIError):
        return SourceUnavailable(f"Google スプレッドシートに接続できません（{type(error).__name__}）。{undone}",
                                 f"接続を確かめて、{again}")
    status = error.response.status_code
    if status in (401, 403):
        email = (config.service_account or {}).get("client_email", "サービスアカウント")
        return WriteRefused(f"スプレッドシートに書き込む権限がありません（{status}）。{undone}",
                            f"スプレッドシートの「共有」で {email} を「編集者」にしてください。")
    return _sheets_error(status, config)


def sheets_batch_update(config: SourceConfig, requests, client=None) -> dict[str, int]:
    """One spreadsheets.batchUpdate (all or nothing, as Google applies it) on the configured
    spreadsheet, after reading its tabs' sheetIds; `requests` is called with title → sheetId and
    returns the requests to send. Returns that title → sheetId. Refusals in Japanese."""
    import requests as http_requests
    from gspread.exceptions import APIError
    if config.kind != "sheets":
        raise WriteRefused("Google スプレッドシートにつないでいないため、できません。", "Excel ではアプリが保存のときに足ります。")
    client = client or sheets_client(config)
    http = client.http_client
    try:
        metadata = http.fetch_sheet_metadata(config.location, params={"fields": "sheets.properties(title,sheetId)"})
        ids = {s["properties"]["title"]: s["properties"]["sheetId"] for s in metadata.get("sheets", [])}
        body = requests(ids)
        if body:
            http.batch_update(config.location, {"requests": body})
        return ids
    except APIError as e:
        if e.response.status_code == 400:
            raise WriteRefused("スプレッドシートが変更を受け付けませんでした（400）。何も変えていません。",
                               "「最新の情報に更新」を押してから、もう一度お試しください（だれかが同じ名前のタブを作ったかもしれません）。") from None
        raise _write_refusal(e, config, "何も変えていません。", "もう一度お試しください。") from None
    except (http_requests.ConnectionError, http_requests.Timeout) as e:
        raise _write_refusal(e, config, "何も変えていません。", "もう一度お試しください。") from None


_UPDATED_ROWS = re.compile(r"!\$?[A-Z]+\$?(\d+)(?::\$?[A-Z]+\$?(\d+))?$")


def _write_sheets(config: SourceConfig, snapshot: Snapshot, plan, client=None) -> WriteResult:
    """Re-read the touched tabs (one batchGet), then one values batchUpdate (RAW) for the cells
    and one append per tab (RAW, rows inserted after the table so nothing is overwritten). A tab
    the sheet lacks is added first (one spreadsheet batchUpdate)."""
    import requests
    from gspread.exceptions import APIError

    client = client or sheets_client(config)
    http = client.http_client
    titles = snapshot.workbook.titles
    checked = _check_titles(plan, titles)
    headers_only = sorted({titles[t] for t in _tabs_of(plan) if t in titles} - set(checked))
    touched = checked + headers_only         # one batchGet: the rows checked, and the header of tabs appended to
    try:
        answer = http.values_batch_get(config.location, [_quote(t) for t in checked] + [f"{_quote(t)}!1:1" for t in headers_only],
                                       params={"valueRenderOption": "UNFORMATTED_VALUE", "dateTimeRenderOption": "SERIAL_NUMBER"})
        raw = {t: block.get("values", []) for t, block in zip(touched, answer.get("valueRanges", []))}
        # (a sheet whose values are as the snapshot read them is not converted again)
        same = snapshot.unchanged(_SheetsTabs({t: raw[t] for t in checked}).keys_of_content())
        layout = _layout(plan, snapshot, raw, same)
        cells = _cells_to_write(plan, layout, for_sheets=True)
        appends = _appended_rows(plan, layout, for_sheets=True)
        if layout.new_tabs:
            http.batch_update(config.location, {"requests": [
                {"addSheet": {"properties": {"title": t}}} for t in layout.new_tabs]})
        if cells:
            http.values_batch_update(config.location, {
                "valueInputOption": "RAW",
                "data": [{"range": _a1(title, row, col), "values": [[value]]} for title, row, col, value in cells]})
        appended = []
        for title, rows in appends:
            answer = http.values_append(config.location, f"{_quote(title)}!A1",
                                        params={"valueInputOption": "RAW", "insertDataOption": "INSERT_ROWS"},
                                        body={"values": rows})
            m = _UPDATED_ROWS.search((answer or {}).get("updates", {}).get("updatedRange", ""))
            first = int(m.group(1)) if m else 0
            appended += [(title, first + i if first else 0) for i in range(len(rows))]
    except (APIError, requests.ConnectionError, requests.Timeout) as e:
        raise _write_refusal(e, config, "保存していません。", "もう一度保存してください。") from None
    written = len(cells) + sum(1 for _, rows in appends for row in rows for v in row if v != "")
    result = _result(plan, layout, written, appended)
    if all(n for _, n in appended):              # every new row's place is known (RAW: read back as sent)
        result.base = snapshot.read_at
        result.written = _written_by_sheet(cells, appends, appended, lambda value: value)
        after = {t: _rows_after(raw[t], result.written[t]) for t in checked if t in result.written}
        result.keys = _SheetsTabs({t: rows for t, rows in after.items() if rows is not None}).keys_of_content()
        if snapshot.modified not in (None, DRIVE_REFUSED):
            asked = sheets_modified(config, client)
            result.modified = asked if asked != DRIVE_REFUSED else None
    return result


def _rows_after(rows: list, written: Written) -> list | None:
    """A Google Sheets tab's rows (as a values batchGet gives them) after a save wrote `written`
    into them, as a read would give them back (RAW: values as sent; a row without its blank cells
    at the end); None when its new rows did not go right below them."""
    def trimmed(row: list) -> list:
        end = len(row)
        while end and row[end - 1] in ("", None):
            end -= 1
        return row[:end]

    rows = list(rows)
    for (n, col), value in written.cells.items():
        if n > len(rows):
            return None
        row = list(rows[n - 1]) + [""] * max(0, col + 1 - len(rows[n - 1]))
        row[col] = value
        rows[n - 1] = trimmed(row)
    for n, values in written.rows:
        if n != len(rows) + 1:
            return None
        rows.append(trimmed(list(values)))
    return rows
