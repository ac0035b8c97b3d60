"""つなぎ through Streamlit's AppTest, step by step, on a copy of the sample town: request (世帯詳細),
the inbox and answers (ホーム), withdrawal, closure with 評価 and its 引継ぎ, the directory and the
board flag — with the workbook rows checked after each save."""
import datetime as dt
import html

from tests.test_entry_pages import messages, press, raw, town  # noqa: F401 - town: a copy per test (autouse)
from tests.test_pages import open_page, texts

TODAY = dt.date(2026, 11, 24)
HUB = "福祉課 多機関協働係"
HOUKATSU = "地域包括支援センター"
KYOTAKU = "居宅介護支援事業所 みどりの里"


def houkatsu_household(path):
    return next(r[0] for r in raw(path, "世帯")[1:] if r[6] == HOUKATSU and r[4] == "あり" and r[5] == "支援中")


def request(path, hid, to, text="検討をお願いします", user="houkatsu"):
    at = open_page("screens/household.py", user=user, id=hid, entry_tab="つなぐ")
    form = f"entry_refer_{hid}"
    at.selectbox(key=f"{form}_to").select(to)
    at.text_area(key=f"{form}_text").input(text)
    return press(at, "依頼する")


def inbox_answer(referral_id, action, user="kyodo"):
    """ホーム of the recipient with a request and its answer chosen in the inbox (not yet saved)."""
    home = open_page("screens/home.py", user=user)
    home.selectbox(key="entry_inbox_id").select(referral_id)
    home.radio(key="entry_inbox_action").set_value(action)
    return home


def test_request_from_the_household_screen_then_accept_from_the_inbox(town):
    hid = houkatsu_household(town)
    at = request(town, hid, HUB)
    assert not at.exception
    (done,) = messages(at, "success")
    referral_id = done.split("（")[1].rstrip("）。")
    row = raw(town, "つなぎ")[-1]
    assert row[:8] == [referral_id, hid, TODAY, HOUKATSU, HUB, "つなぎ", "検討をお願いします", "依頼中"]

    home = open_page("screens/home.py", user="kyodo")
    table = next(d.value for d in home.dataframe if "経過日数" in d.value.columns)
    assert referral_id in list(table["つなぎID"])
    home = press(inbox_answer(referral_id, "受理"), "応答を保存")
    assert messages(home, "success") == [f"依頼 {referral_id} を受理しました。"]
    row = next(r for r in raw(town, "つなぎ") if r[0] == referral_id)
    assert row[7:10] == ["受理", TODAY, "多機関協働 森田（見本）"]


def test_a_return_needs_a_reason_and_the_requester_sees_it(town):
    hid = houkatsu_household(town)
    request(town, hid, HUB)
    referral_id = raw(town, "つなぎ")[-1][0]
    home = press(inbox_answer(referral_id, "差し戻し"), "応答を保存")
    assert "**応答コメント**" in messages(home, "error")[0]
    assert raw(town, "つなぎ")[-1][7] == "依頼中"
    home.text_input(key="entry_inbox_comment").input("包括で対応できる内容です")
    home = press(home, "応答を保存")
    assert raw(town, "つなぎ")[-1][7:11] == ["差し戻し", TODAY, "多機関協働 森田（見本）", "包括で対応できる内容です"]
    mine = open_page("screens/home.py", user="houkatsu")
    sent = next(d.value for d in mine.dataframe if "依頼先機関" in d.value.columns and "応答コメント" in d.value.columns)
    assert sent.iloc[0][["つなぎID", "状態", "応答コメント"]].tolist() == [referral_id, "差し戻し", "包括で対応できる内容です"]


def test_the_requester_can_withdraw_while_waiting(town):
    hid = houkatsu_household(town)
    at = request(town, hid, HUB)
    referral_id = raw(town, "つなぎ")[-1][0]
    at = open_page("screens/household.py", user="houkatsu", id=hid, entry_tab="つなぐ")
    at.selectbox(key=f"entry_withdraw_{hid}_id").select(referral_id)
    at = press(at, "依頼を取り下げる")
    assert messages(at, "success") == [f"依頼 {referral_id} を取り下げました。"]
    assert raw(town, "つなぎ")[-1][7] == "取り下げ"
    assert not [b for b in at.button if b.label == "依頼を取り下げる"]


