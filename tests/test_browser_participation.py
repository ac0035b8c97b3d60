"""参加支援 as a person does it, in a real headless Chromium on Google Sheets (the fake server): on 社会資源マップ a
suggestion for a household leads straight into 世帯詳細's 打診 (the 受入先 already chosen), then the
next step; the 参加支援 cells are checked after each save and the 受入実績 counts the matching."""

import pytest

from lib.workbook import schema
from tests.test_browser import browser, page, sign_in  # noqa: F401 - fixtures
from tests.test_browser_entry import TODAY, double_click_save, choose, ready, saved, town  # noqa: F401 - the two backends

HEADER = schema.TABS_BY_NAME["参加支援"].column_names


@pytest.mark.parametrize("town", ["sheets"], indirect=True)     # the other flows: the other backend
def test_from_a_suggestion_to_a_visit(page, town):  # noqa: F811 - fixtures
    sign_in(page, town.url, "kyodo")
    page.goto(town.url + "/shigen")
    ready(page)
    before = len(town.rows("参加支援"))
    page.get_by_role("heading", name="参加支援: 世帯に合う社会資源").scroll_into_view_if_needed()
    page.locator('[data-testid="stSelectbox"]:visible').filter(has_text="世帯").first.click()
    page.get_by_role("option", name="木下世帯（H-004）").click()
    ready(page)
    picker = page.locator('[data-testid="stSelectbox"]:visible').filter(has_text="この社会資源で参加支援を始める")
    picker.wait_for()
    resource = "北部農園しごと体験"                         # the nearest suggestion for 木下世帯 (北部)
    choose(page, "この社会資源で参加支援を始める", resource)
    ready(page)
    page.get_by_role("button", name="打診へ進む").click()
    page.get_by_role("heading", name="木下世帯").wait_for()
    ready(page)
    chosen = page.locator('[data-testid="stSelectbox"]:visible').filter(has_text="受入先（社会資源）")
    assert resource in (chosen.get_by_role("combobox").input_value() + chosen.inner_text() +
                        (chosen.get_by_role("combobox").get_attribute("aria-label") or ""))     # already chosen
    choose(page, "対象", "B氏")
    page.get_by_label("内容（本人の希望・受入先の反応）").fill("見学してみたいと話す")
    double_click_save(page, "打診を記録", "打診を記録しました")
    rows = town.rows("参加支援")
    assert len(rows) == before + 1                                       # once, for a double click
    first = dict(zip(HEADER, rows[-1]))
    assert (first["世帯ID"], first["対象"], first["受入先"], first["段階"], first["日付"]) == (
        "H-004", "B氏", resource, "打診", town.day(TODAY))

    choose(page, "マッチング", f"B氏 → {resource}（いま 打診）")
    ready(page)
    choose(page, "次の段階", "見学")
    page.get_by_label("受入先への支援（受入先に伝えたこと・手伝ったこと）").fill("本人の得意なことを伝えた")
    page.get_by_role("button", name="段階を記録").click()
    saved(page, "「見学」を記録しました")
    second = dict(zip(HEADER, town.rows("参加支援")[-1]))
    assert (second["マッチングID"], second["段階"], second["受入先への支援"]) == (first["マッチングID"], "見学", "本人の得意なことを伝えた")
    page.goto(town.url + "/shigen")
    ready(page)
    page.get_by_role("heading", name="受入実績（参加支援）").wait_for()
