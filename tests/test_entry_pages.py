"""Every entry form through Streamlit's AppTest, on a copy of the sample town: what a person types,
what the screen says, and the workbook cells afterwards."""
import datetime as dt
import shutil

import pytest

from lib.workbook import sources, xlsx_cells
from tests.conftest import SAMPLE
from tests.test_pages import open_page, texts

TODAY = dt.date(2026, 11, 24)


@pytest.fixture(autouse=True)
def town(tmp_path, monkeypatch):
    path = tmp_path / "town.xlsx"
    shutil.copy(SAMPLE, path)
    monkeypatch.setenv("TSUNAGU_WORKBOOK", str(path))
    monkeypatch.setenv("TSUNAGU_BACKUP_DIR", str(tmp_path / "backups"))
    monkeypatch.setenv("TSUNAGU_TODAY", TODAY.isoformat())
    return path


def raw(path, title):
    return sources.read_excel(path)[title]


def press(at, label):
    next(b for b in at.button if b.label == label).click()
    return at.run()


def messages(at, kind):
    return [e.value for e in getattr(at, kind)]


def contacts_table(at):
    """The 経過記録 table of 世帯詳細 (the one with a 訂正 column)."""
    return next(d.value for d in at.dataframe if "訂正" in d.value.columns)


def audit_lines(folder):
    import json
    return [json.loads(line) for f in sorted(folder.glob("*.jsonl")) for line in f.read_text().splitlines()]


def test_contact_saved_from_the_household_screen_lands_in_the_sheet_and_the_audit_log(town, signed_in_setup):
    at = open_page("screens/household.py", id="H-004")
    form = "entry_contact_H-004"
    assert at.date_input(key=f"{form}_day").value == dt.date(2026, 11, 24)          # today, picked not typed
    at.date_input(key=f"{form}_day").set_value(dt.date(2026, 11, 23))
    at.selectbox(key=f"{form}_method").select("電話")
    at.text_area(key=f"{form}_text").input("長男と電話。通院は続いている")
    at = press(at, "経過記録を保存")
    assert not at.exception
    assert messages(at, "success") == ["経過記録を保存しました。"]
    last = raw(town, "経過記録")[-1]
    assert last[:6] == [dt.date(2026, 11, 23), "H-004", "福祉課 多機関協働係", "管理者（見本）", "電話", "長男と電話。通院は続いている"]
    assert at.text_area(key=f"{form}_text").value == ""                      # the form is empty again
    assert "長男と電話。通院は続いている" in contacts_table(at).to_csv()   # 経過記録 table, at once
    writes = [e for e in audit_lines(signed_in_setup) if e["event"] == "write"]
    assert writes[-1]["user"] == "admin" and writes[-1]["rows"] == [["経過記録", len(raw(town, "経過記録"))]]


def test_a_bad_date_names_the_field_and_keeps_what_was_typed(town):
    at = open_page("screens/household.py", id="H-004", entry_tab="段階を動かす")
    form = "entry_stage_H-004"
    before = len(raw(town, "段階履歴"))
    at.text_input(key=f"{form}_day").input("R8.11.31")
    at.selectbox(key=f"{form}_stage").select("見守り")
    at.text_area(key=f"{form}_reason").input("落ち着いたため")
    at = press(at, "段階を保存")
    (error,) = messages(at, "error")
    assert "**日付**" in error and "保存していません" in error
    assert at.text_area(key=f"{form}_reason").value == "落ち着いたため" and at.text_input(key=f"{form}_day").value == "R8.11.31"
    assert len(raw(town, "段階履歴")) == before


def test_a_contact_s_day_is_picked_and_never_later_than_today(town):
    """経過記録's 日付 is a calendar (a phone after a home visit): today by default, no later day offered."""
    at = open_page("screens/household.py", id="H-004")
    day = at.date_input(key="entry_contact_H-004_day")
    assert day.value == dt.date(2026, 11, 24) and day.proto.max == "2026-11-24"


def test_a_correction_is_a_new_row_pointing_at_the_original(town):
    at = open_page("screens/household.py", id="H-004")
    form = "entry_contact_H-004"
    original = at.selectbox(key=f"{form}_corrects").options[1]
    ref = original.rsplit("（", 1)[1].rstrip("）")
    at.selectbox(key=f"{form}_corrects").select_index(1)
    at.selectbox(key=f"{form}_method").select("訪問")
    at.text_area(key=f"{form}_text").input("日付の誤りを訂正")
    at = press(at, "経過記録を保存")
    rows = raw(town, "経過記録")
    assert rows[-1][5:] == ["日付の誤りを訂正", rows[-1][6], ref]
    assert len([r for r in rows if r[1] == "H-004"]) == len([r for r in raw(SAMPLE, "経過記録") if r[1] == "H-004"]) + 1
    table = contacts_table(at)
    assert (table["訂正"] == "訂正されました").sum() == 1 and table["訂正"].str.startswith("訂正（").sum() == 1