def test_a_late_answer_is_told_the_request_was_withdrawn_and_keeps_the_comment(town):
    """The recipient chooses a request and types a comment; meanwhile the requester withdraws it
    in another browser. The answer says so, keeps the comment, and writes nothing."""
    hid = houkatsu_household(town)
    request(town, hid, HUB)
    referral_id = raw(town, "つなぎ")[-1][0]
    home = inbox_answer(referral_id, "受理")
    home.text_input(key="entry_inbox_comment").input("来週訪問します")
    withdraw = open_page("screens/household.py", user="houkatsu", id=hid, entry_tab="つなぐ")   # another browser
    withdraw.selectbox(key=f"entry_withdraw_{hid}_id").select(referral_id)
    press(withdraw, "依頼を取り下げる")
    before = raw(town, "つなぎ")
    assert before[-1][7] == "取り下げ"
    home = press(home, "応答を保存")
    (said,) = messages(home, "error")
    assert "この依頼はもう取り下げられています（" in said and "応答は保存していません" in said
    assert home.text_input(key="entry_inbox_comment").value == "来週訪問します"
    assert home.selectbox(key="entry_inbox_id").value == referral_id
    assert raw(town, "つなぎ") == before                                        # nothing written


def test_a_recipient_who_is_not_a_member_cannot_get_a_secret_case(town):
    hh = raw(town, "世帯")[1:]
    hid = next(r[0] for r in hh if r[6] == HOUKATSU and r[4] != "あり")
    at = request(town, hid, KYOTAKU)
    assert "支援会議構成員" in messages(at, "error")[0]
    assert raw(town, "つなぎ")[-1][1] != hid or raw(town, "つなぎ")[-1][4] != KYOTAKU


def test_the_inbox_shows_only_name_and_request_before_acceptance(town):
    hid = houkatsu_household(town)
    request(town, hid, KYOTAKU, text="ケアプランの見直しをお願いします")
    home = open_page("screens/home.py", user="kyotaku")
    table = next(d.value for d in home.dataframe if "経過日数" in d.value.columns)
    assert list(table.columns) == ["つなぎID", "世帯ID", "表示名", "種類", "依頼元機関", "依頼内容", "依頼日", "経過日数", "期限超過"]
    assert table.iloc[-1]["依頼内容"] == "ケアプランの見直しをお願いします"
    detail = open_page("screens/household.py", user="kyotaku", id=hid)
    assert "表示できる世帯の中にありません" in html.unescape(detail.warning[0].value)
    projected = open_page("screens/home.py", user="kyotaku", projection=True)
    shown = next(d.value for d in projected.dataframe if "経過日数" in d.value.columns)
    assert (shown["依頼内容"].fillna("") == "").all() and shown.iloc[-1]["表示名"] != table.iloc[-1]["表示名"]
    assert not [b for b in projected.button if b.label == "応答を保存"]


