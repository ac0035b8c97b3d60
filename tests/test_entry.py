"""Casework entry (lib.casework.entry) as plans, and those plans written to Excel and to Google
Sheets (real gspread over HTTP to the fake server), with the workbook cells checked afterwards."""
import copy
import datetime as dt
import shutil
import threading

import pytest

from lib.access.scope import allowed_entries
from lib.access.users import ADMIN, COORDINATOR, STAFF, VIEWER, User
from lib.casework import entry
from lib.workbook import schema, sources, xlsx_cells
from lib.workbook.writeplan import MISSING, TAKEN
from tests.conftest import SAMPLE, SHEET_KEY

TODAY = dt.date(2026, 11, 24)


@pytest.fixture
def town(tmp_path):
    path = tmp_path / "town.xlsx"
    shutil.copy(SAMPLE, path)
    config = sources.resolve({"TSUNAGU_WORKBOOK": str(path), "TSUNAGU_BACKUP_DIR": str(tmp_path / "backups")}, {})
    return path, config


@pytest.fixture(scope="module")
def workbook():
    return sources.load(sources.resolve({}, {})).workbook


def household(wb, hid):
    return wb["世帯"].set_index("世帯ID").loc[hid]


def rows_of(path, title):
    return sources.read_excel(path)[title]


def sheets_config(root):
    return sources.resolve({"TSUNAGU_WORKBOOK": SHEET_KEY, "TSUNAGU_SHEETS_API_ROOT": root}, {})


# ---------------------------------------------------------------- field checks, one message per field

CONTACT_OK = dict(day="令和8年11月20日", method="訪問", agency="地域包括支援センター", staff="高野", text="元気そう")


@pytest.mark.parametrize("change, field, words", [
    ({"day": "R8.13.1"}, "日付", "月"),
    ({"day": ""}, "日付", "日付"),
    ({"day": "2026/12/1"}, "日付", "先の日付"),
    ({"method": None}, "方法", "方法"),
    ({"method": "FAX"}, "方法", "訪問"),
    ({"agency": "どこかの機関"}, "機関", "機関タブ"),
    ({"text": "  "}, "内容", "内容"),
])
def test_a_contact_form_names_each_field_to_fix(workbook, change, field, words):
    with pytest.raises(entry.Invalid) as bad:
        entry.contact(workbook, "H-004", **{**CONTACT_OK, **change}, today=TODAY)
    assert list(bad.value.errors) == [field]
    assert words in bad.value.errors[field]


@pytest.mark.parametrize("typed, expected", [
    ("令和8年11月20日", dt.date(2026, 11, 20)), ("R8.11.20", dt.date(2026, 11, 20)), ("2026/11/20", dt.date(2026, 11, 20)),
    ("２０２６－１１－２０", dt.date(2026, 11, 20)), (dt.date(2026, 11, 2), dt.date(2026, 11, 2)),
])
def test_a_contact_is_one_appended_row_with_the_date_as_typed_in_any_style(workbook, typed, expected):
    plan = entry.contact(workbook, "H-004", **{**CONTACT_OK, "day": typed}, today=TODAY)
    assert not plan.changes and not plan.expected
    (row,) = plan.appends
    assert row.tab == "経過記録" and row.values["日付"] == expected and row.values["世帯ID"] == "H-004"
    assert row.values["記録ID"].startswith("K-20261124-") and "訂正元" not in row.values


def test_a_correction_points_at_its_original_by_id_or_row(workbook):
    contacts = workbook["経過記録"]
    original = contacts[contacts["世帯ID"] == "H-004"].iloc[0].to_dict()
    plan = entry.contact(workbook, "H-004", **CONTACT_OK, today=TODAY, corrects=original)
    assert plan.appends[0].values["訂正元"] == f"{original['_row']}行目"
    with_id = {**original, "記録ID": "K-20261101-abcdef"}
    assert entry.contact(workbook, "H-004", **CONTACT_OK, today=TODAY, corrects=with_id).appends[0].values["訂正元"] == "K-20261101-abcdef"
    other = contacts[contacts["世帯ID"] == "H-005"].iloc[0].to_dict()
    with pytest.raises(entry.Invalid, match="訂正"):
        entry.contact(workbook, "H-004", **CONTACT_OK, today=TODAY, corrects=other)


