"""Sources: choosing the workbook, reading Excel, and the Google Sheets path through real gspread
over HTTP against the local fake Sheets API (no mock of our own functions)."""
import datetime as dt
import json
import shutil

import pandas as pd

import pytest

from lib.workbook import sheets, sources
from tests.conftest import SAMPLE, SHEET_KEY
from tests.fake_sheets import FakeSheets

URL = f"https://docs.google.com/spreadsheets/d/{SHEET_KEY}/edit#gid=0"
ACCOUNT = {"type": "service_account", "client_email": "board@town.iam.gserviceaccount.com"}


@pytest.mark.parametrize("env, secrets, expected", [
    ({}, {}, ("excel", str(SAMPLE), True)),
    ({"TSUNAGU_WORKBOOK": r"\\fileserver\福祉課\支援.xlsx"}, {}, ("excel", r"\\fileserver\福祉課\支援.xlsx", False)),
    ({"TSUNAGU_WORKBOOK": "/mnt/share/town.xlsx"}, {}, ("excel", "/mnt/share/town.xlsx", False)),
    ({}, {"tsunagu": {"workbook": "/srv/town.xlsx"}}, ("excel", "/srv/town.xlsx", False)),
    ({"TSUNAGU_WORKBOOK": "/a.xlsx"}, {"tsunagu": {"workbook": "/b.xlsx"}}, ("excel", "/a.xlsx", False)),
    ({"TSUNAGU_WORKBOOK": URL}, {"gcp_service_account": ACCOUNT}, ("sheets", SHEET_KEY, False)),
    ({"TSUNAGU_WORKBOOK": SHEET_KEY}, {"gcp_service_account": ACCOUNT}, ("sheets", SHEET_KEY, False)),
    ({"TSUNAGU_WORKBOOK": URL, "TSUNAGU_SHEETS_API_ROOT": "http://127.0.0.1:8765"}, {},
     ("sheets", SHEET_KEY, False)),
    ({"TSUNAGU_WORKBOOK": URL, "TSUNAGU_SHEETS_API_ROOT": "http://localhost:9/"}, {},
     ("sheets", SHEET_KEY, False)),
])
def test_source_is_chosen_by_env_then_secrets_then_sample(env, secrets, expected):
    config = sources.resolve(env, secrets)
    assert (config.kind, config.location, config.is_sample) == expected


def test_sheets_without_a_service_account_off_loopback_is_a_config_error():
    with pytest.raises(sources.SourceConfigError, match="サービスアカウント"):
        sources.resolve({"TSUNAGU_WORKBOOK": URL, "TSUNAGU_SHEETS_API_ROOT": "http://10.0.0.5:8765"}, {})
    with pytest.raises(sources.SourceConfigError):
        sources.resolve({"TSUNAGU_WORKBOOK": URL}, {})


def test_service_account_file_from_env(tmp_path):
    key = tmp_path / "key.json"
    key.write_text(json.dumps(ACCOUNT))
    config = sources.resolve({"TSUNAGU_WORKBOOK": URL, "TSUNAGU_SERVICE_ACCOUNT_FILE": str(key)}, {})
    assert config.service_account["client_email"] == ACCOUNT["client_email"]
    assert "board@" not in repr(config)


@pytest.mark.parametrize("env, ttl", [({}, 60), ({"TSUNAGU_CACHE_TTL": "300"}, 300), ({"TSUNAGU_CACHE_TTL": "0"}, 0)])
def test_cache_ttl_is_configurable(env, ttl):
    assert sources.resolve(env, {}).ttl == ttl


def test_bad_cache_ttl_is_reported():
    with pytest.raises(sources.SourceConfigError, match="秒数"):
        sources.resolve({"TSUNAGU_CACHE_TTL": "1分"}, {})


def test_missing_excel_file_says_what_to_check(tmp_path):
    with pytest.raises(sources.SourceNotFound) as e:
        sources.read_excel(tmp_path / "none.xlsx")
    assert "共有フォルダ" in e.value.advice


def test_a_file_that_is_not_a_workbook_is_a_source_error(tmp_path):
    path = tmp_path / "memo.xlsx"
    path.write_text("これは Excel ではありません")
    with pytest.raises(sources.SourceError, match="Excel ファイルとして読めません"):
        sources.read_excel(path)


