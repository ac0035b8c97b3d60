"""アウトリーチ as the outreach worker does it, in a real headless Chromium on Google Sheets (the fake
server; the browser flows take the two backends in turns): a contact with someone not yet in 受付
(pressed again while it saves: one row), then 「相談受付へ」 when they agree — the new 世帯 with its history in one save (cells checked) — and the new household opened from the link."""

import pytest

from lib.workbook import schema
from tests.test_browser import browser, page, sign_in  # noqa: F401 - fixtures
from tests.test_browser_entry import TODAY, choose, press_again_while_saving, ready, saved, town  # noqa: F401 - the two backends

HEADER = schema.TABS_BY_NAME["アウトリーチ"].column_names


@pytest.mark.parametrize("town", ["sheets"], indirect=True)     # the other flows: the other backend
def test_a_contact_then_into_uketsuke(page, town):  # noqa: F811 - fixtures
    sign_in(page, town.url, "kyodo")
    page.goto(town.url + "/outreach")
    page.get_by_role("heading", name="アウトリーチ").wait_for()
    ready(page)
    option = next(r for r in town.rows("アウトリーチ")[1:] if r[1] == "東部 70代男性")
    contacts = sum(1 for r in town.rows("アウトリーチ")[1:] if r[0] == option[0] and r[4])
    choose(page, "記録する人", f"東部 70代男性（接触中・{contacts}回）")
    ready(page)
    choose(page, "方法", "訪問")
    page.get_by_label("内容（会えたか・様子・話したこと）").fill("本人が戸を開けてくれた。困りごとを少し話した")
    press_again_while_saving(page, town, "接触を記録", "接触を記録しました")
    rows = town.rows("アウトリーチ")
    assert sum(1 for r in rows[1:] if r[0] == option[0] and r[4]) == contacts + 1          # once
    last = dict(zip(HEADER, rows[-1]))
    assert (last["対象ID"], last["日付"], last["方法"], last["状態"]) == (option[0], town.day(TODAY), "訪問", "接触中")

    choose(page, "記録する人", f"東部 70代男性（接触中・{contacts + 1}回）")
    ready(page)
    page.get_by_text("相談受付へ（本人が相談に同意したとき）").click()
    page.get_by_label("表示名（世帯名）").fill("東部 佐野世帯")
    households = len(town.rows("世帯"))
    page.get_by_role("button", name="相談受付へ進む").click()
    saved(page, "相談受付へ進みました")
    assert len(town.rows("世帯")) == households + 1
    new = dict(zip(schema.TABS_BY_NAME["世帯"].column_names, town.rows("世帯")[-1]))
    assert (new["表示名"], new["地区"], new["段階"]) == ("東部 佐野世帯", "東部", "受付")
    assert sum(1 for r in town.rows("経過記録") if r[1] == new["世帯ID"]) == contacts + 1
    assert dict(zip(HEADER, town.rows("アウトリーチ")[-1]))["受付後の世帯ID"] == new["世帯ID"]
    page.get_by_role("link", name=f"受け付けた世帯（{new['世帯ID']}）を開く").click()
    page.get_by_role("heading", name="東部 佐野世帯").wait_for()
