"""A local fake of the Google Sheets v4 endpoints gspread 6 calls, serving workbooks from memory.

Implements spreadsheet metadata, values get/batchGet, values update (PUT), values:batchUpdate
and values:append, and the spreadsheet batchUpdate (addSheet, updateCells, setDataValidation; all
or nothing); counts every request; can inject 429/500 responses and delays. Used by the
tests and the benchmark through real gspread over HTTP, and runnable by hand:

    python -m tests.fake_sheets --port 8765 sample_data/midori_town.xlsx
    TSUNAGU_SHEETS_API_ROOT=http://127.0.0.1:8765 TSUNAGU_WORKBOOK=demo-town-000000000000000000 streamlit run app.py
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

SERIAL_EPOCH = dt.date(1899, 12, 30)
_A1 = re.compile(r"^([A-Z]+)?(\d+)?$")


def to_sheets_value(value):
    """A cell as Sheets' UNFORMATTED_VALUE/SERIAL_NUMBER would return it."""
    if isinstance(value, dt.datetime):
        delta = value - dt.datetime(1899, 12, 30)
        return delta.days + delta.seconds / 86400
    if isinstance(value, dt.date):
        return (value - SERIAL_EPOCH).days
    if isinstance(value, dt.time):
        return (value.hour * 60 + value.minute) / 1440
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return "" if value is None else value


def to_sheets_rows(rows):
    """Rows with Sheets' trimming: no trailing empty cells, no trailing empty rows."""
    out = []
    for row in rows:
        cells = [to_sheets_value(v) for v in row]
        while cells and cells[-1] == "":
            cells.pop()
        out.append(cells)
    while out and not out[-1]:
        out.pop()
    return out


def column_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def column_letters(n: int) -> str:
    s = ""
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


def split_range(a1: str) -> tuple[str, tuple[int, int] | None, tuple[int | None, int | None] | None]:
    """'世帯'!B3:C4 → ('世帯', (3, 2), (4, 3)); a bare title → (title, None, None). Rows/cols 1-based."""
    if "!" in a1:
        title, cells = a1.rsplit("!", 1)
    else:
        title, cells = a1, ""
    if title.startswith("'") and title.endswith("'"):
        title = title[1:-1].replace("''", "'")
    if not cells:
        return title, None, None
    first, _, last = cells.partition(":")

    def point(text):
        m = _A1.match(text)
        if not m:
            raise ValueError(text)
        col = column_number(m.group(1)) if m.group(1) else None
        row = int(m.group(2)) if m.group(2) else None
        return row, col

    r1, c1 = point(first)
    r2, c2 = point(last) if last else (r1, c1)
    return title, (r1 or 1, c1 or 1), (r2, c2)


@dataclass
class Recorded:
    method: str
    path: str
    query: dict
    body: object