def test_history_marks_corrections_and_their_originals(workbook):
    contacts = workbook["経過記録"]
    mine = contacts[contacts["世帯ID"] == "H-004"].copy()
    first = mine.iloc[0]
    mine.loc[len(contacts) + 1] = {**first.to_dict(), "_row": 999, "訂正元": f"{first['_row']}行目", "内容": "訂正"}
    history = entry.contact_history(mine).set_index("_row")
    assert history.at[999, "訂正"] == f"訂正（{first['_row']}行目 を訂正）"
    assert history.at[first["_row"], "訂正"] == "訂正されました"
    assert (history["訂正"] == "").sum() == len(mine) - 2


def test_a_household_outside_the_workbook_given_cannot_be_recorded(workbook):
    with pytest.raises(entry.Invalid) as bad:
        entry.contact(workbook, "H-999", **CONTACT_OK, today=TODAY)
    assert "記録できる世帯の中にありません" in bad.value.errors["世帯"]


# ---------------------------------------------------------------- 相談受付

@pytest.mark.parametrize("taken, expected", [
    (set(), "H-001"), ({"H-001", "H-060"}, "H-061"), ({"H-00001", "H-09999"}, "H-10000"),
    ({"H-009", "相談1"}, "H-010"), ({"A-7"}, "A-8"), ({"H-099", "H-100"}, "H-101"),
])
def test_a_new_household_id_follows_the_towns_pattern_and_is_free(taken, expected):
    assert entry.next_household_id(taken) == expected
    assert expected not in taken


def intake_form(**change):
    base = dict(name="新井世帯", area="中央", issues=["8050", "ひきこもり"], referrer="民生委員", consent="同意する",
                agency="地域包括支援センター", staff="高野", received="R8.11.20", urgency="中",
                members=[entry.Member("A氏", "本人", "82", "高齢", "腰痛"), entry.Member("B氏", "長男", "５４", "", "ひきこもり"),
                         entry.Member()])
    return entry.Intake(**{**base, **change})


def test_intake_is_a_household_at_uketsuke_with_members_consent_and_first_stage(workbook):
    plan, hid = entry.intake(workbook, intake_form(), taken=set(workbook["世帯"]["世帯ID"]), today=TODAY, by="高野")
    assert hid == "H-061"
    tabs = [a.tab for a in plan.appends]
    assert tabs == ["世帯", "世帯員", "世帯員", "同意記録", "段階履歴"]
    house = plan.appends[0]
    assert house.unique == "世帯ID"
    assert house.values["段階"] == "受付" and house.values["同意"] == "あり" and house.values["受付日"] == dt.date(2026, 11, 20)
    assert house.values["課題"] == ("8050", "ひきこもり")
    assert plan.appends[2].values["年齢"] == 54
    assert plan.appends[3].values == {"世帯ID": "H-061", "日付": dt.date(2026, 11, 20), "同意": "あり", "範囲": "両方",
                                      "取得者": "高野", "備考": "相談受付時"}
    assert plan.appends[4].values["新段階"] == "受付" and plan.appends[4].values["旧段階"] is None


def test_intake_with_unknown_consent_writes_no_consent_record(workbook):
    plan, _ = entry.intake(workbook, intake_form(consent="不明"), taken=set(), today=TODAY, by="x")
    assert "同意記録" not in [a.tab for a in plan.appends]
    assert plan.appends[0].values["同意"] == "不明"


@pytest.mark.parametrize("change, fields", [
    ({"name": ""}, ["表示名"]),
    ({"area": "月面"}, ["地区"]),
    ({"received": "昨日"}, ["受付日"]),
    ({"agency": "架空の機関"}, ["主担当機関"]),
    ({"members": [entry.Member("A氏", age="八十"), entry.Member("A氏")]}, ["世帯員1の年齢", "世帯員2の記号"]),
    ({"members": [entry.Member("", "長男", "50")]}, ["世帯員1の記号"]),
    ({"members": [entry.Member("危機介入")]}, ["世帯員1の記号"]),
])
def test_intake_names_every_field_to_fix_at_once(workbook, change, fields):
    with pytest.raises(entry.Invalid) as bad:
        entry.intake(workbook, intake_form(**change), taken=set(), today=TODAY, by="x")
    assert list(bad.value.errors) == fields


@pytest.mark.parametrize("name, area, found", [
    ("木下世帯", "北部", True), ("木下 世帯", "北部", True), ("ｷﾉｼﾀ世帯", "北部", False), ("木下世帯", "南部", False),
    ("全く別の名前", "北部", False),
])
def test_a_similar_name_in_the_same_area_is_found(workbook, name, area, found):
    hits = entry.similar_households(workbook, name, area)
    assert bool([h for h in hits if "H-004" in h]) == found


