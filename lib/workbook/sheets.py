"""Google Sheets (gspread 6): the client with its timeout and bounded retries, the whole read in one
values batchGet, the small Drive request for when the spreadsheet last changed, the read right
after this process's own save, the save (one batchGet to check, one values batchUpdate, one
append per tab) and spreadsheet batchUpdates, and what a refusal tells staff."""
from __future__ import annotations

import random
import re
import threading
import time
from typing import Mapping

from lib.workbook import schema
from lib.workbook.layout import _appended_rows, _cells_to_write, _check_titles, _layout, _result, _tabs_of, _written_by_sheet
from lib.workbook.source import (SourceConfig, SourceConfigError, SourceError, SourceForbidden, SourceNotFound,
                                 SourceUnavailable, Snapshot, WriteRefused, WriteResult)
from lib.workbook.validate import RawWorkbook, Written

GOOGLE_SHEETS_ROOT = "https://sheets.googleapis.com"
GOOGLE_DRIVE_ROOT = "https://www.googleapis.com"
# The spreadsheet's values, and its file's metadata only (when it last changed: a refresh of a sheet
# nobody touched is then one small request):
SCOPES = ("https://www.googleapis.com/auth/spreadsheets", "https://www.googleapis.com/auth/drive.metadata.readonly")
# Snapshot.modified when the Drive API is not enabled for the account (every refresh reads the values):
DRIVE_REFUSED = "refused"

# Connect and read timeouts for every Sheets request, in seconds:
REQUEST_TIMEOUT = (5, 30)
# A failed Sheets request (429, 5xx, network) is tried this many times in all:
RETRY_TRIES = 4
# First wait between tries; it doubles each time (with jitter) up to RETRY_MAX_DELAY seconds:
RETRY_BASE_DELAY = 0.5
RETRY_MAX_DELAY = 8.0
RETRY_STATUS = (429, 500, 502, 503, 504)


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


def _a1(title: str, row: int, col: int) -> str:
    """'世帯'!G5 for a 1-based row and a 0-based column index."""
    letters, n = "", col + 1
    while n:
        n, r = divmod(n - 1, 26)
        letters = chr(65 + r) + letters
    return f"{_quote(title)}!{letters}{row}"


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