def test_closure_with_evaluation_sends_the_hand_over_and_offers_the_sheet(town):
    hid = houkatsu_household(town)
    at = open_page("screens/household.py", user="houkatsu", id=hid, entry_tab="終結と評価")
    form = f"entry_close_{hid}"
    targets = [r[1] for r in raw(town, "支援プラン") if r[0] == hid]
    at = press(at, "終結を保存")                      # nothing evaluated yet: each goal is named
    assert f"{targets[0]}" in messages(at, "error")[0] and "達成度" in messages(at, "error")[0]
    for i in range(len(targets)):
        at.selectbox(key=f"{form}_achieved_{i}").select("達成")
        at.text_input(key=f"{form}_change_{i}").input("安定した")
    at.selectbox(key=f"{form}_watcher").select(KYOTAKU)
    at.text_area(key=f"{form}_reason").input("目標を達成したため")
    at.text_input(key=f"{form}_tie_0").input("北部ふれあいいきいきサロン")
    at.selectbox(key=f"{form}_tiekind_0").select("社会資源")
    at.selectbox(key=f"{form}_tiesteady_0").select("安定")
    at.text_input(key=f"{form}_tienote_0").input("週1回通っている")
    at.text_input(key=f"{form}_tie_1").input("近所の友人")
    member = next(r[1] for r in raw(town, "世帯員") if r[0] == hid)
    at.selectbox(key=f"{form}_tiewho_1").select(member)                  # the 世帯員 the connection is of
    at.selectbox(key=f"{form}_tiesteady_2").select("ときどき")            # a line without its つながり先:
    at.text_input(key=f"{form}_tienote_2").input("月1回電話がある")
    at = press(at, "終結を保存")
    (refused,) = messages(at, "error")
    assert "つながり3のつながり先" in refused                              # the whole 終結 waits, nothing lost
    assert next(r for r in raw(town, "世帯") if r[0] == hid)[5] != "終結"
    assert at.text_input(key=f"{form}_tienote_2").value == "月1回電話がある"
    at.button(key=f"closure_more_{hid}").click().run()                  # a 4th line
    at.text_input(key=f"{form}_tie_2").input("民生委員の山本さん")
    at.text_input(key=f"{form}_tie_3").input("いとこ")
    at = press(at, "終結を保存")
    assert not at.exception
    assert messages(at, "success") == [f"終結と評価を保存しました。{KYOTAKU}に引継ぎを依頼しました。"]
    h = next(r for r in raw(town, "世帯") if r[0] == hid)
    assert (h[5], h[13]) == ("終結", TODAY)
    evaluations = [r for r in raw(town, "評価") if r[0] == hid]
    assert len(evaluations) == len(targets) and all(r[4] == "達成" and r[7] == KYOTAKU for r in evaluations)
    hand_over = raw(town, "つなぎ")[-1]
    assert hand_over[1:8] == [hid, TODAY, HOUKATSU, KYOTAKU, "引継ぎ", hand_over[6], "依頼中"]
    assert [b.label for b in at.get("download_button")][-2:] == ["評価シート（Excel）", "評価シート（PDF）"]
    ties = [r for r in raw(town, "つながり評価") if r[0] == hid]         # 別紙2-7, beside the 評価
    assert [r[1:7] for r in ties] == [[TODAY, "世帯", "北部ふれあいいきいきサロン", "社会資源", "安定", "週1回通っている"],
                                      [TODAY, member, "近所の友人", "", "", ""],
                                      [TODAY, "世帯", "民生委員の山本さん", "", "ときどき", "月1回電話がある"],
                                      [TODAY, "世帯", "いとこ", "", "", ""]]
    from openpyxl import load_workbook
    import io
    from lib.meetings import paperwork
    from lib.workbook import sources
    sheet = paperwork.evaluation_sheet(sources.load(sources.resolve()).workbook, hid)
    book = load_workbook(io.BytesIO(paperwork.to_xlsx([sheet])))
    text = " ".join(str(c.value) for row in book.active.iter_rows() for c in row if c.value)
    assert "つながり評価（別紙2-7）" in text and "北部ふれあいいきいきサロン" in text and "週1回通っている" in text


def test_directory_screen_lists_agencies_with_requests_and_load():
    at = open_page("screens/agencies.py", user="kyodo")
    table = at.dataframe[0].value.set_index("機関名")
    assert table.at[HUB, "受けた依頼（依頼中）"] == 2 and table.at[HOUKATSU, "電話"].startswith("0868-")
    at.text_input(key="agencies_filter").input("包括")
    at.run()
    assert list(at.dataframe[0].value["機関名"]) == [HOUKATSU]


def test_board_flags_requests_waiting_past_the_setting(monkeypatch):
    at = open_page("screens/board.py", user="kyodo")
    assert "つなぎ未応答" in "".join(m.value for m in at.markdown)
    monkeypatch.setenv("TSUNAGU_REFERRAL_DAYS", "60")
    at = open_page("screens/board.py", user="kyodo")
    cards = "".join(m.value for m in at.markdown)
    assert "つなぎ未応答" in cards and "tb-urg-高\">つなぎ未応答" not in cards
    home = open_page("screens/home.py", user="kyodo")
    assert "日を過ぎても応答されていません" not in texts(home)