# ---------------------------------------------------------------- 同意 and 段階

def test_a_withdrawal_appends_a_record_and_moves_the_household_to_shien_kaigi(workbook):
    assert household(workbook, "H-004")["同意"] == "あり"
    plan = entry.consent(workbook, "H-004", day="R8.11.24", value="撤回", scope="両方", taker="高野", note="", today=TODAY)
    assert [a.tab for a in plan.appends] == ["同意記録"]
    assert [(c.column, c.old, c.new) for c in plan.changes] == [("同意", "あり", "なし")]
    assert ("世帯", "H-004") in plan.expected


@pytest.mark.parametrize("hid, value, scope, field", [
    ("H-004", "あり", None, "範囲"),            # consent needs its scope
    ("H-004", "そのうち", "両方", "同意"),
])
def test_consent_form_errors(workbook, hid, value, scope, field):
    with pytest.raises(entry.Invalid) as bad:
        entry.consent(workbook, hid, day="R8.11.24", value=value, scope=scope, taker="x", note="", today=TODAY)
    assert field in bad.value.errors


def test_withdrawing_a_consent_that_was_never_given_is_refused(workbook):
    hid = next(h for h, c in zip(workbook["世帯"]["世帯ID"], workbook["世帯"]["同意"]) if c == "なし")
    with pytest.raises(entry.Invalid, match="同意"):
        entry.consent(workbook, hid, day="R8.11.24", value="撤回", scope="両方", taker="x", note="", today=TODAY)


def test_a_consent_dated_before_a_later_record_does_not_change_the_household(workbook):
    consents = workbook["同意記録"]
    hid, last = next((h, d) for h, d, v in zip(consents["世帯ID"], consents["日付"], consents["同意"]) if v == "あり")
    plan = entry.consent(workbook, hid, day=last.date() - dt.timedelta(days=1), value="なし", scope=None, taker="x",
                         note="", today=TODAY)
    assert not plan.changes and [a.tab for a in plan.appends] == ["同意記録"]


@pytest.mark.parametrize("stage, reason, cells", [
    ("終結", "目標を達成", [("段階", "支援中", "終結"), ("終結日", None, TODAY)]),
    ("中断", "連絡が取れない", [("段階", "支援中", "中断"), ("中断日", None, TODAY)]),
    ("見守り", "", [("段階", "支援中", "見守り")]),
])
def test_a_stage_move_writes_the_stage_its_date_and_a_history_row(workbook, stage, reason, cells):
    plan = entry.stage_move(workbook, "H-004", stage=stage, day="R8.11.24", reason=reason, by="森田", today=TODAY,
                            evaluated=stage == "終結")      # 終結 comes with its 評価 (test_referrals)
    assert [(c.column, c.old, c.new) for c in plan.changes] == cells
    (history,) = plan.appends
    assert history.values == {"世帯ID": "H-004", "日付": TODAY, "旧段階": "支援中", "新段階": stage,
                              "理由": reason or None, "記入者": "森田"}


@pytest.mark.parametrize("hid_kind, stage, reason, field", [
    ("支援中", "支援中", "", "新しい段階"),
    ("支援中", "終結", "", "理由"),
    ("支援中", "中断", "   ", "理由"),
    ("見守り", "プラン作成", "", "新しい段階"),        # no consent, no plan
])
def test_stage_move_errors(workbook, hid_kind, stage, reason, field):
    hh = workbook["世帯"]
    hid = hh[(hh["段階"] == hid_kind) & ((hh["同意"] == "あり") == (hid_kind == "支援中"))]["世帯ID"].iloc[0]
    with pytest.raises(entry.Invalid) as bad:
        entry.stage_move(workbook, hid, stage=stage, day="R8.11.24", reason=reason, by="x", today=TODAY)
    assert field in bad.value.errors


def test_reopening_a_closed_case_keeps_its_closing_date(workbook):
    hh = workbook["世帯"]
    hid = hh[hh["段階"] == "終結"]["世帯ID"].iloc[0]
    plan = entry.stage_move(workbook, hid, stage="支援中", day="R8.11.24", reason="再び相談", by="x", today=TODAY)
    assert [c.column for c in plan.changes] == ["段階"]


# ---------------------------------------------------------------- 支援プラン