def test_a_stage_move_needs_its_reason_then_shows_on_the_board_at_once(town):
    at = open_page("screens/household.py", id="H-004", entry_tab="段階を動かす")
    form = "entry_stage_H-004"
    at.selectbox(key=f"{form}_stage").select("終結")
    at = press(at, "段階を保存")
    assert "終結と評価" in messages(at, "error")[0]              # 終結 goes with its 評価 (test_referral_pages)
    at.selectbox(key=f"{form}_stage").select("中断")
    at = press(at, "段階を保存")
    assert "**理由**" in messages(at, "error")[0]
    assert at.selectbox(key=f"{form}_stage").value == "中断"
    at.text_area(key=f"{form}_reason").input("連絡が取れなくなったため")
    at = press(at, "段階を保存")
    assert messages(at, "success") == ["段階を「中断」にしました。"]
    h004 = next(r for r in raw(town, "世帯") if r[0] == "H-004")
    assert (h004[5], h004[14]) == ("中断", TODAY)
    assert raw(town, "段階履歴")[-1] == ["H-004", TODAY, "支援中", "中断", "連絡が取れなくなったため", "管理者（見本）"]
    at.switch_page("screens/board.py")
    at.run()
    closed = next(e for e in at.expander if e.label.startswith("中断"))
    assert "木下世帯" in str([link.label for link in closed.get("page_link")])


def test_consent_withdrawal_moves_the_household_to_shien_kaigi_on_the_board(town):
    at = open_page("screens/board.py")
    before = {m.label: m.value for m in at.metric}
    at.switch_page("screens/household.py")
    at.query_params["id"] = "H-004"
    at.session_state["entry_tab_H-004"] = "同意を記録"
    at.run()
    form = "entry_consent_H-004"
    at.radio(key=f"{form}_value").set_value("撤回")
    at.selectbox(key=f"{form}_scope").select("両方")
    at = press(at, "同意を保存")
    assert messages(at, "success") == ["同意「撤回」を記録しました。"]
    assert raw(town, "同意記録")[-1][:4] == ["H-004", TODAY, "撤回", "両方"]
    assert next(r for r in raw(town, "世帯") if r[0] == "H-004")[4] == "なし"
    at.switch_page("screens/board.py")
    at.run()
    after = {m.label: m.value for m in at.metric}
    assert int(after["支援会議へ"]) == int(before["支援会議へ"]) + 1
    assert int(after["重層的支援会議へ"]) == int(before["重層的支援会議へ"]) - 1


def test_plan_editor_changes_a_cell_and_adds_a_crisis_row(town):
    at = open_page("screens/household.py", id="H-004", entry_tab="支援プランを編集")
    first = next(r for r in raw(town, "支援プラン") if r[0] == "H-004" and r[1] == "A氏")
    status = "中止" if first[7] != "中止" else "見直し"
    at.session_state["entry_plan_H-004_A氏"] = {"edited_rows": {0: {"状況": status, "期限": "R9.1.31"}},
                                               "added_rows": [], "deleted_rows": []}
    at.session_state["entry_plan_H-004_危機介入"] = {"edited_rows": {}, "deleted_rows": [],
                                                 "added_rows": [{"目標": "夜間の連絡先を決める", "状況": "未着手"}]}
    at = press(at, "プランを保存")
    assert not at.exception
    assert messages(at, "success") == ["プランを保存しました（変更 3セル、追加 1行）。"]
    rows = [r for r in raw(town, "支援プラン") if r[0] == "H-004"]
    a = next(r for r in rows if r[1] == "A氏")
    assert (a[6], a[7], a[8]) == (dt.date(2027, 1, 31), status, TODAY)
    assert rows[-1][:3] == ["H-004", "危機介入", "夜間の連絡先を決める"] and rows[-1][7:] == ["未着手", TODAY]


def test_a_row_changed_in_the_sheet_meanwhile_refuses_the_save_and_says_what_changed(town):
    at = open_page("screens/household.py", id="H-004", entry_tab="段階を動かす")
    row = next(n for n, r in enumerate(raw(town, "世帯"), start=1) if r[0] == "H-004")
    town.write_bytes(xlsx_cells.apply(town.read_bytes(), xlsx_cells.Edits(cells=[("世帯", row, 5, "見守り")]))[0])
    form = "entry_stage_H-004"
    at.selectbox(key=f"{form}_stage").select("中断")
    at.text_area(key=f"{form}_reason").input("連絡が取れない")
    at = press(at, "段階を保存")
    assert "シートで次のところが変わっています" in messages(at, "error")[0]
    table = next(d.value for d in at.dataframe if "いまの値" in d.value.columns)
    assert table.iloc[0].to_dict() == {"タブ": "世帯", "行": "H-004", "列": "段階", "画面で見ていた値": "支援中", "いまの値": "見守り"}
    assert at.text_area(key=f"{form}_reason").value == "連絡が取れない"
    assert next(r for r in raw(town, "世帯") if r[0] == "H-004")[5] == "見守り"


