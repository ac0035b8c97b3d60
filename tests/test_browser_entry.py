"""The casework flow a 機関職員 does, in a real headless Chromium against `streamlit run`, on Google
Sheets (the fake server over HTTP; the browser flows take the two backends in turns): 相談受付 → 経過記録 (double-clicked)
→ 段階 → 支援プラン → 同意の撤回, with the workbook cells checked after each save."""
import datetime as dt
import re
import shutil
import time

import pytest

from lib.workbook import sources
from tests.conftest import SAMPLE, SHEET_KEY
from tests.fake_sheets import FakeSheets
from tests.test_browser import READY, browser, page, serve, sign_in  # noqa: F401 - fixtures

TODAY = dt.date(2026, 11, 24)


class Excel:
    def __init__(self, folder):
        self.path = folder / "town.xlsx"
        shutil.copy(SAMPLE, self.path)
        self.env = dict(TSUNAGU_WORKBOOK=str(self.path), TSUNAGU_BACKUP_DIR=str(folder / "backups"))

    def rows(self, title):
        return sources.read_excel(self.path)[title]

    @staticmethod
    def day(d):
        return d


class Sheets:
    def __init__(self, folder):
        self.fake = FakeSheets({SHEET_KEY: sources.read_excel(SAMPLE)})
        root = self.fake.start()
        self.env = dict(TSUNAGU_WORKBOOK=f"https://docs.google.com/spreadsheets/d/{SHEET_KEY}/edit",
                        TSUNAGU_SHEETS_API_ROOT=root)

    def rows(self, title):
        return self.fake.books[SHEET_KEY][title]

    @staticmethod
    def day(d):
        return f"{d.year}/{d.month}/{d.day}"


@pytest.fixture(params=["excel", "sheets"])
def town(request, tmp_path):
    backend = (Excel if request.param == "excel" else Sheets)(tmp_path)
    for url in serve(backend.env.pop("TSUNAGU_WORKBOOK"), TSUNAGU_TODAY=TODAY.isoformat(), **backend.env):
        backend.url = url
        yield backend
    if isinstance(backend, Sheets):
        backend.fake.stop()


def ready(page):
    time.sleep(0.3)
    page.wait_for_selector(READY)


def choose(page, label, option):
    """Pick an option of the selectbox labelled `label` (a click that only focuses it is followed by ↓)."""
    box = page.locator('[data-testid="stSelectbox"]:visible').filter(has_text=label)
    box.click()
    wanted = page.get_by_role("option", name=option, exact=True)
    try:
        wanted.wait_for(timeout=3_000)
    except Exception:       # noqa: BLE001 - the list did not open: open it from the keyboard
        box.get_by_role("combobox").focus()
        page.keyboard.press("ArrowDown")
    wanted.click()


def saved(page, words):
    """Wait for a save's message; if it never comes, fail with what the page says instead."""
    from playwright.sync_api import TimeoutError as Timeout
    try:
        page.locator('[data-testid="stAlert"]:visible').filter(has_text=words).wait_for()
    except Timeout:
        alerts = page.locator('[data-testid="stAlert"]:visible, [data-testid="stException"]').all_inner_texts()
        state = page.locator('[data-testid="stApp"]').get_attribute("data-test-script-state")
        raise AssertionError(f"no 「{words}」 on {page.url} (script {state}); the page says: {alerts}") from None
    ready(page)


def double_click_save(page, button: str, words: str) -> None:
    """Press a save button twice quickly (as people do), wait for its message — or, when the second
    press was handled after it, 「この内容は保存済みです」 — and for the second press to have been
    handled (it must save nothing; the callers count the rows)."""
    page.get_by_role("button", name=button).dblclick()
    page.locator('[data-testid="stAlert"]:visible').filter(
        has_text=re.compile(f"{re.escape(words)}|この内容は保存済みです")).first.wait_for()
    time.sleep(1.5)
    ready(page)


def press_again_while_saving(page, town, button: str, words: str) -> None:
    """Press a save button, and again a second later while the first press is still saving: the
    spreadsheet answers slowly (Google Sheets through the fake server, 1 s a request), so the second
    press starts a run of its own beside the one inside the save. With an Excel copy, which saves in
    a moment, it is a double click. Either way one save, and its message or 「保存済み」."""
    if not isinstance(town, Sheets):
        return double_click_save(page, button, words)
    town.fake.delay = 1.0
    try:
        page.get_by_role("button", name=button).click()
        time.sleep(1.2)                                 # the first press is inside its save now
        page.get_by_role("button", name=button).click()
        page.locator('[data-testid="stAlert"]:visible').filter(
            has_text=re.compile(f"{re.escape(words)}|この内容は保存済みです")).first.wait_for()
    finally:
        town.fake.delay = 0.0
    time.sleep(1.5)
    ready(page)