def test_plan_blocks_are_members_then_crisis_and_other(workbook):
    assert entry.plan_targets(workbook, "H-004") == ["A氏", "B氏", "危機介入", "その他"]
    rows = entry.plan_rows(workbook, "H-004")
    assert [r["対象"] for r in rows] == ["A氏", "B氏", "その他"]


def test_plan_edit_changes_cells_stamps_the_date_and_adds_rows(workbook):
    first = entry.plan_rows(workbook, "H-004")[0]
    status = next(s for s in schema.PLAN_STATUS if s != first["状況"])
    plan = entry.plan_edit(workbook, "H-004", edited={first["key"]: {"状況": status, "期限": "R9.1.31", "目標": first["目標"]}},
                           added=[{"対象": "危機介入", "目標": "夜間の連絡先を決める", "期限": "2027/3/1", "状況": "未着手"}],
                           today=TODAY)
    assert [(c.key, c.column, c.new) for c in plan.changes] == [
        (first["key"], "期限", dt.date(2027, 1, 31)), (first["key"], "状況", status), (first["key"], "更新日", TODAY)]
    assert plan.expected[("支援プラン", first["key"])]["対象"] == "A氏"
    assert plan.appends[0].values == {"世帯ID": "H-004", "対象": "危機介入", "目標": "夜間の連絡先を決める", "検討内容": None,
                                      "取組事項": None, "役割分担": None, "期限": dt.date(2027, 3, 1), "状況": "未着手",
                                      "更新日": TODAY}


@pytest.mark.parametrize("edited, added, field", [
    ({"__first__": {"期限": "R9.2.30"}}, [], "期限"),
    ({"__first__": {"状況": "たぶん"}}, [], "状況"),
    ({}, [{"対象": "Z氏", "目標": "x"}], "対象"),
    ({}, [{"対象": "その他", "検討内容": "だけ"}], "目標"),
])
def test_plan_edit_errors(workbook, edited, added, field):
    first = entry.plan_rows(workbook, "H-004")[0]["key"]
    edited = {first if k == "__first__" else k: v for k, v in edited.items()}
    with pytest.raises(entry.Invalid) as bad:
        entry.plan_edit(workbook, "H-004", edited=edited, added=added, today=TODAY)
    assert any(field in k for k in bad.value.errors)


# ---------------------------------------------------------------- who may record what

@pytest.mark.parametrize("user, hid, expected", [
    (User("a", "a", ADMIN, None), "H-004", set(entry.ENTRIES)),
    (User("k", "k", COORDINATOR, "福祉課 多機関協働係"), None, set(entry.ENTRIES)),
    (User("h", "h", STAFF, "地域包括支援センター"), "H-004", set(entry.ENTRIES)),          # its own lead household
    (User("h", "h", STAFF, "地域包括支援センター"), None, {"相談受付", "経過記録"}),
    (User("v", "v", VIEWER, None), "H-004", set()),
    (User("x", "x", STAFF, "どこにもない機関"), "H-004", set()),
    (User("n", "n", None, None), None, set()),
])
def test_what_each_role_may_record(workbook, user, hid, expected):
    assert set(allowed_entries(workbook, user, hid)) == expected


def test_staff_record_only_contacts_where_another_agency_leads_and_nothing_outside_scope(workbook):
    staff = User("h", "h", STAFF, "生活自立相談センター")
    hh = workbook["世帯"]
    plans = workbook["支援プラン"]
    shared = next(h for h, roles in zip(plans["世帯ID"], plans["役割分担"]) if "生活自立相談センター" in roles
                  and household(workbook, h)["主担当機関"] != "生活自立相談センター" and household(workbook, h)["同意"] == "あり")
    assert set(allowed_entries(workbook, staff, shared)) == {"相談受付", "経過記録"}
    stranger = next(h for h, lead in zip(hh["世帯ID"], hh["主担当機関"]) if h not in
                    __import__("lib.access.scope", fromlist=["x"]).visible_households(workbook, staff))
    assert set(allowed_entries(workbook, staff, stranger)) == {"相談受付"}


# ---------------------------------------------------------------- written to Excel

