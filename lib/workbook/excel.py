"""The Excel file: reading it (python-calamine, tabs in threads, only the tabs that changed), the
lossless save (only its own cells inside the package, lib.workbook.xlsx_cells), the backups before
each save, and the leftovers of a save that was killed."""
from __future__ import annotations

import datetime as dt
import os
import re
import threading
from pathlib import Path
from typing import Mapping

from lib.workbook import xlsx_cells
from lib.workbook.layout import _appended_rows, _cells_to_write, _check_titles, _layout, _result, _tabs_of, _written_by_sheet
from lib.workbook.source import (EXCEL_SUFFIXES, SourceConfig, SourceError, SourceNotFound, Snapshot, WriteRefused,
                                 WriteResult)
from lib.workbook.validate import RawWorkbook, Written

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


def _appended_since(snapshot: Snapshot, data: bytes, parts: dict[str, tuple], titles) -> dict[str, Written]:
    """Of the sheets `titles`, the ones that only had rows appended since `snapshot` was read from
    the Excel file that is now `data` (whose part keys are `parts`), with those rows: only a
    sheet whose own part changed (not the styles or shared strings every sheet reads) is looked at."""
    if snapshot.package is None:
        return {}
    return _rows_appended(snapshot.package, data, {
        t: parts[t][0] for t in titles if t in parts and (before := snapshot.parts.get(t)) is not None
        and before[0] == parts[t][0] and before[2] == parts[t][2]}, {key[0] for key in parts.values()})


def _read_file(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None                          # read_excel says what is wrong, in Japanese


# Backups of the Excel file kept before each write (oldest removed first):
BACKUP_KEEP = 20
BACKUP_DIR_NAME = "つなぐボード_バックアップ"
# A save writes the new file beside the workbook under this prefix, then swaps it in:
TEMP_PREFIX = ".~tsunagu-"
# Leftover temp files older than this are a killed save's, removed at the next start:
LEFTOVER_AGE_SECONDS = 60
WRITABLE_EXCEL = (".xlsx", ".xlsm")


# An Excel save that finds the file changed under it starts again from a fresh read this often:
EXCEL_RETRIES = 3


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