def type_in_grid(page, grid, row, col, columns, text, add_row=False):
    """Type into one cell of a table editor (glide grid): select the cell, open its editor, type,
    Enter. With `add_row`, the row is first added with the table's 「+」 button."""
    grid.scroll_into_view_if_needed()
    if add_row:
        grid.hover()
        grid.locator("xpath=..").get_by_role("button", name="Add row").click()
        time.sleep(0.5)
        page.keyboard.press("Escape")
    box = grid.bounding_box()
    width = (box["width"] - 32) / columns
    x, y = box["x"] + 32 + width * (col + 0.5), box["y"] + 35 * (row + 1) + 17
    editor = page.locator("textarea.gdg-input")
    page.mouse.click(x, y)
    time.sleep(0.3)
    if not editor.count():
        page.keyboard.press("Enter")
    try:
        editor.wait_for(timeout=3_000)
    except Exception:       # noqa: BLE001 - the first click only focused the grid: select and open again
        page.mouse.click(x, y)
        time.sleep(0.3)
        page.keyboard.press("Enter")
        editor.wait_for(timeout=5_000)
    editor.fill(text)
    page.keyboard.press("Enter")
    editor.wait_for(state="detached")
    time.sleep(0.2)


@pytest.mark.parametrize("town", ["sheets"], indirect=True)     # the other flows: the other backend
def test_intake_contact_stage_plan_and_withdrawal(page, town):  # noqa: F811 - fixture
    sign_in(page, town.url, "houkatsu")
    households = len(town.rows("世帯"))

    # 相談受付: a new household with one member, consent given.
    page.goto(town.url + "/uketsuke")
    ready(page)
    page.get_by_label("表示名").fill("試験世帯")
    choose(page, "地区", "東部")
    page.get_by_text("同意する", exact=True).click()
    grid = page.locator('[data-testid="stForm"]:visible [data-testid="stDataFrame"]').first
    type_in_grid(page, grid, 0, 0, 5, "A氏")
    type_in_grid(page, grid, 0, 1, 5, "本人")
    type_in_grid(page, grid, 0, 2, 5, "45")
    page.get_by_role("button", name="相談受付を保存").click()
    saved(page, "世帯ID H-061")
    assert len(town.rows("世帯")) == households + 1
    new = town.rows("世帯")[-1]
    assert new[:8] == ["H-061", "試験世帯", "東部", "", "あり", "受付", "地域包括支援センター", "包括 高野（見本）"]
    assert [r[:4] for r in town.rows("世帯員") if r[0] == "H-061"] == [["H-061", "A氏", "本人", 45]]
    assert town.rows("同意記録")[-1][:3] == ["H-061", town.day(TODAY), "あり"]
    assert town.rows("段階履歴")[-1][:4] == ["H-061", town.day(TODAY), "", "受付"]

    # 経過記録 from the new household's screen, the save button double-clicked: one row.
    page.get_by_role("link", name="受け付けた世帯（H-061）を開く").click()
    page.get_by_role("heading", name="試験世帯").wait_for()
    ready(page)
    contacts = len(town.rows("経過記録"))
    choose(page, "方法", "訪問")
    page.get_by_label("内容", exact=True).fill("初回訪問。本人と面談")
    page.get_by_role("button", name="経過記録を保存").dblclick()
    saved(page, "保存")
    time.sleep(1.5)
    ready(page)
    assert len(town.rows("経過記録")) == contacts + 1
    assert town.rows("経過記録")[-1][:6] == [town.day(TODAY), "H-061", "地域包括支援センター", "包括 高野（見本）", "訪問",
                                         "初回訪問。本人と面談"]
    page.get_by_text("初回訪問。本人と面談").first.wait_for()            # in the 経過記録 table at once

    # 段階: 受付 → プラン作成, with its history row.
    page.get_by_role("tab", name="段階を動かす").click()
    choose(page, "新しい段階", "プラン作成")
    page.get_by_role("button", name="段階を保存").click()
    saved(page, "段階を「プラン作成」にしました")
    assert town.rows("世帯")[-1][5] == "プラン作成"
    assert town.rows("段階履歴")[-1][:4] == ["H-061", town.day(TODAY), "受付", "プラン作成"]

    # 支援プラン: a goal for A氏 typed into its 様式5 block.
    page.get_by_role("tab", name="支援プランを編集").click()
    block = page.locator('[data-testid="stForm"]:visible [data-testid="stDataFrame"]').first
    block.wait_for()
    type_in_grid(page, block, 0, 0, 6, "仕事を探す", add_row=True)
    page.get_by_role("button", name="プランを保存").click()
    saved(page, "プランを保存しました")
    plan = [r for r in town.rows("支援プラン") if r[0] == "H-061"]
    assert [(r[1], r[2], r[-1]) for r in plan] == [("A氏", "仕事を探す", town.day(TODAY))]

    # 同意の撤回: a 同意記録 row, 世帯.同意 なし, and the card on the board says 支援会議.
    page.get_by_role("tab", name="同意を記録").click()
    page.get_by_text("撤回", exact=True).click()
    choose(page, "範囲", "両方")
    page.get_by_role("button", name="同意を保存").click()
    saved(page, "同意「撤回」を記録しました")
    assert town.rows("世帯")[-1][4] == "なし"
    assert town.rows("同意記録")[-1][:4] == ["H-061", town.day(TODAY), "撤回", "両方"]
    page.goto(town.url + "/case-board")
    ready(page)
    card = page.locator(".tb-card").filter(has_text="H-061")
    assert "支援会議" in card.inner_text() and "重層的支援会議" not in card.inner_text()
    page.get_by_role("link", name="試験世帯").wait_for()