def test_excel_ids_typed_as_text_keep_leading_zeros(tmp_path):
    from openpyxl import Workbook
    book = Workbook()
    sheet = book.active
    sheet.title = "世帯"
    sheet.append(["世帯ID", "表示名", "同意", "段階", "受付日"])
    sheet.append(["007", "テスト世帯", "あり", "受付", dt.date(2025, 4, 1)])
    sheet.append([8, "数字ID世帯", "あり", "受付", "R7.4.2"])
    book.save(tmp_path / "t.xlsx")
    snapshot = sources.load(sources.resolve({"TSUNAGU_WORKBOOK": str(tmp_path / "t.xlsx")}, {}))
    assert list(snapshot.workbook["世帯"]["世帯ID"]) == ["007", "8"]
    assert snapshot.requests == 0


@pytest.mark.parametrize("later", [set(), {"t0", "t5"}, {f"t{i}" for i in range(12)}])
def test_tabs_asked_for_at_once_from_many_threads_are_each_read_once(later, tmp_path, caplog):
    """Validation asks for tabs while the pool is still reading others, and a refresh and a save
    may ask for one tab at the same moment: each answer is the tab's rows, and no reader fails."""
    import threading
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for i in range(12):
        sheet = book.create_sheet(f"t{i}")
        for r in range(1000):
            sheet.append([f"t{i}", r])
    book.save(tmp_path / "t.xlsx")
    caplog.set_level("CRITICAL", logger="concurrent.futures")     # where a failing pool worker says so

    for _ in range(5):
        tabs = sources.read_excel(tmp_path / "t.xlsx", later=later)
        answers = {}

        def ask(order):
            for title in order:
                answers.setdefault(title, []).append(tabs[title])

        titles = list(tabs)
        threads = [threading.Thread(target=ask, args=(titles[::-1] if n % 2 else titles,)) for n in range(4)]
        for thread in threads:
            thread.start()
        ask(titles[::-1])
        for thread in threads + [t for t in threading.enumerate() if t.name.startswith("tsunagu-read")]:
            thread.join()
        assert [r.getMessage() for r in caplog.records] == []
        assert {title: [rows[0][0] for rows in got] for title, got in answers.items()} == \
            {f"t{i}": [f"t{i}"] * 5 for i in range(12)}
        assert all(len(rows) == 1000 for got in answers.values() for rows in got)


# ---------------------------------------------------------------- Google Sheets via the fake

def sheets_config(root, **kw):
    return sources.resolve({"TSUNAGU_WORKBOOK": URL, "TSUNAGU_SHEETS_API_ROOT": root, **kw}, {})


def test_whole_workbook_is_read_in_one_batch_get(fake_sheets, sample_raw):
    fake, root = fake_sheets
    snapshot = sources.load(sheets_config(root))
    assert (fake.count("metadata"), fake.count("batchGet"), len(fake.requests)) == (1, 1, 2)
    assert snapshot.requests == 3 and fake.count("drive") == 1           # (and when it last changed)
    batch = next(r for r in fake.requests if r.path.endswith(":batchGet"))
    assert batch.query["valueRenderOption"] == ["UNFORMATTED_VALUE"]
    assert batch.query["dateTimeRenderOption"] == ["SERIAL_NUMBER"]
    assert batch.query["ranges"] == [f"'{t}'" for t in sample_raw]
    from lib.workbook.validate import validate
    excel = validate(sample_raw)
    for tab, frame in snapshot.workbook.tables.items():
        assert frame.equals(excel[tab]), tab


def test_sheets_values_are_never_type_guessed(fake_sheets):
    fake, root = fake_sheets
    fake.put(SHEET_KEY, {"世帯": [["世帯ID", "表示名", "同意", "段階", "受付日"],
                                 ["007", "=1+1", "あり", "受付", 45748], [12, "12", "あり", "受付", "R7.4.1"]]})
    hh = sources.load(sheets_config(root)).workbook["世帯"]
    assert list(hh["世帯ID"]) == ["007", "12"]
    assert list(hh["表示名"]) == ["=1+1", "12"]
    assert list(hh["受付日"].dt.date) == [dt.date(2025, 4, 1)] * 2


def test_tabs_the_app_does_not_use_are_not_fetched(fake_sheets):
    fake, root = fake_sheets
    fake.put(SHEET_KEY, {"世帯": [["世帯ID", "表示名", "同意", "段階", "受付日"]], "作業用 'メモ'": [["x"]],
                         "経過記録": [["日付", "世帯ID"]]})
    snapshot = sources.load(sheets_config(root))
    batch = next(r for r in fake.requests if r.path.endswith(":batchGet"))
    assert batch.query["ranges"] == ["'世帯'", "'経過記録'"]
    assert [(p.tab, p.severity) for p in snapshot.workbook.problems] == [("作業用 'メモ'", "info")]


