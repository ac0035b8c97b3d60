"""A new town's way in, in real Chromium with nothing but the browser: the app opened on the blank
workbook says what to type first; the town's own 機関一覧, 地区一覧 and 受付簿 come in through 取り込み;
the board then shows the households — checked in the workbook's cells too."""
import re

import pytest

from lib.workbook import new, sources
from lib.workbook.validate import validate
from tests.test_browser import browser, serve, sign_in, wait_ready, window  # noqa: F401 - fixtures
from tests.test_browser_entry import choose, ready
from tests.test_imports import agencies_csv, reception_book

# A 受付簿 as an office keeps it: Shift_JIS CSV, a title and the office above the header, its own
# headings (世帯番号 left blank, 相談日（和暦）, 本人同意) and the consent of each household:
CONSENT_CSV = ("令和8年度　相談受付簿（10月分）\r\nみなと町 福祉課\r\n\r\n"
               "世帯番号,相談日（和暦）,世帯名,地域,本人同意\r\n"
               ",R8.10.1,岡田世帯,中央,あり\r\n,R8.10.2,川口世帯,北部,なし\r\n").encode("cp932")
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
    page.locator('[data-testid="stAlert"]').filter(has_text=f"「{name}」から{rows}行を取り込みました").wait_for()
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
        bring_in(page, url, "世帯（受付簿・世帯一覧）", "受付簿10月.csv", CONSENT_CSV, "text/csv", 2)
        page.get_by_role("link", name="ケースボード").click()
        page.get_by_role("heading", name="ケースボード").wait_for()
        wait_ready(page)
        for name in ("青山世帯", "石田世帯", "上野世帯", "泉世帯", "岡田世帯", "川口世帯"):
            page.get_by_role("link", name=name).first.wait_for()
        assert "まず「" not in page.locator("body").inner_text()
        for name, consent, track in (("岡田世帯", "あり", "重層的支援会議"), ("川口世帯", "なし", "支援会議")):
            page.get_by_role("link", name=name).first.click()         # the card's name opens 世帯詳細
            page.get_by_role("heading", name=name).wait_for()
            wait_ready(page)
            summary = page.locator("body").inner_text()
            shown = re.search(r"同意\s*(あり|なし|不明)", summary)
            assert shown and shown.group(1) == consent, summary[:1500]
            assert track in summary
            page.go_back()
            page.get_by_role("heading", name="ケースボード").wait_for()
            wait_ready(page)
    finally:
        context.close()
    workbook = validate(sources.read_excel(path))
    assert list(workbook["機関"]["機関名"]) == ["NPO法人ひだまり", "地域包括支援センター"]
    assert list(workbook["地区"]["地区名"]) == ["中央", "北部", "東部", "南部", "西部"]
    assert list(workbook["世帯"]["世帯ID"]) == ["H-001", "H-002", "H-003", "H-004", "H-005", "H-006"]
    assert list(workbook["世帯"]["表示名"]) == ["青山世帯", "石田世帯", "上野世帯", "泉世帯", "岡田世帯", "川口世帯"]
    assert list(workbook["世帯"]["同意"])[-2:] == ["あり", "なし"]
    assert [p for p in workbook.problems if p.severity == "error"] == []
