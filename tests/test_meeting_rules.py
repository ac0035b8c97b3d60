"""Meeting rules (pure): the agenda that fits the time, the cadence, invitations, the 支援会議
member register and its データ点検 warnings, attendance deciding scope, the running meeting
and what its wall may show to whom."""
import datetime as dt

import pandas as pd
import pytest

from lib.access import scope
from lib.access.users import COORDINATOR, STAFF, VIEWER, User
from lib.casework import agencies
from lib.meetings import agenda, live
from lib.meetings.agenda import Agenda, Proposal
from lib.workbook.validate import validate

DAY = dt.date(2026, 11, 25)


@pytest.fixture(scope="module")
def workbook(sample_raw):
    return validate(sample_raw)


def items(*reasons):
    return [Proposal(f"H-{i:03d}", (r,)) for i, r in enumerate(reasons, start=1)]


@pytest.mark.parametrize("length, minutes, kept, later", [
    (120, 15, 8, 2), (60, 15, 4, 6), (150, 15, 10, 0), (None, 15, 10, 0), (10, 15, 0, 10), (120, 30, 4, 6)])
def test_the_meetings_length_caps_the_agenda(length, minutes, kept, later):
    proposals = items("新規", "緊急", "見直し期限", "終結検討", "追加", "中断検討", "プラン評価", "新規", "緊急", "見直し期限")
    fitting, deferred = agenda.fit(proposals, length, minutes)
    assert (len(fitting), len(deferred)) == (kept, later)
    assert fitting == proposals[:kept]                          # the agenda's own order stays
    assert [p.priority for p in deferred] == sorted(p.priority for p in deferred)   # 次回へ: most pressing first


def meetings(*rows):
    return pd.DataFrame({"種別": [r[0] for r in rows], "開催日": pd.to_datetime([r[1] for r in rows])})


EVERY = agenda.cadence("重層的支援会議=毎月、支援会議=随時、定例会議=隔月、代表者会議=毎年、その他=毎週")


@pytest.mark.parametrize("held, kind, today, expected, words", [
    ([("重層的支援会議", "2026-11-10")], "重層的支援会議", DAY, dt.date(2026, 12, 10), "毎月"),
    ([("重層的支援会議", "2026-10-20")], "重層的支援会議", DAY, dt.date(2026, 11, 26), "過ぎている"),
    ([("重層的支援会議", "2026-10-31")], "重層的支援会議", DAY, dt.date(2026, 11, 30), "毎月"),
    ([("定例会議", "2026-10-17")], "定例会議", DAY, dt.date(2026, 12, 17), "隔月"),
    ([("重層的支援会議", "2026-01-31")], "重層的支援会議", dt.date(2026, 2, 10), dt.date(2026, 3, 2), "毎月"),  # 2/28 is a Saturday
    ([], "重層的支援会議", DAY, dt.date(2026, 11, 26), "まだ開催の記録がない"),
    ([("支援会議", "2026-11-20")], "支援会議", DAY, dt.date(2026, 11, 26), "随時"),
    ([("代表者会議", "2025-12-30")], "代表者会議", DAY, dt.date(2027, 1, 4), "毎年"),        # 12/29–1/3 closed
])
def test_cadence_suggests_the_next_date(held, kind, today, expected, words):
    day, why = agenda.suggest_date(meetings(*held) if held else meetings(), kind, today, EVERY)
    assert day == expected and words in why
    assert agenda.is_business_day(day)


def test_cadence_setting_skips_words_it_does_not_know():
    assert agenda.cadence("重層的支援会議=毎月、支援会議=ときどき、ケース会議=毎月,定例会議=四半期") == {
        "重層的支援会議": 1, "定例会議": 3}


def with_agencies(workbook, rows, register=()):
    from dataclasses import replace
    frame = pd.DataFrame([{"_row": i + 2, "機関名": n, "分野": [], "事業": [], "電話": None, "メール": None, "所管課": d,
                           "支援会議構成員": m} for i, (n, d, m) in enumerate(rows)])
    people = pd.DataFrame([{"_row": i + 2, "機関名": n, "氏名": p, "役職": None, "守秘義務確認日": d, "備考": None}
                           for i, (n, p, d) in enumerate(register)],
                          columns=["_row", "機関名", "氏名", "役職", "守秘義務確認日", "備考"])
    return replace(workbook, tables={**workbook.tables, "機関": frame, "構成員名簿": people})


def test_a_tax_office_is_never_a_member_and_shien_invitations_go_to_members_only(workbook):
    book = with_agencies(workbook, [("地域包括支援センター", "福祉課", "はい"), ("税務課 収納係", "税務課", "はい"),
                                    ("社会福祉協議会", None, "はい"), ("居宅介護支援事業所", None, "いいえ")])
    assert agencies.members(book) == ["地域包括支援センター", "社会福祉協議会"]
    assert not agencies.is_member(book, "税務課 収納係")
    shien = Agenda("支援会議", DAY, items=[Proposal("H-008", ("見守り状況",))])
    assert agenda.agencies_to_notify(book, shien) == ["地域包括支援センター", "社会福祉協議会"]