def test_a_429_then_success_recovers_with_one_retry(fake_sheets, monkeypatch):
    monkeypatch.setattr(sheets, "RETRY_BASE_DELAY", 0.01)
    fake, root = fake_sheets
    fake.failures = [429]
    snapshot = sources.load(sheets_config(root))
    assert len(snapshot.workbook["世帯"]) == 60
    assert (fake.count("metadata"), fake.count("batchGet")) == (2, 1)
    assert snapshot.requests == 4                                        # (the first: when it last changed)


def test_persistent_500_gives_up_after_bounded_tries(fake_sheets, monkeypatch):
    monkeypatch.setattr(sheets, "RETRY_BASE_DELAY", 0.01)
    fake, root = fake_sheets
    fake.always_fail = 500
    with pytest.raises(sources.SourceUnavailable, match="500"):
        sources.load(sheets_config(root))
    assert len(fake.requests) == sources.RETRY_TRIES


def test_quota_exhaustion_is_reported_as_429(fake_sheets, monkeypatch):
    monkeypatch.setattr(sheets, "RETRY_BASE_DELAY", 0.01)
    fake, root = fake_sheets
    fake.always_fail = 429
    with pytest.raises(sources.SourceUnavailable) as e:
        sources.load(sheets_config(root))
    assert "1分ほど待って" in e.value.advice


def test_not_shared_with_the_service_account_says_to_share(fake_sheets):
    fake, root = fake_sheets
    fake.forbidden.add(SHEET_KEY)
    with pytest.raises(sources.SourceForbidden) as e:
        sources.load(sheets_config(root))
    assert "共有" in e.value.advice
    assert len(fake.requests) == 1


def test_unknown_spreadsheet_is_not_found(fake_sheets):
    fake, root = fake_sheets
    config = sources.resolve({"TSUNAGU_WORKBOOK": "1" * 44, "TSUNAGU_SHEETS_API_ROOT": root}, {})
    with pytest.raises(sources.SourceNotFound, match="404"):
        sources.load(config)


def test_a_slow_server_hits_the_request_timeout(fake_sheets, monkeypatch):
    monkeypatch.setattr(sheets, "REQUEST_TIMEOUT", (1, 0.2))
    monkeypatch.setattr(sheets, "RETRY_BASE_DELAY", 0.01)
    fake, root = fake_sheets
    fake.delay = 1.0
    client = sources.sheets_client(sheets_config(root), tries=2)
    with pytest.raises(sources.SourceUnavailable, match="接続できません"):
        sources.read_sheets(sheets_config(root), client)
    assert len(fake.requests) == 2


def test_unreachable_server_is_unavailable_not_a_traceback(monkeypatch):
    monkeypatch.setattr(sheets, "RETRY_BASE_DELAY", 0.01)
    fake = FakeSheets()
    root = fake.start()
    fake.stop()   # nothing listens there any more
    with pytest.raises(sources.SourceUnavailable):
        sources.load(sheets_config(root))


def test_writes_through_gspread_reach_the_fake_as_raw_input(fake_sheets):
    """The fake implements update/append/batchUpdate as gspread sends them, RAW input kept."""
    fake, root = fake_sheets
    client = sources.sheets_client(sheets_config(root))
    sheet = client.open_by_key(SHEET_KEY).worksheet("世帯")
    sheet.update([["=SUM(A1)"]], "O2", raw=True)
    sheet.append_row(["H-999", "追加世帯", "", "", "あり", "受付", "", "", "2026/11/1"], value_input_option="RAW")
    sheet.batch_update([{"range": "H3", "values": [["担当変更"]]}], raw=True)
    rows = fake.books[SHEET_KEY]["世帯"]
    assert rows[1][14] == "=SUM(A1)"
    assert rows[-1][:2] == ["H-999", "追加世帯"]
    assert rows[2][7] == "担当変更"
    inputs = [r.query.get("valueInputOption", [None])[0] or (r.body or {}).get("valueInputOption")
              for r in fake.requests if r.method in ("PUT", "POST")]
    assert inputs == ["RAW", "RAW", "RAW"]
    assert sources.load(sheets_config(root)).workbook["世帯"]["世帯ID"].iloc[-1] == "H-999"


