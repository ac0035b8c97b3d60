"""The 係長's committee report and the prefecture's workbook, in real Chromium: プラン進捗 → 実施計画の
指標 → 令和7年度, a 所見 written and saved, the PDF in one press (read back, its pages rendered), the
CSV; then 取り込み → 県の集計 with three towns' CSVs and the combined Excel file downloaded."""
import datetime as dt
import io
import re
import shutil
import time

import pytest

from lib.report import figures, prefecture
from lib.workbook import sources
from lib.workbook.validate import validate
from sample_data import generate
from tests.conftest import SAMPLE
from tests.test_browser import browser, serve, sign_in, wait_ready, window  # noqa: F401 - fixtures
from tests.test_browser_entry import choose, ready

NOTE = "参加支援の受入先が3か所ふえ、定着まで進んだ人が出た。"


@pytest.fixture(scope="module")
def town(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    path = folder / "town.xlsx"
    shutil.copy(SAMPLE, path)
    for url in serve(path, TSUNAGU_TODAY="2026-11-24", TSUNAGU_BACKUP_DIR=str(folder / "backups"),
                     TSUNAGU_TOWN_NAME="みどり町", TSUNAGU_TOWN_CODE="336661"):
        yield url, path, folder


def still(button) -> None:
    """Wait until a button has stopped moving: the opened expander and the tables below it are
    still being laid out for a moment, and a click Playwright aims at a moving button is lost."""
    before = None
    for _ in range(50):
        now = button.bounding_box()
        if now is not None and now == before:
            return
        before = now
        time.sleep(0.2)
    raise AssertionError("the button kept moving")


def download(page, label: str) -> bytes:
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name=label).click()
    return open(info.value.path(), "rb").read()


def test_the_committee_report_in_one_press_and_the_prefectures_workbook(browser, town, tmp_path):  # noqa: F811
    from openpyxl import load_workbook
    from pypdf import PdfReader
    url, path, folder = town
    context, page = window(browser)
    try:
        sign_in(page, url, "kyodo")
        page.goto(url + "/shinchoku")
        wait_ready(page)
        page.get_by_text("実施計画の指標").click()
        ready(page)
        choose(page, "年度", "令和7年度（2025年度）")
        ready(page)
        page.get_by_role("heading", name="令和7年度の実施状況報告（委員会へ）").wait_for()
        page.get_by_text("所見を書く").click()
        area = page.get_by_label("参加支援の所見")
        area.fill(NOTE)
        save = page.get_by_role("button", name="所見を保存")
        still(save)
        save.click()
        page.get_by_text("令和7年度の所見を保存しました").wait_for()
        ready(page)
        pdf = download(page, "実施状況報告（PDF）")
        csv = download(page, "県への提出用（CSV）")
    finally:
        context.close()
    rows = validate(sources.read_excel(path))["実施状況報告"]
    assert rows.iloc[-1][["年度", "事業", "所見"]].tolist() == [2025, "参加支援", NOTE]

    reader = PdfReader(io.BytesIO(pdf))
    text = re.sub(r"\s+", "", "".join(p.extract_text() for p in reader.pages))
    assert "令和7年度重層的支援体制整備事業実施状況報告" in text and re.sub(r"\s+", "", NOTE) in text
    assert not re.search(r"H-\d{3}", text)
    assert len(reader.pages) >= 6 and sum(len(p.images) for p in reader.pages) == 3

    # The prefecture: this town's CSV and two more towns' (made as their apps make them):
    others = {}
    for name, code, seed in (("あおば町", "336432", 11), ("ひかり村", "335657", 13)):
        book = generate.write_xlsx(generate.build(60, seed), folder / f"{code}.xlsx")
        report = figures.annual(validate(sources.read_excel(book)), 2025, dt.date(2026, 11, 24), name)
        others[f"{name}.csv"] = prefecture.to_csv(report, code)
    context, page = window(browser)
    try:
        sign_in(page, url, "admin")
        page.goto(url + "/torikomi")
        wait_ready(page)
        page.get_by_text("県の集計（町ごとの CSV をまとめる）").click()
        ready(page)
        page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(files=[
            {"name": "みどり町.csv", "mimeType": "text/csv", "buffer": csv},
            *({"name": n, "mimeType": "text/csv", "buffer": d} for n, d in others.items())])
        page.get_by_text("3町・1年度をまとめます。").wait_for()
        ready(page)
        combined = download(page, "県の集計（Excel）")
    finally:
        context.close()
    sheet = load_workbook(io.BytesIO(combined))["指標"]
    rows = [[c.value for c in r] for r in sheet.iter_rows()]
    at = next(i for i, r in enumerate(rows) if r[0] == "包括的相談支援　複合課題世帯数")
    assert rows[at + 1][:4] == ["年度", "みどり町（336661）", "あおば町（336432）", "ひかり村（335657）"]
