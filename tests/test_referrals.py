"""つなぎ・つなぎもどし・引継ぎ (lib.casework.referrals): requests, answers, closure with 評価, scope,
the inbox, counts and the directory — as plans, and written to Excel and to Sheets (fake server)."""
import datetime as dt
import shutil
import threading

import pytest

from lib.access.scope import Viewer, inbox, scope_workbook, visible_households
from lib.access.users import COORDINATOR, STAFF, User
from lib.casework import entry, indicators, referrals
from lib.workbook import schema, sources
from tests.conftest import SAMPLE, SHEET_KEY

TODAY = dt.date(2026, 11, 24)
HUB = "福祉課 多機関協働係"
HOUKATSU = "地域包括支援センター"
KYOTAKU = "居宅介護支援事業所 みどりの里"


@pytest.fixture
def town(tmp_path):
    path = tmp_path / "town.xlsx"
    shutil.copy(SAMPLE, path)
    return path, sources.resolve({"TSUNAGU_WORKBOOK": str(path), "TSUNAGU_BACKUP_DIR": str(tmp_path / "b")}, {})


@pytest.fixture(scope="module")
def workbook():
    return sources.load(sources.resolve({}, {})).workbook


def staff(agency, name="x"):
    return User(name, name, STAFF, agency)


def houkatsu_household(wb, consent="あり", stage="支援中"):
    hh = wb["世帯"]
    return hh[(hh["主担当機関"] == HOUKATSU) & (hh["同意"] == consent) & (hh["段階"] == stage)]["世帯ID"].iloc[0]


def ids(wb):
    return set(wb["つなぎ"]["つなぎID"])


def ask(wb, hid, to=HUB, kind="つなぎ", sender=HOUKATSU, text="多機関での検討をお願いします"):
    return referrals.request(wb, hid, sender=sender, recipient=to, kind=kind, text=text, today=TODAY, by="高野", taken=ids(wb))


# ---------------------------------------------------------------- requests

def test_a_request_is_a_new_row_waiting_with_a_free_id(workbook):
    hid = houkatsu_household(workbook)
    plan = ask(workbook, hid)
    (row,) = plan.appends
    assert row.unique == "つなぎID" and row.values["つなぎID"] == "T-0043"
    assert row.values == {"つなぎID": "T-0043", "世帯ID": hid, "依頼日": TODAY, "依頼元機関": HOUKATSU, "依頼先機関": HUB,
                          "種類": "つなぎ", "依頼内容": "多機関での検討をお願いします", "状態": "依頼中"}


@pytest.mark.parametrize("change, field, words", [
    ({"to": "架空の機関"}, "依頼先機関", "機関タブにありません"),
    ({"to": HOUKATSU}, "依頼先機関", "自分の機関"),
    ({"to": None}, "依頼先機関", "依頼先機関"),
    ({"kind": "おねがい"}, "種類", "つなぎ"),
    ({"text": ""}, "依頼内容", "依頼内容"),
    ({"sender": "どこか"}, "依頼元機関", "所属機関"),
])
def test_a_bad_request_names_its_field(workbook, change, field, words):
    hid = houkatsu_household(workbook)
    args = {"to": HUB, "kind": "つなぎ", "sender": HOUKATSU, "text": "依頼", **change}
    with pytest.raises(entry.Invalid) as bad:
        ask(workbook, hid, **args)
    assert words in bad.value.errors[field]


def test_a_secret_case_goes_only_to_a_shien_kaigi_member(workbook):
    hid = houkatsu_household(workbook, consent="なし", stage="見守り") if ((workbook["世帯"]["主担当機関"] == HOUKATSU)
                                                                      & (workbook["世帯"]["同意"] == "なし")
                                                                      & (workbook["世帯"]["段階"] == "見守り")).any() else None
    hh = workbook["世帯"]
    hid = hid or hh[hh["同意"] != "あり"]["世帯ID"].iloc[0]
    with pytest.raises(entry.Invalid, match="依頼先機関") as bad:
        ask(workbook, hid, to=KYOTAKU, sender=hh.set_index("世帯ID").at[hid, "主担当機関"])
    assert "支援会議構成員" in bad.value.errors["依頼先機関"]


def test_a_household_outside_the_requesters_scope_cannot_be_referred(workbook):
    mine = scope_workbook(workbook, Viewer(user=staff(KYOTAKU)))
    outside = next(h for h in workbook["世帯"]["世帯ID"] if h not in set(mine["世帯"]["世帯ID"]))
    with pytest.raises(entry.Invalid, match="世帯"):
        ask(mine, outside, sender=KYOTAKU)