def test_an_unchanged_file_is_not_converted_again_and_a_changed_one_is(tmp_path):
    import shutil

    from lib.workbook import xlsx_cells
    path = tmp_path / "town.xlsx"
    shutil.copy(SAMPLE, path)
    config = sources.resolve({"TSUNAGU_WORKBOOK": str(path)}, {})
    first = sources.load(config, dt.datetime(2026, 11, 24, 9, 0))
    again = sources.load(config, dt.datetime(2026, 11, 24, 9, 5), previous=first)
    assert again.workbook is first.workbook and again.derived is first.derived   # shared work kept too
    assert again.read_at == dt.datetime(2026, 11, 24, 9, 5) and first.read_at == dt.datetime(2026, 11, 24, 9, 0)

    data, _, _ = xlsx_cells.apply(path.read_bytes(), xlsx_cells.Edits(cells=[("世帯", 2, 1, "手で直した名前")]))
    path.write_bytes(data)                                 # the 事務局 saved the file meanwhile
    changed = sources.load(config, dt.datetime(2026, 11, 24, 9, 10), previous=again)
    assert changed.workbook is not first.workbook and changed.digest != first.digest
    assert changed.workbook["世帯"]["表示名"].iloc[0] == "手で直した名前"

    path.unlink()                                          # and a file gone is still said in Japanese
    with pytest.raises(sources.SourceNotFound):
        sources.load(config, previous=changed)


# ---------------------------------------------------------------- a refresh converts only what changed

TODAY_INC = dt.date(2026, 11, 24)


def _same_workbook(a, b) -> None:
    """Two reads of the workbook are the same: every table, problem, left-out count and title."""
    assert a.titles == b.titles and a.left_out == b.left_out and a.columns == b.columns
    assert a.problems == b.problems
    for tab in a.tables:
        pd.testing.assert_frame_equal(a[tab], b[tab], check_dtype=True)


def _save(kind: str, config, snapshot):
    from lib.casework import entry
    book = snapshot.workbook
    if kind == "経過記録":
        plan = entry.contact(book, "H-004", day=TODAY_INC, method="電話", agency="地域包括支援センター",
                             staff="高野", text="電話で様子を聞いた", today=TODAY_INC)
    else:
        plan = entry.stage_move(book, "H-004", stage="見守り", day=TODAY_INC, reason="落ち着いた", by="高野",
                                today=TODAY_INC)
    sources.write(config, snapshot, plan)
    return {"経過記録": {"経過記録"}, "段階": {"世帯", "段階履歴"}}[kind]


@pytest.mark.parametrize("backend", ["excel", "sheets"])
@pytest.mark.parametrize("kind", ["経過記録", "段階"])
def test_a_refresh_after_a_save_converts_only_the_tabs_that_changed(backend, kind, tmp_path, fake_sheets):
    if backend == "excel":
        path = tmp_path / "town.xlsx"
        shutil.copy(SAMPLE, path)
        config = sources.resolve({"TSUNAGU_WORKBOOK": str(path), "TSUNAGU_BACKUP_DIR": str(tmp_path / "b")}, {})
    else:
        config = sheets_config(fake_sheets[1])
    if backend == "excel":          # a file's first save adds the date style to styles.xml (every tab reads it)
        _save("経過記録", config, sources.load(config))
    first = sources.load(config)
    changed = _save(kind, config, first)
    again = sources.load(config, previous=first)
    _same_workbook(again.workbook, sources.load(config).workbook)     # the same as a whole read
    reconverted = {t for t, kept in again.workbook.converted.items() if kept is not first.workbook.converted.get(t)}
    assert reconverted == changed
    assert "電話で様子を聞いた" in set(again.workbook["経過記録"]["内容"]) or kind != "経過記録"