def test_register_lists_member_agencies_with_their_people(workbook):
    book = with_agencies(workbook, [("地域包括支援センター", "福祉課", "はい"), ("保健センター", "健康づくり課", "はい"),
                                    ("税務課", "税務課", "はい")],
                         [("地域包括支援センター", "高野", pd.Timestamp("2025-04-08")),
                          ("地域包括支援センター", "石井", pd.NaT)])
    table = agencies.register(book)
    assert list(table["機関名"]) == ["地域包括支援センター", "地域包括支援センター", "保健センター"]
    assert list(table["氏名"]) == ["高野", "石井", "（名簿に記載なし）"]
    assert table["守秘義務確認日"].iloc[0] == dt.date(2025, 4, 8) and table["守秘義務確認日"].iloc[1] is None


def test_data_check_warns_about_a_tax_office_member_and_the_register(sample_raw):
    raw = {k: [list(r) for r in v] for k, v in sample_raw.items()}
    header = raw["機関"][0]
    tax = next(r for r in raw["機関"][1:] if r[header.index("所管課")] == "税務課")
    tax[header.index("支援会議構成員")] = "はい"
    raw["構成員名簿"] = [["機関名", "氏名", "役職", "守秘義務確認日", "備考"],
                      ["地域包括支援センター", "高野", "係長", "令和7年4月8日", None],
                      ["民生委員児童委員協議会", "山本", None, None, None]]
    problems = [(p.tab, p.row, p.column) for p in validate(raw).problems if p.severity == "warning"
                and p.tab in ("機関", "構成員名簿")]
    tax_row = raw["機関"].index(tax) + 1
    assert problems == [("機関", tax_row, "支援会議構成員"), ("構成員名簿", 3, "機関名"), ("構成員名簿", 3, "守秘義務確認日")]


def test_attendance_decides_which_staff_gained_scope(workbook):
    """An agency invited but absent gains no household from that meeting; one that attended does."""
    from dataclasses import replace
    meetings_tab = workbook["会議"]
    hid = "H-001"
    row = {**meetings_tab.iloc[0].to_dict(), "会議ID": "M-TEST", "種別": "重層的支援会議", "対象世帯": [hid],
           "参加機関": ["就労支援事業所 ひだまり", "みどり町営住宅係"],
           "出席者": "就労支援事業所 ひだまり：欠席\nみどり町営住宅係：田中"}
    book = replace(workbook, tables={**workbook.tables, "会議": pd.concat([meetings_tab, pd.DataFrame([row])])})
    absent = User("a", "a", STAFF, "就労支援事業所 ひだまり")
    came = User("b", "b", STAFF, "みどり町営住宅係")
    assert hid not in scope.visible_households(book, absent)
    assert hid in scope.visible_households(book, came)


@pytest.mark.parametrize("user, kind, track, sees", [
    (User("eturan", "閲覧", VIEWER, None), "支援会議", "なし", True),       # the meeting-room PC, while it runs
    (User("eturan", "閲覧", VIEWER, None), "重層的支援会議", "あり", True),
    (User("kyodo", "協働", COORDINATOR, "福祉課 多機関協働係"), "支援会議", "なし", True),
    (User("kyotaku", "居宅", STAFF, "居宅介護支援事業所 みどりの里"), "支援会議", "なし", False),   # not a member
])
def test_the_wall_shows_one_household_pseudonymised_to_whom_may_see_it(workbook, user, kind, track, sees):
    hh = workbook["世帯"]
    hid = hh.loc[hh["同意"] == track, "世帯ID"].iloc[0]
    viewer = scope.Viewer(user=user, pseudonym_key="k")
    shown = scope.scope_workbook(workbook, scope.wall_viewer(viewer, kind, hid))
    assert list(shown["世帯"]["世帯ID"]) == ([hid] if sees else [])
    if sees:
        name = hh.set_index("世帯ID").loc[hid, "表示名"]
        assert shown["世帯"]["表示名"].iloc[0] != name and shown["世帯"]["表示名"].iloc[0].endswith("世帯")
        assert shown["世帯"]["備考"].isna().all() and shown["会議"].empty
        assert set(shown["支援プラン"]["世帯ID"]) <= {hid} and shown["支援プラン"]["目標"].isna().all()
    # Without a running meeting the 閲覧 account gets no 支援会議 household at all:
    if user.role == VIEWER:
        alone = scope.scope_workbook(workbook, scope.Viewer(user=user, meeting_context="支援会議"))
        assert not (alone["世帯"]["同意"] != "あり").any()
