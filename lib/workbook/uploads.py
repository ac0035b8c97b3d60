"""Files a person uploads to 取り込み: an Excel workbook or a CSV, as sheet title → rows of raw cell
values (never written anywhere; lib.casework.imports reads them)."""
from __future__ import annotations

from pathlib import Path

from lib.workbook.excel import read_excel
from lib.workbook.source import SourceError

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