def _written_plan(kind: str, book):
    from dataclasses import replace

    from lib.casework import entry
    from lib.workbook.writeplan import CellChange, NewRow, WritePlan
    if kind == "経過記録":
        return entry.contact(book, "H-004", day=TODAY_INC, method="電話", agency="地域包括支援センター",
                             staff="高野", text="電話で様子を聞いた", today=TODAY_INC)
    if kind == "rows with problems":      # a date it cannot read, a word not in the list, an unknown agency
        return WritePlan(appends=[NewRow("経過記録", {"日付": "いつか", "世帯ID": "H-004", "方法": "伝書鳩", "内容": "a"}),
                                  NewRow("経過記録", {"日付": TODAY_INC, "世帯ID": "H-004", "機関": "どこかの機関", "方法": "電話", "内容": "b"}),
                                  NewRow("経過記録", {"日付": TODAY_INC, "世帯ID": "H-004", "方法": "電話", "内容": 7})])
    if kind == "a key taken twice":      # an 機関 row whose name is already there, and a new one
        return WritePlan(appends=[NewRow("機関", {"機関名": book["機関"]["機関名"].iloc[0], "分野": "その他"}),
                                  NewRow("機関", {"機関名": "新しい機関", "分野": "その他"})])
    if kind == "a new heading":          # a column the 機関 tab lacks: its heading is written in row 1
        return WritePlan(appends=[NewRow("機関", {"機関名": "新しい機関", "種別": "その他"})])
    plan = entry.stage_move(book, "H-004", stage="見守り", day=TODAY_INC, reason="落ち着いた", by="高野", today=TODAY_INC)
    if kind == "a required cell made wrong":
        plan.changes = [replace(c, new="どこでもない段階") if c.column == "段階" else c for c in plan.changes]
    if kind == "a cell beside other problems":   # 課題 and 緊急度 already noted; 次回見直し日 now unreadable
        before = plan.expected[("世帯", "H-004")]
        plan.changes = [c for c in plan.changes if c.column != "次回見直し日"] + [
            CellChange("世帯", "H-004", "次回見直し日", before["次回見直し日"], "いつか")]
    return plan


@pytest.mark.parametrize("backend", ["excel", "sheets"])
@pytest.mark.parametrize("kind, typed, read_again", [
    ("経過記録", {"経過記録"}, set()), ("段階", {"世帯", "段階履歴"}, set()), ("rows with problems", {"経過記録"}, set()),
    ("a key taken twice", {"機関"}, set()), ("a new heading", {"機関"}, {"機関"}),
    ("a required cell made wrong", {"世帯", "段階履歴"}, {"世帯"}), ("a cell beside other problems", {"世帯", "段階履歴"}, set()),
])
def test_a_read_after_this_processs_own_save_converts_what_it_wrote_as_a_whole_read(kind, typed, read_again, backend,
                                                                                     tmp_path, fake_sheets):
    """After its own save the app does not read the sheets the save wrote into: it converts the
    cells and rows it wrote (as a read gives them back: the saved file's cells, or on Google Sheets
    the values as sent, RAW) into what it had — and gets exactly what a whole read gives, problems
    (in their order), rows left out and duplicate keys included. What only a read can tell (a
    heading written, a row that becomes unusable) is read."""
    from lib.workbook import xlsx_cells
    fake = fake_sheets[0]
    if backend == "excel":
        path = tmp_path / "town.xlsx"
        shutil.copy(SAMPLE, path)
        config = sources.resolve({"TSUNAGU_WORKBOOK": str(path), "TSUNAGU_BACKUP_DIR": str(tmp_path / "b")}, {})
        _save("経過記録", config, sources.load(config))          # the file's first save adds the date style
    else:
        config = sheets_config(fake_sheets[1])
    if kind == "a cell beside other problems":
        at, row = sources.load(config).workbook.headers["世帯"].positions, 5        # H-004
        if backend == "excel":
            path.write_bytes(xlsx_cells.apply(path.read_bytes(), xlsx_cells.Edits(cells=[
                ("世帯", row, at["課題"], "社会的孤立、謎の課題"), ("世帯", row, at["緊急度"], "超")]))[0])
        else:
            fake.books[SHEET_KEY]["世帯"][row - 1][at["課題"]] = "社会的孤立、謎の課題"
            fake.books[SHEET_KEY]["世帯"][row - 1][at["緊急度"]] = "超"
    first = sources.load(config)
    result = sources.write(config, first, _written_plan(kind, first.workbook))
    assert set(result.written) == typed
    before = len(fake.requests)
    again = sources.load(config, previous=first, written=result)
    made = len(fake.requests) - before
    _same_workbook(again.workbook, sources.load(config).workbook)
    for tab in typed:             # the rows not written are the very rows converted before: not read again
        before_rows, after = first.workbook.converted[tab][1], again.workbook.converted[tab][1]
        kept = sum(a is b for a, b in zip(after, before_rows))
        assert (kept == 0) if tab in read_again else (kept >= len(before_rows) - len(result.written[tab].cells))
    if backend == "sheets":       # a request only for a sheet read again (a heading written: everything, one)
        asked = 1 if kind == "a new heading" else 0               # (a whole read asks first when it last changed)
        assert again.requests - asked == made == (1 if kind == "a new heading" else len(read_again))
        assert (again.read_at == first.read_at) is (kind != "a new heading")   # the TTL runs from the whole read
    if kind == "rows with problems":
        assert {(p.column, p.severity) for p in again.workbook.problems if p.row and p.row > 400} >= {
            ("日付", "error"), ("方法", "error"), ("機関", "warning")}
    if kind == "a key taken twice":
        assert any("同じ機関名です" in p.message for p in again.workbook.problems)
    if kind == "a cell beside other problems":
        assert [p.column for p in again.workbook.problems if p.tab == "世帯" and p.household == "H-004"] == [
            "課題", "次回見直し日", "緊急度"]
    # Someone changed the workbook since: what the save wrote is not trusted, the sheet is read again.
    at = first.workbook.headers["経過記録"].positions
    row = [None] * (max(at.values()) + 1)
    for column, value in (("日付", TODAY_INC), ("世帯ID", "H-001"), ("方法", "電話"), ("内容", "手で足した")):
        row[at[column]] = value
    if backend == "excel":        # the file saved again after this save
        path.write_bytes(xlsx_cells.apply(path.read_bytes(), xlsx_cells.Edits(appends=[("経過記録", row)]))[0])
        later = sources.load(config, previous=first, written=result)
    else:                         # a row typed into the sheet before the save: the save's rows went below it
        fake.books[SHEET_KEY]["経過記録"].append(["" if v is None else f"{v:%Y/%m/%d}" if hasattr(v, "year") else v
                                                  for v in row])
        from lib.casework import entry
        second = sources.write(config, again, entry.contact(again.workbook, "H-001", day=TODAY_INC, method="電話",
                                                            agency=None, staff="高野", text="b", today=TODAY_INC))
        later = sources.load(config, previous=again, written=second)
    _same_workbook(later.workbook, sources.load(config).workbook)
    assert "手で足した" in set(later.workbook["経過記録"]["内容"])