def test_the_same_request_twice_while_waiting_is_refused(workbook):
    waiting = workbook["つなぎ"][workbook["つなぎ"]["状態"] == "依頼中"].iloc[0]
    with pytest.raises(entry.Invalid, match="依頼先機関") as bad:
        ask(workbook, waiting["世帯ID"], to=waiting["依頼先機関"], sender=waiting["依頼元機関"])
    assert waiting["つなぎID"] in bad.value.errors["依頼先機関"]


# ---------------------------------------------------------------- answers

def waiting_row(wb):
    return wb["つなぎ"][wb["つなぎ"]["状態"] == "依頼中"].iloc[0]


def test_accepting_a_referral_fills_the_answer_and_moves_the_stage_with_history(workbook):
    row = waiting_row(workbook)
    stage = workbook["世帯"].set_index("世帯ID").at[row["世帯ID"], "段階"]
    plan = referrals.respond(workbook, row["つなぎID"], action="受理", agency=HUB, by="森田", comment="", today=TODAY)
    cells = {(c.tab, c.column): c.new for c in plan.changes}
    assert cells[("つなぎ", "状態")] == "受理" and cells[("つなぎ", "応答日")] == TODAY and cells[("つなぎ", "応答者")] == "森田"
    assert ("つなぎ", row["つなぎID"]) in plan.expected
    if stage == "受付":
        assert cells[("世帯", "段階")] == "アセスメント"
        assert plan.appends[0].values["新段階"] == "アセスメント"
    assert ("世帯", "主担当機関") not in cells               # a つなぎ leaves the lead where it is


def test_accepting_a_return_to_lead_makes_the_recipient_the_lead():
    raw = sources.read_excel(SAMPLE)
    hid = next(r[0] for r in raw["世帯"][1:] if r[5] == "プラン作成" and r[4] == "あり")
    raw["つなぎ"].append(["T-9000", hid, TODAY, HUB, KYOTAKU, "つなぎもどし", "主担当をお願いします", "依頼中"])
    from lib.workbook.validate import validate
    wb = validate(raw)
    plan = referrals.respond(wb, "T-9000", action="受理", agency=KYOTAKU, by="相談員", comment="引き受けます", today=TODAY)
    cells = {(c.tab, c.column): c.new for c in plan.changes}
    assert cells[("世帯", "主担当機関")] == KYOTAKU and cells[("世帯", "担当者")] == "相談員"
    assert cells[("世帯", "段階")] == "支援中"


@pytest.mark.parametrize("action, agency, comment, field, words", [
    ("受理", HOUKATSU, "", "応答", "依頼先の機関"),              # not the recipient
    ("差し戻し", HUB, "", "応答コメント", "理由"),
    ("取り下げ", HUB, "", "応答", "依頼した機関"),                # only the requester withdraws
    ("保留", HUB, "", "応答", "受理・差し戻し・取り下げ"),
])
def test_who_may_answer_and_how(workbook, action, agency, comment, field, words):
    row = waiting_row(workbook)
    with pytest.raises(entry.Invalid) as bad:
        referrals.respond(workbook, row["つなぎID"], action=action, agency=agency, by="x", comment=comment, today=TODAY)
    assert words in bad.value.errors[field]


def test_an_answered_request_cannot_be_answered_again(workbook):
    done = workbook["つなぎ"][workbook["つなぎ"]["状態"] == "受理"].iloc[0]
    with pytest.raises(entry.Invalid, match="応答") as bad:
        referrals.respond(workbook, done["つなぎID"], action="差し戻し", agency=done["依頼先機関"], by="x", comment="no",
                          today=TODAY)
    assert bad.value.errors["応答"].startswith("この依頼はもう受理されています（")


def test_two_agencies_answering_at_once_the_second_is_refused_naming_the_first(town):
    path, config = town
    snapshot = sources.load(config)
    row = waiting_row(snapshot.workbook)
    first = referrals.respond(snapshot.workbook, row["つなぎID"], action="受理", agency=HUB, by="森田", comment="", today=TODAY)
    second = referrals.respond(snapshot.workbook, row["つなぎID"], action="差し戻し", agency=HUB, by="川口", comment="別で",
                               today=TODAY)
    sources.write(config, snapshot, first)
    with pytest.raises(sources.WriteConflict) as refused:
        sources.write(config, snapshot, second)
    changed = {c.column: c.now for c in refused.value.conflicts if c.tab == "つなぎ"}
    assert changed["状態"] == "受理" and changed["応答者"] == "森田"
    saved = next(r for r in sources.read_excel(path)["つなぎ"] if r[0] == row["つなぎID"])
    assert saved[7:10] == ["受理", TODAY, "森田"]