def test_every_entry_lands_in_the_excel_cells(town):
    path, config = town
    snapshot = sources.load(config)
    wb = snapshot.workbook
    plan, hid = entry.intake(wb, intake_form(), taken=set(wb["世帯"]["世帯ID"]), today=TODAY, by="高野")
    result = sources.write(config, snapshot, plan)
    assert [t for t, _ in result.rows] == ["世帯", "世帯員", "世帯員", "同意記録", "段階履歴"]
    raw = sources.read_excel(path)
    assert raw["世帯"][-1][:6] == ["H-061", "新井世帯", "中央", "8050、ひきこもり", "あり", "受付"]
    assert raw["世帯員"][-2][:4] == ["H-061", "A氏", "本人", 82]
    assert raw["段階履歴"][-1][:4] == ["H-061", dt.date(2026, 11, 20), "", "受付"]

    snapshot = sources.load(config)
    sources.write(config, snapshot, entry.stage_move(snapshot.workbook, "H-004", stage="終結", day="R8.11.24",
                                                      reason="目標を達成", by="森田", today=TODAY, evaluated=True))
    snapshot = sources.load(config)
    sources.write(config, snapshot, entry.consent(snapshot.workbook, "H-004", day="R8.11.24", value="撤回", scope="両方",
                                                  taker="高野", note="", today=TODAY))
    snapshot = sources.load(config)
    sources.write(config, snapshot, entry.contact(snapshot.workbook, "H-004", **CONTACT_OK, today=TODAY))
    raw = sources.read_excel(path)
    h004 = next(r for r in raw["世帯"] if r[0] == "H-004")
    assert (h004[4], h004[5], h004[13]) == ("なし", "終結", TODAY)
    assert raw["段階履歴"][-1][:5] == ["H-004", TODAY, "支援中", "終結", "目標を達成"]
    assert raw["同意記録"][-1][:4] == ["H-004", TODAY, "撤回", "両方"]
    assert raw["経過記録"][-1][:6] == [dt.date(2026, 11, 20), "H-004", "地域包括支援センター", "高野", "訪問", "元気そう"]
    after = sources.load(config).workbook
    assert household(after, "H-004")["同意"] == "なし"
    assert not [p for p in after.problems if p.severity != "info"]


def test_a_new_id_typed_into_the_sheet_meanwhile_is_refused_not_doubled(town):
    path, config = town
    snapshot = sources.load(config)
    plan, hid = entry.intake(snapshot.workbook, intake_form(), taken=set(snapshot.workbook["世帯"]["世帯ID"]),
                             today=TODAY, by="x")
    data, _, _ = xlsx_cells.apply(path.read_bytes(), xlsx_cells.Edits(appends=[(
        "世帯", [hid, "手入力世帯", "中央", "", "不明", "受付", "", "", dt.date(2026, 11, 22)])]))
    path.write_bytes(data)
    with pytest.raises(sources.WriteConflict) as refused:
        sources.write(config, snapshot, plan)
    assert [(c.key, c.now) for c in refused.value.conflicts] == [(hid, TAKEN)]
    assert [r[0] for r in rows_of(path, "世帯")].count(hid) == 1


def test_a_record_for_a_household_deleted_meanwhile_is_refused(town):
    path, config = town
    snapshot = sources.load(config)
    plan = entry.contact(snapshot.workbook, "H-004", **CONTACT_OK, today=TODAY)
    row = next(n for n, r in enumerate(rows_of(path, "世帯"), start=1) if r[0] == "H-004")
    path.write_bytes(xlsx_cells.apply(path.read_bytes(), xlsx_cells.Edits(cells=[("世帯", row, 0, "H-004-削除")]))[0])
    before = len(rows_of(path, "経過記録"))
    with pytest.raises(sources.WriteConflict) as refused:
        sources.write(config, snapshot, plan)
    assert [(c.key, c.now) for c in refused.value.conflicts] == [("H-004", MISSING)]
    assert len(rows_of(path, "経過記録")) == before


def test_plan_rows_are_found_after_rows_were_inserted_above_and_refused_when_changed(town):
    path, config = town
    snapshot = sources.load(config)
    first = entry.plan_rows(snapshot.workbook, "H-004")[0]
    assert first["状況"] != "中止"
    plan = entry.plan_edit(snapshot.workbook, "H-004", edited={first["key"]: {"状況": "中止"}}, added=[], today=TODAY)
    # Someone inserts rows above it in Excel before the save:
    from openpyxl import load_workbook
    book = load_workbook(path)
    book["支援プラン"].insert_rows(2, amount=2)
    book["支援プラン"]["A2"] = "H-001"
    book["支援プラン"]["B2"] = "A氏"
    book.save(path)
    sources.write(config, snapshot, plan)
    moved = int(first["key"]) + 2
    assert rows_of(path, "支援プラン")[moved - 1][:2] == ["H-004", "A氏"]
    assert rows_of(path, "支援プラン")[moved - 1][7] == "中止"

    snapshot = sources.load(config)
    first = entry.plan_rows(snapshot.workbook, "H-004")[0]
    plan = entry.plan_edit(snapshot.workbook, "H-004", edited={first["key"]: {"状況": "見直し"}}, added=[], today=TODAY)
    row = int(first["key"])
    path.write_bytes(xlsx_cells.apply(path.read_bytes(), xlsx_cells.Edits(cells=[("支援プラン", row, 2, "別の人が直した目標")]))[0])
    with pytest.raises(sources.WriteConflict) as refused:
        sources.write(config, snapshot, plan)
    assert [(c.column, c.now) for c in refused.value.conflicts] == [("目標", "別の人が直した目標")]
    assert rows_of(path, "支援プラン")[row - 1][7] == "中止"


