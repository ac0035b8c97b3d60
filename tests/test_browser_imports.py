"""A new town's way in, in real Chromium with nothing but the browser: the app opened on the blank
workbook says what to type first; the town's own 機関一覧, 地区一覧 and 受付簿 come in through 取り込み;
the board then shows the households — checked in the workbook's cells too."""
import pytest

from lib.workbook import new, sources
from lib.workbook.validate import validate
from tests.test_browser import browser, serve, sign_in, wait_ready, window  # noqa: F401 - fixtures
from tests.test_browser_entry import choose, ready
from tests.test_imports import agencies_csv, reception_book

AREAS_CSV = "地区名,人口,高齢化率\n中央,5200,31.5\n北部,1800,42.0\n東部,900,45.1\n南部,1200,38.0\n西部,2100,35.2\n".encode("utf-8-sig")


@pytest.fixture(scope="module")
def blank_town(tmp_path_factory):
    folder = tmp_path_factory.mktemp("newtown")
    path = folder / "みなと町_つなぐボード.xlsx"
    path.write_bytes(new.blank("みなと町"))
    for url in serve(path, TSUNAGU_TODAY="2026-11-24", TSUNAGU_BACKUP_DIR=str(folder / "backups")):
        yield url, path


def bring_in(page, url, kind, name, data, mime, rows):
    page.goto(url + "/torikomi")
    wait_ready(page)
    choose(page, "一覧の種類", kind)
    ready(page)
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
        files=[{"name": name, "mimeType": mime, "buffer": data}])
    page.get_by_role("button", name=f"取り込む（{rows}行）").wait_for()
    ready(page)
    page.get_by_role("button", name=f"取り込む（{rows}行）").click()
    page.locator('[data-testid="stAlert"]').filter(has_text=f"「{name}」から取り込みました").wait_for()
    ready(page)


def test_from_the_blank_workbook_to_a_board_of_the_towns_households(browser, blank_town):  # noqa: F811
    url, path = blank_town
    context, page = window(browser)
    try:
        sign_in(page, url, "kyodo")
        page.get_by_text("まず「機関」タブに").wait_for()                    # ホーム of an empty town
        bring_in(page, url, "機関一覧", "機関一覧.csv", agencies_csv(), "text/csv", 2)
        bring_in(page, url, "地区一覧", "地区一覧.csv", AREAS_CSV, "text/csv", 5)
        xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        bring_in(page, url, "世帯（受付簿・世帯一覧）", "令和8年度受付簿.xlsx", reception_book(), xlsx, 4)
        page.get_by_role("link", name="ケースボード").click()
        page.get_by_role("heading", name="ケースボード").wait_for()
        wait_ready(page)
        for name in ("青山世帯", "石田世帯", "上野世帯", "泉世帯"):
            page.get_by_role("link", name=name).first.wait_for()
        assert "まず「" not in page.locator("body").inner_text()
    finally:
        context.close()
    workbook = validate(sources.read_excel(path))
    assert list(workbook["機関"]["機関名"]) == ["NPO法人ひだまり", "地域包括支援センター"]
    assert list(workbook["地区"]["地区名"]) == ["中央", "北部", "東部", "南部", "西部"]
    assert list(workbook["世帯"]["世帯ID"]) == ["H-001", "H-002", "H-003", "H-004"]
    assert list(workbook["世帯"]["表示名"]) == ["青山世帯", "石田世帯", "上野世帯", "泉世帯"]
    assert [p for p in workbook.problems if p.severity == "error"] == []