def test_an_answer_after_a_withdrawal_is_refused(town):
    path, config = town
    snapshot = sources.load(config)
    row = waiting_row(snapshot.workbook)
    withdraw = referrals.respond(snapshot.workbook, row["つなぎID"], action="取り下げ", agency=row["依頼元機関"], by="高野",
                                 comment="", today=TODAY)
    accept = referrals.respond(snapshot.workbook, row["つなぎID"], action="受理", agency=HUB, by="森田", comment="", today=TODAY)
    sources.write(config, snapshot, withdraw)
    with pytest.raises(sources.WriteConflict):
        sources.write(config, snapshot, accept)
    saved = next(r for r in sources.read_excel(path)["つなぎ"] if r[0] == row["つなぎID"])
    assert saved[7] == "取り下げ"


# ---------------------------------------------------------------- closure with 評価 and the automatic 引継ぎ

def test_closure_needs_an_evaluation_and_sends_the_hand_over(workbook):
    hid = houkatsu_household(workbook)
    with pytest.raises(entry.Invalid, match="新しい段階"):
        entry.stage_move(workbook, hid, stage="終結", day="R8.11.24", reason="達成", by="x", today=TODAY)
    with pytest.raises(entry.Invalid) as bad:
        referrals.closure(workbook, hid, day="R8.11.24", reason="", watcher=None, goals=[], by="x", today=TODAY,
                          taken=ids(workbook))
    assert {"評価", "理由"} <= set(bad.value.errors)
    goals = [{"対象": "A氏", "目標": "通院を続ける", "達成度": "達成", "本人・世帯の変化": "自分で通えるようになった"},
             {"対象": "B氏", "目標": "", "達成度": None, "本人・世帯の変化": ""}]            # an empty row is skipped
    plan = referrals.closure(workbook, hid, day="R8.11.24", reason="目標を達成", watcher=KYOTAKU, goals=goals, by="高野",
                             today=TODAY, taken=ids(workbook))
    assert [(c.column, c.new) for c in plan.changes] == [("段階", "終結"), ("終結日", TODAY)]
    assert [a.tab for a in plan.appends] == ["段階履歴", "評価", "つなぎ"]
    assert plan.appends[1].values == {"世帯ID": hid, "評価日": TODAY, "対象": "A氏", "目標": "通院を続ける", "達成度": "達成",
                                      "本人・世帯の変化": "自分で通えるようになった", "終結理由": "目標を達成",
                                      "見守り機関": KYOTAKU, "記入者": "高野"}
    hand_over = plan.appends[2].values
    assert (hand_over["種類"], hand_over["依頼元機関"], hand_over["依頼先機関"], hand_over["状態"]) == (
        "引継ぎ", HOUKATSU, KYOTAKU, "依頼中")


def test_an_evaluation_row_without_achievement_is_named(workbook):
    hid = houkatsu_household(workbook)
    with pytest.raises(entry.Invalid) as bad:
        referrals.closure(workbook, hid, day="R8.11.24", reason="達成", watcher=None, today=TODAY, by="x", taken=set(),
                          goals=[{"対象": "A氏", "目標": "通院", "達成度": None, "本人・世帯の変化": "よい"}])
    assert "評価1（A氏）の達成度" in bad.value.errors


# ---------------------------------------------------------------- scope, inbox, counts, directory

def ask_kyotaku(config) -> str:
    """包括 asks みどりの里 about one of its households みどりの里 cannot see; returns the 世帯ID."""
    snapshot = sources.load(config)
    wb = snapshot.workbook
    hid = next(h for h in sorted(visible_households(wb, staff(HOUKATSU))) if h not in visible_households(wb, staff(KYOTAKU))
               and wb["世帯"].set_index("世帯ID").at[h, "同意"] == "あり")
    sources.write(config, snapshot, ask(scope_workbook(wb, Viewer(user=staff(HOUKATSU))), hid, to=KYOTAKU))
    return hid


