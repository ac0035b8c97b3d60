"""The workbook's one door: `load` (read and validate, converting again only what changed) and
`write` (carry out a write plan, checked against what its person saw), for an Excel file
(lib.workbook.excel) or a Google spreadsheet (lib.workbook.sheets). Where the workbook is and what
a read or a save gives: lib.workbook.source; uploaded lists: lib.workbook.uploads. The rest of the
app imports its names from here."""
from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

from lib.workbook import schema
from lib.workbook.excel import (_appended_since, _file_hash, _read_file, _write_excel, backup_path, clean_leftovers,
                                excel_part_keys, read_excel)
from lib.workbook.sheets import (DRIVE_REFUSED, RETRY_TRIES, _SheetsAfterSave, _sent_to_sheets, _write_sheets,
                                 read_sheets, sheets_batch_update, sheets_client, sheets_modified)
from lib.workbook.source import (EXCEL_SUFFIXES, Snapshot, SourceConfig, SourceConfigError, SourceError,
                                 SourceForbidden, SourceNotFound, SourceUnavailable, WriteConflict, WriteRefused,
                                 WriteResult, resolve, secrets_from_files, sheets_key)
from lib.workbook.uploads import UPLOAD_MAX_BYTES, UPLOAD_TYPES, read_upload
from lib.workbook.validate import RawWorkbook, Written, validate

# What the rest of the app (and the tests) take from here; each room's own constants stay in it
# (a test that changes one patches that room: sheets.RETRY_BASE_DELAY, excel.BACKUP_KEEP):
__all__ = ["DRIVE_REFUSED", "EXCEL_SUFFIXES", "RETRY_TRIES", "Snapshot", "SourceConfig", "SourceConfigError",
           "SourceError", "SourceForbidden", "SourceNotFound", "SourceUnavailable", "UPLOAD_MAX_BYTES",
           "UPLOAD_TYPES", "WriteConflict", "WriteRefused", "WriteResult", "_appended_since", "_file_hash",
           "backup_path", "clean_leftovers", "excel_part_keys", "load", "read_excel", "read_raw", "read_sheets",
           "read_upload", "resolve", "secrets_from_files", "sheets_batch_update", "sheets_client", "sheets_key",
           "write"]

def read_raw(config: SourceConfig, data: bytes | None = None) -> tuple[RawWorkbook, int]:
    """Raw cells from the configured backend, plus the HTTP requests it took (0 for files);
    `data`: the Excel file's bytes when already read."""
    if config.kind == "excel":
        return read_excel(config.location, data), 0
    return read_sheets(config)


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