def test_a_workbook_without_the_new_tabs_gets_them_on_the_first_save(tmp_path):
    from openpyxl import load_workbook
    path = tmp_path / "v1.xlsx"
    book = load_workbook(SAMPLE)
    for title in ("同意記録", "段階履歴", "つなぎ", "評価"):
        del book[title]
    book.save(path)
    config = sources.resolve({"TSUNAGU_WORKBOOK": str(path), "TSUNAGU_BACKUP_DIR": str(tmp_path / "b")}, {})
    snapshot = sources.load(config)
    assert not snapshot.workbook.has("段階履歴")
    result = sources.write(config, snapshot, entry.stage_move(snapshot.workbook, "H-004", stage="見守り", day="R8.11.24",
                                                              reason="", by="森田", today=TODAY))
    assert result.created == ["段階履歴"]
    raw = sources.read_excel(path)
    assert raw["段階履歴"] == [schema.TABS_BY_NAME["段階履歴"].column_names,
                             ["H-004", TODAY, "支援中", "見守り", "", "森田"]]
    after = load_workbook(path)
    assert after.sheetnames[-1] == "段階履歴" and "世帯" in after.sheetnames
    assert sources.load(config).workbook.has("段階履歴")


def test_two_people_adding_records_at_once_both_rows_are_kept(town):
    path, config = town
    snapshot = sources.load(config)
    plans = [entry.contact(snapshot.workbook, "H-004", **{**CONTACT_OK, "text": f"記録{i}"}, today=TODAY) for i in range(4)]
    errors = []

    def save(plan):
        try:
            sources.write(config, snapshot, plan)
        except Exception as e:        # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=save, args=(p,)) for p in plans]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    texts = [r[5] for r in rows_of(path, "経過記録") if r[1] == "H-004"]
    assert sorted(t for t in texts if t.startswith("記録")) == ["記録0", "記録1", "記録2", "記録3"]


def test_a_read_only_file_is_refused_in_japanese_and_left_as_it_was(town):
    path, config = town
    snapshot = sources.load(config)
    before = path.read_bytes()
    path.chmod(0o444)
    try:
        with pytest.raises(sources.WriteRefused, match="読み取り専用"):
            sources.write(config, snapshot, entry.contact(snapshot.workbook, "H-004", **CONTACT_OK, today=TODAY))
    finally:
        path.chmod(0o644)
    assert path.read_bytes() == before


def test_a_file_open_in_excel_is_refused(town):
    path, config = town
    snapshot = sources.load(config)
    path.with_name("~$" + path.name).write_bytes(b"owner")
    with pytest.raises(sources.WriteRefused, match="Excel で開かれています"):
        sources.write(config, snapshot, entry.contact(snapshot.workbook, "H-004", **CONTACT_OK, today=TODAY))


# ---------------------------------------------------------------- written to Google Sheets (fake server)