@pytest.mark.parametrize("kind, appended, whole", [
    ("経過記録", {"経過記録"}, set()), ("段階", {"段階履歴"}, {"世帯"}), ("rows with problems", {"経過記録"}, set()),
    ("a key taken twice", {"機関"}, set()), ("a new heading", set(), {"機関"}),
    ("a row from its second column", {"経過記録"}, set()), ("an old cell edited and a row added", set(), {"経過記録"}),
    ("rows of two tabs", {"経過記録", "機関"}, set()), ("経過記録 of a file with shared strings", {"経過記録"}, set()),
])
def test_an_excel_refresh_after_another_processs_save_converts_only_the_rows_it_appended(kind, appended, whole,
                                                                                       tmp_path):
    """Another server process saved into the file (the rows appended below, every other byte of
    the sheet as it was): this process's refresh converts only those rows, read from the saved
    file by the same reader, and gets exactly what a whole read gives — problems, duplicate keys,
    a row starting in its second column. A sheet changed in any other way is read whole."""
    from lib.workbook import xlsx_cells
    from lib.workbook.writeplan import NewRow, WritePlan
    path = tmp_path / "town.xlsx"
    shutil.copy(SAMPLE, path)
    if kind.endswith("shared strings"):                       # as Excel writes text: in sharedStrings.xml
        import openpyxl
        openpyxl.load_workbook(path).save(path)
    config = sources.resolve({"TSUNAGU_WORKBOOK": str(path), "TSUNAGU_BACKUP_DIR": str(tmp_path / "b")}, {})
    _save("経過記録", config, sources.load(config))          # the file's first save adds the date style
    first = sources.load(config)                              # this process's last read
    other = sources.load(config)                              # the other process's
    if kind == "a row from its second column":
        plan = WritePlan(appends=[NewRow("経過記録", {"世帯ID": "H-004", "方法": "電話", "内容": "日付なし"})])
    elif kind == "rows of two tabs":
        plan = WritePlan(appends=[NewRow("経過記録", {"日付": TODAY_INC, "世帯ID": "H-004", "方法": "電話", "内容": "a"}),
                                  NewRow("機関", {"機関名": "新しい機関", "分野": "その他"})])
    elif kind == "an old cell edited and a row added":
        at = first.workbook.headers["経過記録"].positions
        path.write_bytes(xlsx_cells.apply(path.read_bytes(), xlsx_cells.Edits(cells=[("経過記録", 2, at["内容"], "直した")]))[0])
        other = sources.load(config)
        plan = _written_plan("経過記録", other.workbook)
    else:
        plan = _written_plan(kind.removesuffix(" of a file with shared strings"), other.workbook)
    sources.write(config, other, plan)
    again = sources.load(config, previous=first)
    _same_workbook(again.workbook, sources.load(config).workbook)
    for tab in {t for t, kept in again.workbook.converted.items() if kept is not first.workbook.converted.get(t)}:
        before, after = first.workbook.converted[tab][1], again.workbook.converted[tab][1]
        kept = sum(a is b for a, b in zip(after, before))
        assert tab in appended | whole
        assert kept == (len(before) if tab in appended else 0), tab
    if kind == "a row from its second column":
        assert "日付なし" not in set(again.workbook["経過記録"]["内容"])       # 日付 is required: left out, said
        said = [(p.column, p.household) for p in again.workbook.problems if "必須の「日付」が空" in p.message]
        assert ("日付", "H-004") in said and not any("必須の「日付」が空" in p.message for p in first.workbook.problems)


