"""The つなぎ flow between three agencies in a real headless Chromium, on an Excel copy (the browser
flows take the two backends in turns): 包括 (A) asks 多機関協働 (B), B returns it with a reason, A asks again, B accepts, A closes the
case with its 評価 and つながり評価, and the automatic 引継ぎ reaches みどりの里 (C) — rows checked after each step."""
import time

import pytest

from tests.test_browser import browser, sign_in  # noqa: F401 - fixtures
from tests.test_browser_entry import TODAY, choose, ready, saved, town  # noqa: F401 - town: Excel and Sheets

HUB = "福祉課 多機関協働係"
HOUKATSU = "地域包括支援センター"
KYOTAKU = "居宅介護支援事業所 みどりの里"


def person(browser, town, username):  # noqa: F811 - fixture
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="ja-JP")
    page = context.new_page()
    page.set_default_timeout(30_000)
    sign_in(page, town.url, username)
    return page


def open_household(page, town, hid, tab):
    page.goto(f"{town.url}/setai?id={hid}")
    ready(page)
    page.get_by_role("tab", name=tab).click()


def ask(page, town, hid):
    open_household(page, town, hid, "つなぐ")
    choose(page, "依頼先機関", HUB)
    page.get_by_label("依頼内容").fill("複合的な課題があり、多機関での検討をお願いします")
    page.get_by_role("button", name="依頼する").click()
    saved(page, "つなぎを依頼しました")
    return town.rows("つなぎ")[-1][0]


def answer(page, town, referral_id, action, comment=""):
    page.goto(f"{town.url}/top")
    ready(page)
    page.locator('[data-testid="stSelectbox"]:visible').filter(has_text="応答する依頼").click()
    page.get_by_role("option").filter(has_text=referral_id).click()
    page.get_by_test_id("stRadioGroup").get_by_text(action, exact=True).click()   # (table cells say 受理 too)
    if comment:
        page.get_by_label("応答コメント（差し戻すときは理由を必ず）").fill(comment)
    page.get_by_role("button", name="応答を保存").click()
    saved(page, f"依頼 {referral_id} を")


@pytest.mark.parametrize("town", ["excel"], indirect=True)     # the other flows: the other backend
def test_request_return_ask_again_accept_close_and_hand_over(browser, town):  # noqa: F811 - fixture
    hid = next(r[0] for r in town.rows("世帯")[1:] if r[6] == HOUKATSU and r[4] == "あり" and r[5] == "支援中")
    a, b = person(browser, town, "houkatsu"), person(browser, town, "kyodo")

    first = ask(a, town, hid)
    assert town.rows("つなぎ")[-1][1:8] == [hid, town.day(TODAY), HOUKATSU, HUB, "つなぎ",
                                          "複合的な課題があり、多機関での検討をお願いします", "依頼中"]
    answer(b, town, first, "差し戻し", "包括で対応できる内容です")
    row = next(r for r in town.rows("つなぎ") if r[0] == first)
    assert row[7:11] == ["差し戻し", town.day(TODAY), "多機関協働 森田（見本）", "包括で対応できる内容です"]

    a.goto(f"{town.url}/top")                                        # A sees the answer and its reason
    ready(a)
    a.locator("td[role=gridcell]", has_text="包括で対応できる内容です").first.wait_for(state="attached")   # 出した依頼

    second = ask(a, town, hid)
    assert second != first
    answer(b, town, second, "受理")
    assert next(r for r in town.rows("つなぎ") if r[0] == second)[7] == "受理"

    open_household(a, town, hid, "終結と評価")
    goals = [r for r in town.rows("支援プラン")[1:] if r[0] == hid]
    for i, goal in enumerate(goals):
        a.get_by_label(f"{goal[1]}の達成度（{i + 1}）").click()
        a.get_by_role("option", name="達成", exact=True).click()
    choose(a, "見守り機関（引継ぎ先）", KYOTAKU)
    a.get_by_label("終結理由").fill("目標を達成したため")
    a.get_by_label("つながり先（1）").fill("北部ふれあいいきいきサロン")         # 別紙2-7 つながり評価
    choose(a, "種類（1）", "社会資源")
    choose(a, "安定度（1）", "安定")
    a.get_by_label("様子（1）").fill("週1回通っている")
    a.get_by_role("button", name="終結を保存").click()
    saved(a, f"{KYOTAKU}に引継ぎを依頼しました")
    household = next(r for r in town.rows("世帯") if r[0] == hid)
    assert household[5] == "終結" and household[13] == town.day(TODAY)
    assert [(r[2], r[4], r[7]) for r in town.rows("評価") if r[0] == hid] == [(g[1], "達成", KYOTAKU) for g in goals]
    assert [r[1:7] for r in town.rows("つながり評価") if r[0] == hid] == [
        [town.day(TODAY), "世帯", "北部ふれあいいきいきサロン", "社会資源", "安定", "週1回通っている"]]
    hand_over = town.rows("つなぎ")[-1]
    assert hand_over[1:6] == [hid, town.day(TODAY), HOUKATSU, KYOTAKU, "引継ぎ"] and hand_over[7] == "依頼中"

    c = person(browser, town, "kyotaku")
    c.goto(f"{town.url}/top")
    ready(c)
    inbox = c.locator('[data-testid="stDataFrame"]').first
    inbox.wait_for()
    time.sleep(0.5)
    assert c.get_by_text(f"つなぎの依頼（{KYOTAKU}あて）").count() == 1
    c.locator('[data-testid="stSelectbox"]:visible').filter(has_text="応答する依頼").click()
    assert c.get_by_role("option").filter(has_text=hand_over[0]).filter(has_text="引継ぎ").count() == 1