def test_a_file_open_in_excel_gives_a_japanese_message_and_keeps_the_text(town):
    at = open_page("screens/household.py", id="H-004")
    town.with_name("~$" + town.name).write_bytes(b"x")
    form = "entry_contact_H-004"
    at.selectbox(key=f"{form}_method").select("訪問")
    at.text_area(key=f"{form}_text").input("大事な記録")
    at = press(at, "経過記録を保存")
    assert "Excel で開かれています" in messages(at, "error")[0]
    assert at.text_area(key=f"{form}_text").value == "大事な記録"
    assert not at.exception


def test_intake_creates_a_new_household_and_warns_about_a_similar_name(town):
    at = open_page("screens/intake.py")
    f = "entry_intake"
    at.text_input(key=f"{f}_name").input("木下世帯")
    at.selectbox(key=f"{f}_area").select("北部")
    at.multiselect(key=f"{f}_issues").select("8050")
    at.radio(key=f"{f}_consent").set_value("同意する")
    at = press(at, "相談受付を保存")
    import html
    warning = html.unescape(messages(at, "warning")[0])
    assert "似た表示名の世帯" in warning and "木下世帯（H-004）" in warning
    assert len(raw(town, "世帯")) == 61
    at.checkbox(key=f"{f}_similar_ok").check()
    at = press(at, "相談受付を保存")
    assert not at.exception
    assert messages(at, "success") == ["相談受付を保存しました（世帯ID H-061、段階「受付」）。"]
    new = raw(town, "世帯")[-1]
    assert new[:6] == ["H-061", "木下世帯", "北部", "8050", "あり", "受付"] and new[8] == TODAY
    assert raw(town, "同意記録")[-1][:3] == ["H-061", TODAY, "あり"]
    assert raw(town, "段階履歴")[-1][:4] == ["H-061", TODAY, "", "受付"]
    assert at.text_input(key=f"{f}_name").value == ""


def test_intake_checks_its_fields(town):
    at = open_page("screens/intake.py")
    at.text_input(key="entry_intake_received").input("令和8年13月1日")
    at = press(at, "相談受付を保存")
    error = messages(at, "error")[0]
    assert "**表示名**" in error and "**受付日**" in error
    assert len(raw(town, "世帯")) == 61


def test_a_board_card_menu_records_a_contact(town):
    at = open_page("screens/board.py")
    while not any(b.key == "record_H-004" for b in at.button):     # 10 cards a column at first
        next(b for b in at.button if b.key == "more_支援中").click().run()
    next(b for b in at.button if b.key == "record_H-004").click()
    at.run()
    form = "entry_card_contact_H-004"
    at.selectbox(key=f"{form}_method").select("同行")
    at.text_area(key=f"{form}_text").input("通院に同行")
    at = press(at, "経過記録を保存")
    assert not at.exception
    assert raw(town, "経過記録")[-1][1:6] == ["H-004", "福祉課 多機関協働係", "管理者（見本）", "同行", "通院に同行"]
    assert messages(at, "success") == ["経過記録を保存しました。"]


ALL_FORMS = ["経過記録を追加", "段階を動かす", "同意を記録", "支援プランを編集", "アセスメント", "参加支援", "終結と評価", "つなぐ"]


@pytest.mark.parametrize("user, hid, forms", [
    ("houkatsu", "H-004", ALL_FORMS),   # its own lead household
    ("kyodo", "H-004", ALL_FORMS),
    ("eturan", "H-004", []),
])
def test_each_role_sees_only_the_forms_it_may_use(user, hid, forms):
    at = open_page("screens/household.py", user=user, id=hid)
    assert [t.label for t in at.tabs] == forms
    buttons = {b.label for b in at.button} & {"経過記録を保存", "段階を保存", "同意を保存", "プランを保存"}
    assert buttons == ({"経過記録を保存"} if forms else set())        # only the open tab's form is drawn
    if forms:
        at.session_state["entry_tab_H-004"] = "支援プランを編集"
        at.run()
        assert {b.label for b in at.button} & {"経過記録を保存", "プランを保存"} == {"プランを保存"}