@pytest.mark.parametrize("other, mine, refused", [
    ("intake", "段階", None),                   # 世帯 and 同意記録 only grew: my row is where it was
    ("intake", "intake", "TAKEN"),               # the other took the 世帯ID my intake was about to use
    ("段階", "段階", "changed"),                  # the other changed the very 世帯 row: refused, said
    ("経過記録", "段階", None),                  # a tab my save does not check
])
def test_an_excel_save_after_another_processs_save_checks_what_is_there_now(other, mine, refused, tmp_path):
    """Two server processes on one file: the other saved after this one's read. This save's check
    converts only the rows the other appended to the sheets it checks (a sheet changed otherwise is
    read whole), and it writes exactly what it writes after a whole read — or refuses, saying what
    changed."""
    import dataclasses

    from lib.casework import entry
    from tests.test_entry import intake_form
    path = tmp_path / "town.xlsx"
    shutil.copy(SAMPLE, path)
    config = sources.resolve({"TSUNAGU_WORKBOOK": str(path), "TSUNAGU_BACKUP_DIR": str(tmp_path / "b")}, {})
    _save("経過記録", config, sources.load(config))          # the file's first save adds the date style
    mine_read, others_read = sources.load(config), sources.load(config)

    def plan(kind, book):
        if kind == "intake":
            return entry.intake(book, intake_form(), taken=set(book["世帯"]["世帯ID"]), today=TODAY_INC, by="高野")[0]
        return _written_plan(kind, book)

    assert mine_read.package == path.read_bytes()          # the file as this process read it
    sources.write(config, others_read, plan(other, others_read.workbook))
    after = path.read_bytes()
    appended = sources._appended_since(mine_read, after, sources.excel_part_keys(after), ["世帯", "同意記録"])
    assert set(appended) == ({"世帯", "同意記録"} if other == "intake" else set())
    results = []
    for whole in (False, True):           # this process's read as it is, and as if it kept no package
        path.write_bytes(after)
        snapshot = mine_read if not whole else dataclasses.replace(mine_read, package=None)
        try:
            result = sources.write(config, snapshot, plan(mine, mine_read.workbook))
        except sources.WriteConflict as e:
            results.append(("refused", sorted((c.tab, c.column, c.now) for c in e.conflicts)))
            continue
        results.append((result.cells, result.rows, dict(sources.read_excel(path))))
    assert results[0] == results[1]
    if refused is None:
        assert results[0][0] != "refused"
        assert "見守り" in set(sources.load(config).workbook["世帯"].set_index("世帯ID").loc[["H-004"], "段階"])
    else:
        assert results[0][0] == "refused"
        assert (refused == "TAKEN") == any("ほかの行で使われています" in str(now) for _, _, now in results[0][1])


@pytest.mark.parametrize("kind, converted_again", [("段階", {"段階履歴"}), ("経過記録", {"経過記録"})])
def test_a_sheets_refresh_after_this_processs_save_keeps_what_the_save_read_whole(kind, converted_again, fake_sheets):
    """A Google Sheets save reads the rows it checks whole (世帯, 同意記録) and knows what it wrote
    into them: the next refresh, nobody else having changed anything, converts again only the
    tabs the save appended to without reading them — and gives what a whole read gives."""
    fake_sheets[0].drive_refused = True        # every refresh reads (the one that asks first: below)
    config = sheets_config(fake_sheets[1])
    first = sources.load(config)
    result = sources.write(config, first, _written_plan(kind, first.workbook))
    assert set(result.keys) == ({"世帯"} if kind == "段階" else set())
    again = sources.load(config, previous=first, written=result)
    later = sources.load(config, previous=again)
    _same_workbook(later.workbook, sources.load(config).workbook)
    assert {t for t, kept in later.workbook.converted.items() if kept is not again.workbook.converted.get(t)} == converted_again
    # Someone changes a 世帯 cell meanwhile: its key no longer matches, and the change is read.
    fake_sheets[0].books[SHEET_KEY]["世帯"][4][1] = "手で直した名前"
    changed = sources.load(config, previous=later)
    assert "手で直した名前" in set(changed.workbook["世帯"]["表示名"])