def test_a_recipient_sees_a_waiting_request_only_in_its_inbox_then_everything_once_accepted(town):
    path, config = town
    kyotaku = staff(KYOTAKU)
    hid = ask_kyotaku(config)
    snapshot = sources.load(config)
    wb = snapshot.workbook
    assert hid not in visible_households(wb, kyotaku)
    box = inbox(wb, Viewer(user=kyotaku), TODAY, 7)
    assert list(box.columns) == referrals.INBOX_COLUMNS
    row = box[box["世帯ID"] == hid].iloc[0]
    assert row["表示名"] == wb["世帯"].set_index("世帯ID").at[hid, "表示名"] and row["依頼内容"] == "多機関での検討をお願いします"
    projected = inbox(wb, Viewer(user=kyotaku, projection=True, pseudonym_key="k"), TODAY, 7)
    assert projected.iloc[0]["表示名"].endswith("世帯") and projected.iloc[0]["表示名"] != row["表示名"]
    assert projected["依頼内容"].isna().all()
    referral_id = row["つなぎID"]
    sources.write(config, snapshot, referrals.respond(wb, referral_id, action="受理", agency=KYOTAKU, by="相談員", comment="",
                                                      today=TODAY))
    wb = sources.load(config).workbook
    assert hid in visible_households(wb, kyotaku)
    assert inbox(wb, Viewer(user=kyotaku), TODAY, 7).empty


def test_a_returned_request_leaves_the_recipient_seeing_nothing(town):
    path, config = town
    kyotaku = staff(KYOTAKU)
    hid = ask_kyotaku(config)
    snapshot = sources.load(config)
    referral_id = snapshot.workbook["つなぎ"]["つなぎID"].iloc[-1]
    sources.write(config, snapshot, referrals.respond(snapshot.workbook, referral_id, action="差し戻し", agency=KYOTAKU,
                                                      by="相談員", comment="対象外です", today=TODAY))
    wb = sources.load(config).workbook
    assert hid not in visible_households(wb, kyotaku) and inbox(wb, Viewer(user=kyotaku), TODAY, 7).empty
    answers = referrals.answers_to(wb, HOUKATSU)
    assert answers.iloc[0][["状態", "応答コメント"]].tolist() == ["差し戻し", "対象外です"]


def test_overdue_requests_are_flagged_by_the_setting(workbook):
    box = inbox(workbook, Viewer(user=User("k", "k", COORDINATOR, HUB)), TODAY, 7)
    assert len(box) == 2 and box["期限超過"].tolist() == [d > 7 for d in box["経過日数"]]
    assert inbox(workbook, Viewer(user=User("k", "k", COORDINATOR, HUB)), TODAY, 30)["期限超過"].sum() == 0
    from lib.casework import board
    cards = {c.household_id: c for cs in board.build_board(workbook, TODAY, stale_days=60, referral_days=7).columns.values()
             for c in cs}
    for hid, days in zip(box["世帯ID"], box["経過日数"]):
        assert cards[hid].waiting == days and cards[hid].waiting_overdue == (days > 7)


def test_referral_counts_by_fiscal_year():
    from lib.workbook.validate import validate
    raw = {"世帯": [["世帯ID", "表示名", "同意", "段階", "受付日"], ["H-1", "a", "あり", "支援中", "2025/4/1"]],
           "機関": [["機関名"], ["A"], ["B"]],
           "つなぎ": [["つなぎID", "世帯ID", "依頼日", "依頼元機関", "依頼先機関", "種類", "状態", "応答日"],
                   ["T-1", "H-1", "2025/4/1", "A", "B", "つなぎ", "受理", "2025/4/5"],          # 4 days
                   ["T-2", "H-1", "2025/5/1", "A", "B", "つなぎ", "差し戻し", "2025/5/3"],      # 2 days
                   ["T-3", "H-1", "2025/6/1", "B", "A", "つなぎもどし", "受理", "2026/4/2"],    # answered next year
                   ["T-4", "H-1", "2026/3/31", "A", "B", "引継ぎ", "依頼中", ""],
                   ["T-5", "H-1", "2025/7/1", "A", "B", "つなぎ", "取り下げ", "2025/7/2"]]}     # withdrawn: no answer time
    wb = validate(raw)
    got = {k: indicators.count(wb, k, (), 2025, TODAY) for k in indicators.REFERRAL_KEYS}
    assert got == {"つなぎ件数": 3, "つなぎもどし件数": 1, "引継ぎ件数": 1, "受理件数": 1, "差し戻し件数": 1, "平均応答日数": 3.0}
    assert indicators.count(wb, "平均応答日数", (), 2024, TODAY) == 0