def test_sheets_contact_is_two_requests_and_a_stage_move_three(fake_sheets):
    fake, root = fake_sheets
    config = sheets_config(root)
    snapshot = sources.load(config)
    fake.requests.clear()
    sources.write(config, snapshot, entry.contact(snapshot.workbook, "H-004", **CONTACT_OK, today=TODAY))
    assert [r.path.rsplit(":", 1)[-1] for r in fake.requests] == ["batchGet", "append"]
    assert fake.requests[1].query["valueInputOption"] == ["RAW"]
    assert fake.books[SHEET_KEY]["経過記録"][-1][:6] == ["2026/11/20", "H-004", "地域包括支援センター", "高野", "訪問", "元気そう"]

    snapshot = sources.load(config)
    fake.requests.clear()
    sources.write(config, snapshot, entry.stage_move(snapshot.workbook, "H-004", stage="中断", day="R8.11.24",
                                                     reason="連絡が取れない", by="森田", today=TODAY))
    assert [r.path.rsplit(":", 1)[-1] for r in fake.requests] == ["batchGet", "batchUpdate", "append"]
    assert fake.requests[1].body["valueInputOption"] == "RAW"
    h004 = next(r for r in fake.books[SHEET_KEY]["世帯"] if r[0] == "H-004")
    assert (h004[5], h004[14]) == ("中断", "2026/11/24")
    assert fake.books[SHEET_KEY]["段階履歴"][-1] == ["H-004", "2026/11/24", "支援中", "中断", "連絡が取れない", "森田"]
    after = sources.load(config).workbook
    assert household(after, "H-004")["中断日"].date() == TODAY


def test_sheets_intake_and_a_missing_tab_added_once(fake_sheets):
    fake, root = fake_sheets
    del fake.books[SHEET_KEY]["段階履歴"]
    config = sheets_config(root)
    snapshot = sources.load(config)
    plan, hid = entry.intake(snapshot.workbook, intake_form(), taken=set(snapshot.workbook["世帯"]["世帯ID"]),
                             today=TODAY, by="高野")
    fake.requests.clear()
    result = sources.write(config, snapshot, plan)
    assert result.created == ["段階履歴"]
    assert fake.count("addSheet") == 1 and fake.count("append") == 4
    book = fake.books[SHEET_KEY]
    assert book["段階履歴"][0] == schema.TABS_BY_NAME["段階履歴"].column_names
    assert book["段階履歴"][1] == [hid, "2026/11/20", "", "受付", "相談受付", "高野"]
    assert book["世帯"][-1][:6] == [hid, "新井世帯", "中央", "8050、ひきこもり", "あり", "受付"]
    assert [r[1] for r in book["世帯員"] if r[0] == hid] == ["A氏", "B氏"]


@pytest.mark.parametrize("status", [429, 500])
def test_sheets_busy_or_failing_saves_nothing_and_says_so(fake_sheets, monkeypatch, status):
    fake, root = fake_sheets
    monkeypatch.setattr("lib.workbook.sheets.RETRY_BASE_DELAY", 0.01)
    config = sheets_config(root)
    snapshot = sources.load(config)
    before = copy.deepcopy(fake.books[SHEET_KEY])
    fake.always_fail = status
    with pytest.raises(sources.SourceUnavailable) as refused:
        sources.write(config, snapshot, entry.contact(snapshot.workbook, "H-004", **CONTACT_OK, today=TODAY))
    assert str(status) in str(refused.value)
    assert fake.books[SHEET_KEY] == before
    fake.always_fail = None
    fake.failures = [status]            # one refusal, then the retry goes through: one row, not two
    sources.write(config, snapshot, entry.contact(snapshot.workbook, "H-004", **CONTACT_OK, today=TODAY))
    assert len(fake.books[SHEET_KEY]["経過記録"]) == len(before["経過記録"]) + 1


def test_sheets_two_people_adding_at_once_keep_both_rows(fake_sheets):
    fake, root = fake_sheets
    config = sheets_config(root)
    snapshot = sources.load(config)
    plans = [entry.contact(snapshot.workbook, "H-004", **{**CONTACT_OK, "text": f"同時{i}"}, today=TODAY) for i in range(3)]
    threads = [threading.Thread(target=sources.write, args=(config, snapshot, p)) for p in plans]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r[5] for r in fake.books[SHEET_KEY]["経過記録"] if str(r[5]).startswith("同時")) == ["同時0", "同時1", "同時2"]