def test_a_refresh_of_google_sheets_is_one_request(fake_sheets):
    fake, root = fake_sheets
    config = sheets_config(root)
    fake.drive_refused = True                  # (the Drive API not enabled: every refresh reads the values)
    first = sources.load(config)
    before = len(fake.requests)
    again = sources.load(config, previous=first)
    assert len(fake.requests) - before == 1 and again.requests == 1 and fake.requests[-1].path.endswith(":batchGet")
    assert again.sheet_titles == first.sheet_titles
    assert fake.count("drive") == 1 and again.modified == sources.DRIVE_REFUSED    # asked once, not at each refresh
    # A read that lacked a tab of the contract asks for the titles again (the 事務局 may have added it):
    book = fake.books[SHEET_KEY]
    kept = book.pop("アウトリーチ")
    lacking = sources.load(config)
    assert not lacking.workbook.has("アウトリーチ")
    book["アウトリーチ"] = kept
    found = sources.load(config, previous=lacking)
    assert found.requests == 2 and found.workbook.has("アウトリーチ")    # (Drive not asked: refused)


def test_a_sheets_refresh_asks_first_whether_the_spreadsheet_changed(fake_sheets):
    """One small Drive request (the file's modifiedTime) before reading: nobody changed the sheet →
    nothing more is read; a person's change → the values are read as before; this process's own save
    → the time it left is known, and the refresh after it reads nothing."""
    fake, root = fake_sheets
    config = sheets_config(root)
    first = sources.load(config)
    assert first.modified and first.requests == 3                     # drive + metadata + batchGet
    sheets, drive = len(fake.requests), fake.count("drive")
    unchanged = sources.load(config, previous=first)
    assert (len(fake.requests) - sheets, fake.count("drive") - drive, unchanged.requests) == (0, 1, 1)
    assert unchanged.workbook is first.workbook and unchanged.read_at > first.read_at
    fake.books[SHEET_KEY]["世帯"][4][1] = "手で直した名前"                 # someone types in the sheet
    changed = sources.load(config, previous=unchanged)
    assert changed.requests == 2 and "手で直した名前" in set(changed.workbook["世帯"]["表示名"])
    assert changed.modified != first.modified
    result = sources.write(config, changed, _written_plan("経過記録", changed.workbook))
    after_save = sources.load(config, previous=changed, written=result)
    sheets = len(fake.requests)
    later = sources.load(config, previous=after_save)
    assert len(fake.requests) == sheets and later.requests == 1          # its own save is not read again
    _same_workbook(later.workbook, sources.load(config).workbook)


def test_a_tab_renamed_since_the_last_read_is_found_again(fake_sheets):
    fake, root = fake_sheets
    config = sheets_config(root)
    first = sources.load(config)
    book = fake.books[SHEET_KEY]
    book["経過 記録"] = book.pop("経過記録")              # the 事務局 renamed the tab (a space typed in)
    again = sources.load(config, previous=first)
    assert again.requests == 4                 # when it last changed, the refused batchGet, the titles, the values
    assert again.workbook.titles["経過記録"] == "経過 記録"
    _same_workbook(again.workbook, sources.load(config).workbook)


def test_an_excel_file_changed_by_hand_in_one_tab_is_converted_there_only(tmp_path):
    import openpyxl
    path = tmp_path / "town.xlsx"
    shutil.copy(SAMPLE, path)
    config = sources.resolve({"TSUNAGU_WORKBOOK": str(path)}, {})
    first = sources.load(config)
    book = openpyxl.load_workbook(path)            # Excel rewrites every part: every tab is converted again
    book["経過記録"].append(["2026/11/20", "H-004", "地域包括支援センター", "高野", "電話", "手で足した行"])
    book.save(path)
    again = sources.load(config, previous=first)
    _same_workbook(again.workbook, sources.load(config).workbook)
    assert "手で足した行" in set(again.workbook["経過記録"]["内容"])
