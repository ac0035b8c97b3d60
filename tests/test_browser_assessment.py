"""The アセスメント (別紙2-3) a 主担当機関 records on 世帯詳細, in a real headless Chromium, on an Excel
copy (the browser flows take the two backends in turns): the latest fills the form, a double-clicked
save appends one row (cells checked), the sheet is printed, and the 家族構成図 and エコマップ are drawn."""
import io

import pytest

from openpyxl import load_workbook

from lib.workbook import schema
from tests.test_browser import browser, page, sign_in  # noqa: F401 - fixtures
from tests.test_browser_entry import TODAY, double_click_save, ready, town  # noqa: F401 - the two backends

HEADER = schema.TABS_BY_NAME["アセスメント"].column_names


@pytest.mark.parametrize("town", ["excel"], indirect=True)     # the other flows: the other backend
def test_a_lead_agency_records_an_assessment_and_prints_it(page, town):  # noqa: F811 - fixtures
    sign_in(page, town.url, "houkatsu")
    page.goto(town.url + "/setai?id=H-004")
    ready(page)
    # The 家族構成図 and the エコマップ, drawn as pictures:
    page.get_by_role("heading", name="家族構成図").wait_for()
    page.locator('[data-testid="stImage"]').first.wait_for()
    page.get_by_text("エコマップ（この世帯にかかわる機関）を表示").click()
    page.get_by_text("太い線は主担当機関").wait_for()

    page.get_by_role("tab", name="アセスメント").click()
    ready(page)
    before = len(town.rows("アセスメント"))
    page.get_by_label("本人の思い", exact=True).fill("「このまま母と家で暮らしたい」")
    page.get_by_label("強み", exact=True).fill("毎朝の散歩を欠かさない")
    double_click_save(page, "アセスメントを保存", "アセスメントを保存しました")
    rows = town.rows("アセスメント")
    assert len(rows) == before + 1                                      # once, for a double click
    row = dict(zip(HEADER, rows[-1]))
    assert (row["世帯ID"], row["実施日"], row["本人の思い"], row["強み"], row["機関"]) == (
        "H-004", town.day(TODAY), "「このまま母と家で暮らしたい」", "毎朝の散歩を欠かさない", "地域包括支援センター")
    page.get_by_text("毎朝の散歩を欠かさない").first.wait_for()           # the newest, shown at once

    with page.expect_download() as download:
        page.get_by_role("button", name="別紙2-3（Excel）").click()
    sheet = load_workbook(io.BytesIO(open(download.value.path(), "rb").read())).active
    text = " ".join(str(c.value) for r in sheet.iter_rows() for c in r if c.value)
    assert "インテーク・アセスメントシート" in text and "毎朝の散歩を欠かさない" in text