class FakeSheets:
    """The fake server: `start()` returns its root URL (use as TSUNAGU_SHEETS_API_ROOT)."""

    def __init__(self, workbooks: dict[str, dict[str, list[list]]] | None = None, watch_books: bool = True):
        self.books: dict[str, dict[str, list[list]]] = {}
        for key, raw in (workbooks or {}).items():
            self.put(key, raw)
        self.requests: list[Recorded] = []      # the Sheets API's (the Drive API's: drive_requests)
        self.drive_requests: list[Recorded] = []
        self.failures: list[int] = []        # statuses to answer with, one per coming request
        self.always_fail: int | None = None  # answer every request with this status
        self.delay = 0.0                     # seconds to wait before answering
        self.forbidden: set[str] = set()     # keys answered with 403
        self.sheet_ids: dict[str, dict[str, int]] = {}               # key → title → sheetId
        self.validations: dict[str, dict[str, list]] = {}            # key → title → [(range, rule)] set
        self.frozen: dict[str, dict[str, int]] = {}                   # key → title → frozen rows of added tabs
        # The Drive API (a file's modifiedTime): refused with 403 as when it is not enabled for the
        # account; the time moves whenever the content has changed since it was last asked (a change
        # through the API or one a test makes in `books`, like a person typing in the sheet)
        self.drive_refused = False
        self._modified: dict[str, tuple[str, int]] = {}               # key → (content hash, changes)
        # watch_books=False (the bench): only changes through the API move the time (no hash of the
        # whole content at each ask — the fake's own cost, not the app's)
        self.watch_books = watch_books
        self._writes: dict[str, int] = {}                             # key → changes through the API
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # ---- set-up
    def put(self, key: str, raw: dict[str, list[list]]) -> None:
        self.books[key] = {title: to_sheets_rows(rows) for title, rows in raw.items()}

    def start(self, port: int = 0) -> str:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def count(self, kind: str) -> int:
        """Requests of one kind so far: 'metadata', 'batchGet', 'get', 'update', 'batchUpdate', 'append',
        'addSheet' (a spreadsheet batchUpdate), 'drive' (a file's modifiedTime)."""
        return sum(1 for r in self.requests + self.drive_requests if _kind(r.method, r.path) == kind)

    # ---- the API
    def handle(self, method: str, path: str, query: dict, body) -> tuple[int, dict]:
        if d := re.match(r"^/drive/v3/files/([^/]+)$", path):       # (requests, failures, delay: the Sheets API's)
            with self._lock:
                self.drive_requests.append(Recorded(method, path, query, body))
            return self._drive(d.group(1), method)
        with self._lock:
            self.requests.append(Recorded(method, path, query, body))
            if self.always_fail:
                return self.always_fail, _error(self.always_fail)
            if self.failures:
                status = self.failures.pop(0)
                return status, _error(status)
        if self.delay:
            time.sleep(self.delay)
        m = re.match(r"^/v4/spreadsheets/([^/:]+)(.*)$", path)
        if not m:
            return 404, _error(404)
        key, rest = m.group(1), m.group(2)
        if key in self.forbidden:
            return 403, _error(403, "The caller does not have permission")
        book = self.books.get(key)
        if book is None:
            return 404, _error(404, "Requested entity was not found.")
        with self._lock:
            try:
                return self._route(key, book, method, rest, query, body)
            except (KeyError, ValueError) as e:
                return 400, _error(400, f"Unable to parse range: {e}")

    def _route(self, key, book, method, rest, query, body):
        if method in ("POST", "PUT"):
            self._writes[key] = self._writes.get(key, 0) + 1          # (the file's modifiedTime moves)
        if rest == "" and method == "GET":
            return 200, self._metadata(key, book)
        if rest == "/values:batchGet" and method == "GET":
            return 200, {"spreadsheetId": key,
                         "valueRanges": [self._get(book, r) for r in query.get("ranges", [])]}
        if rest == "/values:batchUpdate" and method == "POST":
            self._check_input(body.get("valueInputOption"))
            updated = [self._update(book, d["range"], d["values"]) for d in body.get("data", [])]
            return 200, {"spreadsheetId": key, "totalUpdatedCells": sum(u["updatedCells"] for u in updated),
                         "responses": updated}
        if rest == ":batchUpdate" and method == "POST":      # spreadsheet-level: addSheet, updateCells, setDataValidation
            return 200, {"spreadsheetId": key, "replies": self._batch(key, book, body.get("requests", []))}
        if m := re.match(r"^/values/(.+?)(:append)?$", rest):
            a1 = unquote(m.group(1))
            if m.group(2) and method == "POST":
                self._check_input(query.get("valueInputOption", [None])[0])
                return 200, {"spreadsheetId": key, "updates": self._append(book, a1, body["values"])}
            if method == "PUT":
                self._check_input(query.get("valueInputOption", [None])[0])
                return 200, self._update(book, a1, body["values"])
            if method == "GET":
                return 200, self._get(book, a1)
        return 404, _error(404)

    def _drive(self, key, method):
        import hashlib
        import json
        if self.drive_refused:
            return 403, _error(403, "Google Drive API has not been used in project 1 before or it is disabled.")
        if method != "GET" or key not in self.books or key in self.forbidden:
            return 404, _error(404, "File not found.")
        with self._lock:
            changes = self._writes.get(key, 0)
            if self.watch_books:
                content = hashlib.sha256(json.dumps(self.books[key], sort_keys=True, default=str).encode()).hexdigest()
                seen, typed = self._modified.get(key, (None, 0))
                if content != seen:
                    self._modified[key] = (content, typed := typed + 1)
                changes += typed
        return 200, {"modifiedTime": f"2026-11-24T{changes // 3600 % 24:02d}:{changes // 60 % 60:02d}:{changes % 60:02d}.000Z"}

    def _batch(self, key, book, requests):
        """A spreadsheet batchUpdate, all or nothing like Google's: a request that fails (a tab that
        exists, an unknown sheetId) leaves the spreadsheet as it was."""
        import copy
        ids = self.sheet_ids.setdefault(key, {title: i for i, title in enumerate(book)})
        before, before_ids = copy.deepcopy(book), dict(ids)
        replies = []
        try:
            for request in requests:
                if "addSheet" in request:
                    properties = request["addSheet"]["properties"]
                    title = properties["title"]
                    if title in book:
                        raise ValueError(f"A sheet with the name \"{title}\" already exists")
                    sheet_id = properties.get("sheetId", max(ids.values(), default=-1) + 1)
                    if sheet_id in ids.values():
                        raise ValueError(f"sheetId {sheet_id} already exists")
                    book[title], ids[title] = [], sheet_id
                    self.frozen.setdefault(key, {})[title] = properties.get("gridProperties", {}).get("frozenRowCount", 0)
                    replies.append({"addSheet": {"properties": {"sheetId": sheet_id, "title": title}}})
                elif "updateCells" in request:
                    update = request["updateCells"]
                    start = update["start"]
                    title = next(t for t, i in ids.items() if i == start["sheetId"])
                    values = [[next(iter(c.get("userEnteredValue", {"stringValue": ""}).values())) for c in row["values"]]
                              for row in update["rows"]]
                    self._update(book, f"'{title}'!{column_letters(start.get('columnIndex', 0) + 1)}"
                                       f"{start.get('rowIndex', 0) + 1}", values)
                    replies.append({})
                elif "setDataValidation" in request:
                    rule = request["setDataValidation"]
                    title = next(t for t, i in ids.items() if i == rule["range"]["sheetId"])
                    self.validations.setdefault(key, {}).setdefault(title, []).append(
                        (rule["range"], rule.get("rule")))
                    replies.append({})
                else:
                    raise ValueError(f"request not implemented by the fake: {list(request)}")
        except (KeyError, ValueError, StopIteration) as e:
            book.clear()
            book.update(before)
            ids.clear()
            ids.update(before_ids)
            raise ValueError(str(e) or "Invalid requests") from None
        return replies

    @staticmethod
    def _check_input(option):
        if option not in ("RAW", "USER_ENTERED"):
            raise ValueError(f"valueInputOption {option!r}")

    def _metadata(self, key, book):
        ids = self.sheet_ids.get(key, {})
        return {"spreadsheetId": key, "properties": {"title": f"fake {key}", "locale": "ja_JP",
                                                     "timeZone": "Asia/Tokyo"},
                "sheets": [{"properties": {"sheetId": ids.get(t, i), "title": t, "index": i, "sheetType": "GRID",
                                           "gridProperties": {"rowCount": max(1000, len(rows)),
                                                              "columnCount": 26}}}
                           for i, (t, rows) in enumerate(book.items())]}

    @staticmethod
    def _get(book, a1):
        title, start, end = split_range(a1)
        rows = book[title]
        if start is None:
            values = rows
        else:
            r2 = end[0] or len(rows)
            c2 = end[1] or 10_000
            values = [row[start[1] - 1:c2] for row in rows[start[0] - 1:r2]]
        values = to_sheets_rows(values)
        out = {"range": a1, "majorDimension": "ROWS"}
        if values:
            out["values"] = values
        return out

    @staticmethod
    def _update(book, a1, values):
        title, start, _ = split_range(a1)
        rows = book[title]
        r0, c0 = start or (1, 1)
        for i, new in enumerate(values):
            while len(rows) < r0 + i:
                rows.append([])
            row = rows[r0 + i - 1]
            while len(row) < c0 - 1 + len(new):
                row.append("")
            row[c0 - 1:c0 - 1 + len(new)] = new
        return {"updatedRange": a1, "updatedRows": len(values),
                "updatedCells": sum(len(v) for v in values)}

    @staticmethod
    def _append(book, a1, values):
        title, _, _ = split_range(a1)
        rows = book[title]
        while rows and not any(v != "" for v in rows[-1]):
            rows.pop()
        first = len(rows) + 1
        rows.extend([list(v) for v in values])
        last_col = column_letters(max((len(v) for v in values), default=1))
        return {"updatedRange": f"'{title}'!A{first}:{last_col}{first + len(values) - 1}",
                "updatedRows": len(values), "updatedCells": sum(len(v) for v in values)}


