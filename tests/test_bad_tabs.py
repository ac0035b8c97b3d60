"""Bad cells never take the app down: every optional tab may be missing, header-only or full of bad
cells, an ID may be TRUE, a cell may be 10 MB — every screen still opens and says what it could not use."""
import datetime as dt

import pytest
from openpyxl import Workbook as XlsxBook
from streamlit.testing.v1 import AppTest

from lib.workbook import schema
from lib.workbook.sources import read_excel
from lib.workbook.validate import validate
from tests.conftest import SAMPLE
from tests.test_pages import APP, sign_in

SCREENS = ["screens/home.py", "screens/board.py", "screens/household.py", "screens/plans.py", "screens/resources.py",
           "screens/meeting.py", "screens/check.py", "screens/help.py", "screens/admin.py"]
OPTIONAL = [t.name for t in schema.TABS if not t.required]
# What a clumsy clerk or a crafted file puts in cells:
BAD_VALUES = [True, "？？？", "令和99年13月40日", -5, "x" * 20_000, None, 3.5, "=1/0", "H-999"]


def write(raw: dict, path):
    book = XlsxBook()
    book.remove(book.active)
    for title, rows in raw.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(list(row))
    book.save(path)
    return path


def variant(raw: dict, tab: str, how: str) -> dict:
    rows = raw[tab]
    if how == "missing":
        return {k: v for k, v in raw.items() if k != tab}
    if how == "header-only":
        return {**raw, tab: rows[:1]}
    bad = [rows[0]] + [[BAD_VALUES[(r + c) % len(BAD_VALUES)] for c in range(len(rows[0]))]
                       for r in range(1, min(len(rows), 12))]
    return {**raw, tab: bad}


def walk(path, monkeypatch, household="H-004"):
    """Sign in once and open every screen (世帯詳細 for one household); none may raise."""
    monkeypatch.setenv("TSUNAGU_WORKBOOK", str(path))
    at = sign_in(AppTest.from_file(APP, default_timeout=60).run())
    for screen in SCREENS:
        if screen == "screens/household.py":
            at.query_params["id"] = household
        at.switch_page(screen).run()
        assert not at.exception, (screen, at.exception)
        assert at.title, screen
    return at


@pytest.fixture(scope="module")
def raw():
    return read_excel(SAMPLE)


@pytest.mark.parametrize("tab", OPTIONAL)
@pytest.mark.parametrize("how", ["missing", "header-only", "bad cells"])
def test_every_screen_opens_whatever_an_optional_tab_holds(tab, how, raw, tmp_path, monkeypatch):
    changed = variant(raw, tab, how)
    validate(changed)                                      # never raises
    walk(write(changed, tmp_path / "town.xlsx"), monkeypatch)


def test_true_in_an_id_column_is_a_reported_problem(raw, tmp_path, monkeypatch):
    changed = {k: [list(r) for r in v] for k, v in raw.items()}
    changed["世帯員"][3][0] = True                       # typed TRUE, or a Sheets checkbox
    changed["世帯"][5][0] = False
    workbook = validate(changed)
    ids = [(p.tab, p.row, p.column) for p in workbook.problems if "TRUE/FALSE" in p.message]
    assert ids == [("世帯", 6, "世帯ID"), ("世帯員", 4, "世帯ID")]
    assert len(workbook["世帯"]) == len(raw["世帯"]) - 2
    at = walk(write(changed, tmp_path / "town.xlsx"), monkeypatch)
    assert at.title[0].value == "管理"


def test_a_ten_megabyte_cell_is_cut_for_display_and_kept_in_the_sheet(raw, monkeypatch):
    """Google Sheets (and a crafted xlsx) can hold far more than Excel's 32,767 characters in a cell."""
    import time
    from lib.workbook.validate import CUT_MARK, MAX_SHOWN_CHARS
    from tests.conftest import SHEET_KEY
    from tests.fake_sheets import FakeSheets
    changed = {k: [list(r) for r in v] for k, v in raw.items()}
    header = changed["世帯"][0]
    next(r for r in changed["世帯"] if r[0] == "H-004")[header.index("備考")] = "長" * 10_000_000
    members = changed["世帯員"]
    next(r for r in members if r[0] == "H-004")[members[0].index("状況")] = "状" * 10_000_000
    workbook = validate(changed)
    note = workbook["世帯"].set_index("世帯ID").loc["H-004", "備考"]
    assert len(note) == MAX_SHOWN_CHARS + len(CUT_MARK) and note.endswith(CUT_MARK)
    assert any(p.column == "備考" and "10,000,000文字の長い入力" in p.message for p in workbook.problems)
    fake = FakeSheets({SHEET_KEY: changed})
    root = fake.start()
    try:
        monkeypatch.setenv("TSUNAGU_SHEETS_API_ROOT", root)
        monkeypatch.setattr("lib.workbook.sheets.RETRY_BASE_DELAY", 0.05)
        started = time.monotonic()
        at = walk(SHEET_KEY, monkeypatch)
        assert time.monotonic() - started < 120            # was: more than 5 minutes on 世帯詳細
    finally:
        fake.stop()
    assert at.title[0].value == "管理"
    assert len(changed["世帯"][4][header.index("備考")]) == 10_000_000     # nothing written back: the sheet keeps it


def test_household_screen_without_meetings(raw, tmp_path, monkeypatch):
    from lib.casework import household
    for how in ("missing", "header-only"):
        detail = household.build_detail(validate(variant(raw, "会議", how)), "H-004", dt.date(2026, 11, 24))
        assert detail.meetings.empty and list(detail.meetings.columns)[:2] == ["開催日", "種別"]