@pytest.mark.parametrize("save", ["intake", "stage_move", "contact"])
def test_a_save_on_the_unchanged_file_writes_what_a_save_after_a_fresh_read_writes(tmp_path, save):
    # When the file is byte for byte the one the snapshot was read from, a save skips reading it
    # again (nobody changed anything); it must write exactly the cells the full re-read path writes,
    # with a hand-added column and a heading typed twice in the sheet.
    import dataclasses
    data, _, _ = xlsx_cells.apply(SAMPLE.read_bytes(), xlsx_cells.Edits(cells=[
        ("経過記録", 1, 9, "独自メモ"), ("経過記録", 1, 10, "内容"), ("世帯", 1, 30, "備考2")]))
    plan = None
    results = []
    for fresh_read in (False, True):
        path = tmp_path / f"{fresh_read}.xlsx"
        path.write_bytes(data)
        config = sources.resolve({"TSUNAGU_WORKBOOK": str(path), "TSUNAGU_BACKUP_DIR": str(tmp_path / "b")}, {})
        snapshot = sources.load(config)
        assert snapshot.digest == sources._file_hash(data)
        if fresh_read:
            snapshot = dataclasses.replace(snapshot, digest=None)
        wb = snapshot.workbook
        plan = plan or {  # one plan for both files (a contact's 記録ID is random)
            "intake": lambda: entry.intake(wb, intake_form(), taken=set(wb["世帯"]["世帯ID"]), today=TODAY, by="高野")[0],
            "stage_move": lambda: entry.stage_move(wb, "H-004", stage="見守り", day="R8.11.24", reason="落ち着いた",
                                                   by="森田", today=TODAY),
            "contact": lambda: entry.contact(wb, "H-004", **CONTACT_OK, today=TODAY)}[save]()
        written = sources.write(config, snapshot, plan)
        results.append((written.cells, written.rows, dict(sources.read_excel(path))))
    assert results[0] == results[1]
    assert results[0][0] > 0 and results[0][2] != dict(sources.read_excel(SAMPLE))


# ---------------------------------------------------------------- アセスメント (別紙2-3)

ASSESSMENT_OK = dict(day="R8.11.20", target="世帯", agency="地域包括支援センター",
                     values={"本人の思い": "家で暮らしたい", "課題の見立て": "介護と孤立が重なる"})


@pytest.mark.parametrize("change, field, words", [
    ({"day": ""}, "実施日", "実施日"),
    ({"day": "2026/12/1"}, "実施日", "先の日付"),
    ({"target": "Z氏"}, "対象", "世帯員にいません"),
    ({"values": {}}, "本人の思い", "どれか一つ"),
    ({"values": {"本人の思い": "   "}}, "本人の思い", "どれか一つ"),
    ({"agency": "どこかの機関"}, "機関", "機関タブ"),
])
def test_an_assessment_form_names_each_field_to_fix(workbook, change, field, words):
    with pytest.raises(entry.Invalid) as bad:
        entry.assessment(workbook, "H-004", **{**ASSESSMENT_OK, **change}, by="高野", today=TODAY)
    assert words in bad.value.errors[field]


def test_an_assessment_is_a_new_row_and_the_earlier_one_stays(workbook, town):
    path, config = town
    before = rows_of(path, "アセスメント")
    targets = entry.assessment_targets(workbook, "H-004")
    assert targets[0] == "世帯" and set(targets[1:]) == set(workbook["世帯員"].query("世帯ID == 'H-004'")["記号"])
    plan = entry.assessment(workbook, "H-004", **{**ASSESSMENT_OK, "target": targets[1]}, by="高野", today=TODAY)
    sources.write(config, sources.load(config), plan)
    after = rows_of(path, "アセスメント")
    assert after[:-1] == before                                   # nothing typed earlier is touched
    header = after[0]
    row = dict(zip(header, after[-1]))
    assert (row["世帯ID"], row["実施日"], row["対象"], row["本人の思い"], row["課題の見立て"], row["機関"], row["記入者"]) == (
        "H-004", dt.date(2026, 11, 20), targets[1], "家で暮らしたい", "介護と孤立が重なる", "地域包括支援センター", "高野")
    assert row["記録ID"].startswith("A-20261124-") and row["生活歴"] in (None, "")          # left empty
    newest = entry.assessments(sources.load(config).workbook, "H-004")
    assert newest.iloc[0]["記録ID"] == row["記録ID"]


def test_sheets_an_assessment_is_one_append(fake_sheets):
    fake, root = fake_sheets
    config = sheets_config(root)
    snapshot = sources.load(config)
    fake.requests.clear()
    sources.write(config, snapshot, entry.assessment(snapshot.workbook, "H-004", **ASSESSMENT_OK, by="高野", today=TODAY))
    assert [r.path.rsplit(":", 1)[-1] for r in fake.requests] == ["batchGet", "append"]
    header = schema.TABS_BY_NAME["アセスメント"].column_names
    row = dict(zip(header, fake.books[SHEET_KEY]["アセスメント"][-1]))
    assert (row["世帯ID"], row["実施日"], row["本人の思い"], row["機関"]) == ("H-004", "2026/11/20", "家で暮らしたい", "地域包括支援センター")