def _kind(method, path):
    if path.endswith(":batchGet"):
        return "batchGet"
    if path.endswith("/values:batchUpdate"):
        return "batchUpdate"
    if path.endswith(":batchUpdate"):
        return "addSheet"
    if path.endswith(":append"):
        return "append"
    if "/values/" in path:
        return "update" if method == "PUT" else "get"
    if path.startswith("/drive/"):
        return "drive"
    return "metadata"


def _error(status, message="fake error"):
    names = {400: "INVALID_ARGUMENT", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
             429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}
    return {"error": {"code": status, "message": message, "status": names.get(status, "UNKNOWN")}}


class _Handler(BaseHTTPRequestHandler):
    fake: FakeSheets

    def _serve(self, method):
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"null") if length else None
        status, answer = self.fake.handle(method, unquote(parts.path), parse_qs(parts.query), body)
        data = json.dumps(answer, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self._serve("GET")

    def do_POST(self):
        self._serve("POST")

    def do_PUT(self):
        self._serve("PUT")

    def log_message(self, *args):
        pass


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="Fake Google Sheets API serving an Excel workbook")
    parser.add_argument("workbook", help="Excel file to serve")
    parser.add_argument("--key", default="demo-town-000000000000000000", help="spreadsheet key to serve it under")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args(argv)
    from lib.workbook.sources import read_excel

    fake = FakeSheets({args.key: read_excel(args.workbook)})
    print(f"serving {args.workbook} as {args.key} at {fake.start(args.port)}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        fake.stop()


if __name__ == "__main__":
    main()