def test_directory_lists_every_agency_with_its_contacts_requests_and_load(workbook):
    table = referrals.directory(workbook, TODAY).set_index("機関名")
    assert list(table.index) == list(workbook["機関"]["機関名"])
    assert table.at[HUB, "受けた依頼（依頼中）"] == 2 and table.at[HOUKATSU, "出した依頼（依頼中）"] == 2
    hh = workbook["世帯"]
    assert table.at[HOUKATSU, "主担当の世帯"] == int(((hh["主担当機関"] == HOUKATSU) & ~hh["段階"].isin(["終結", "中断"])).sum())
    assert table.at["税務課 収納係", "主担当の世帯"] == 0
    scoped = referrals.directory(scope_workbook(workbook, Viewer(user=staff(KYOTAKU))), TODAY).set_index("機関名")
    assert scoped.at[HOUKATSU, "主担当の世帯"] < table.at[HOUKATSU, "主担当の世帯"]      # counts stay in scope


# ---------------------------------------------------------------- Google Sheets

def test_sheets_request_then_answer(fake_sheets):
    fake, root = fake_sheets
    config = sources.resolve({"TSUNAGU_WORKBOOK": SHEET_KEY, "TSUNAGU_SHEETS_API_ROOT": root}, {})
    snapshot = sources.load(config)
    hid = houkatsu_household(snapshot.workbook)
    fake.requests.clear()
    sources.write(config, snapshot, ask(snapshot.workbook, hid))
    assert fake.count("append") == 1 and fake.count("batchGet") == 1
    row = fake.books[SHEET_KEY]["つなぎ"][-1]
    assert row[:8] == ["T-0043", hid, "2026/11/24", HOUKATSU, HUB, "つなぎ", "多機関での検討をお願いします", "依頼中"]
    snapshot = sources.load(config)
    sources.write(config, snapshot, referrals.respond(snapshot.workbook, "T-0043", action="差し戻し", agency=HUB, by="森田",
                                                      comment="包括で対応できます", today=TODAY))
    row = fake.books[SHEET_KEY]["つなぎ"][-1]
    assert row[7:11] == ["差し戻し", "2026/11/24", "森田", "包括で対応できます"]


def test_directory_and_counts_on_a_workbook_with_nothing_but_households():
    from lib.workbook.validate import validate
    wb = validate({"世帯": [["世帯ID", "表示名", "同意", "段階", "受付日"], ["H-1", "a", "あり", "受付", "2025/5/1"]],
                   "機関": [["機関名"], ["A"]]})
    table = referrals.directory(wb, TODAY)
    assert table.to_dict("records")[0]["期限の近い取組"] == 0 and len(table) == 1
    assert [indicators.count(wb, k, (), 2025, TODAY) for k in indicators.REFERRAL_KEYS] == [0, 0, 0, 0, 0, 0]
    assert referrals.pending(wb, TODAY).empty and referrals.waiting_days(wb, TODAY) == {}


@pytest.mark.parametrize("tie, field, words", [
    ({"つながり先": "北部サロン", "種類": "友だち"}, "つながり1の種類", "機関"),
    ({"つながり先": "北部サロン", "安定度": "とても"}, "つながり1の安定度", "安定"),
    ({"つながり先": "北部サロン", "安定度": "安定", "内容": "x" * 20}, None, None),
    ({"つながり先": "", "安定度": "安定", "内容": "週2回"}, "つながり1のつながり先", "つながり先"),   # half-filled: refused
    ({"対象": "世帯", "つながり先": " ", "種類": None}, None, None),          # an empty line is skipped
])
def test_connections_at_closure_are_checked_and_kept_beside_the_evaluation(workbook, tie, field, words):
    hid = houkatsu_household(workbook)
    call = dict(day="R8.11.24", reason="達成", watcher=None, today=TODAY, by="高野", taken=set(),
                goals=[{"対象": "A氏", "目標": "通院", "達成度": "達成", "本人・世帯の変化": "よい"}], connections=[tie])
    if field:
        with pytest.raises(entry.Invalid) as bad:
            referrals.closure(workbook, hid, **call)
        assert words in bad.value.errors[field]
    else:
        plan = referrals.closure(workbook, hid, **call)
        kept = [a.values for a in plan.appends if a.tab == "つながり評価"]
        assert kept == ([{"世帯ID": hid, "評価日": TODAY, "対象": None, "つながり先": "北部サロン", "種類": None, "安定度": "安定",
                          "内容": "x" * 20, "記入者": "高野"}] if tie["つながり先"].strip() else [])