def test_staff_of_a_partner_agency_only_add_contacts_and_fixed_to_their_agency():
    from lib.access.scope import visible_households
    from lib.access.users import STAFF, User
    wb = sources.load(sources.resolve()).workbook
    user = User("kyotaku", "x", STAFF, "居宅介護支援事業所 みどりの里")
    hh = wb["世帯"].set_index("世帯ID")
    hid = next(h for h in sorted(visible_households(wb, user)) if hh.at[h, "主担当機関"] != user.agency)
    at = open_page("screens/household.py", user="kyotaku", id=hid)
    shown = {b.label for b in at.button} & {"経過記録を保存", "段階を保存", "同意を保存", "プランを保存"}
    assert shown == {"経過記録を保存"}
    agency = at.text_input(key=f"entry_contact_{hid}_agency")
    assert agency.value == "居宅介護支援事業所 みどりの里" and agency.disabled


def test_projection_shows_no_form_and_intake_refuses():
    at = open_page("screens/household.py", projection=True, id="H-004")
    assert not {b.label for b in at.button} & {"経過記録を保存", "段階を保存"}
    at = open_page("screens/intake.py", projection=True)
    assert "投影モードでは受け付けできません" in texts(at)
    assert not [b for b in at.button if b.label == "相談受付を保存"]


def test_an_assessment_starts_from_the_latest_saves_a_new_row_and_prints(town, signed_in_setup):
    at = open_page("screens/household.py", id="H-004", entry_tab="アセスメント")
    form = "entry_assess_H-004"
    before = raw(town, "アセスメント")
    latest = [r for r in before[1:] if r[0] == "H-004"]
    header = before[0]
    if latest:                                                      # the fields start from the latest one
        newest = max(latest, key=lambda r: r[1])
        assert at.text_area(key=f"{form}_支援の方向").value == newest[header.index("支援の方向")]
        assert any("前回" in c.value for c in at.caption)
    at.text_area(key=f"{form}_本人の思い").input("「母の介護を続けたい」")
    at.text_area(key=f"{form}_強み").input("近所に頼れる友人がいる")
    at.text_input(key=f"{form}_day").input("R8.11.22")
    at = press(at, "アセスメントを保存")
    assert not at.exception and messages(at, "success") == ["アセスメントを保存しました。"]
    after = raw(town, "アセスメント")
    assert after[:-1] == before
    row = dict(zip(header, after[-1]))
    assert (row["世帯ID"], row["実施日"], row["本人の思い"], row["強み"], row["記入者"]) == (
        "H-004", dt.date(2026, 11, 22), "「母の介護を続けたい」", "近所に頼れる友人がいる", "管理者（見本）")
    assert "**強み**: 近所に頼れる友人がいる" in texts(at)                # the newest is shown at once
    downloads = [b for b in at.get("download_button") if "別紙2-3" in b.proto.label]
    assert [b.proto.label for b in downloads] == ["別紙2-3（Excel）", "別紙2-3（PDF）"]


def test_an_assessment_needs_one_heading_and_keeps_what_was_typed(town):
    at = open_page("screens/household.py", id="H-001", entry_tab="アセスメント")
    form = "entry_assess_H-001"
    for name in ("本人の思い", "生活歴", "健康", "経済", "住まい", "家族関係", "社会関係", "強み", "課題の見立て", "支援の方向"):
        at.text_area(key=f"{form}_{name}").input("")
    at.text_input(key=f"{form}_day").input("R8.13.1")
    before = raw(town, "アセスメント")
    at = press(at, "アセスメントを保存")
    error = " ".join(messages(at, "error"))
    assert "実施日" in error and "どれか一つ" in error
    assert raw(town, "アセスメント") == before
    assert at.text_input(key=f"{form}_day").value == "R8.13.1"


def test_projection_shows_that_assessments_exist_but_not_what_they_say():
    at = open_page("screens/household.py", projection=True, id="H-004")
    body = texts(at)
    assert "投影モードのため内容は表示しません" in body or "まだありません" in body
    assert "家族関係" not in [r for d in at.dataframe for r in d.value.columns]


def test_the_same_entry_made_again_after_the_form_was_cleared_is_saved_again(town):
    """見守り, 支援中, then 見守り again the same day with the same words: three moves, not 「保存済み」
    for the third (a double click's second press is the same filling of the form; this is a new one)."""
    at = open_page("screens/household.py", id="H-004", entry_tab="段階を動かす")
    form = "entry_stage_H-004"
    before = len(raw(town, "段階履歴"))
    for stage in ("見守り", "支援中", "見守り"):
        at.selectbox(key=f"{form}_stage").select(stage)
        at = press(at, "段階を保存")
        assert messages(at, "success") == [f"段階を「{stage}」にしました。"]
    assert [r[3] for r in raw(town, "段階履歴")[before:]] == ["見守り", "支援中", "見守り"]
