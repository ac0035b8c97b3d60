"""Agenda rules with fixed dates: business days, each reason, consent routing, order and times."""
import datetime as dt

import pytest

from lib.meetings import agenda
from lib.meetings.agenda import Agenda, Proposal
from lib.workbook.validate import validate

D = dt.date
HH = ["世帯ID", "表示名", "同意", "段階", "受付日", "次回見直し日", "最終接触日", "緊急度", "主担当機関"]
MEETING_DAY = D(2026, 12, 10)


@pytest.mark.parametrize("after, expected", [
    (D(2026, 11, 20), D(2026, 11, 24)),   # Fri → Mon 11/23 is 勤労感謝の日 → Tue
    (D(2026, 11, 24), D(2026, 11, 25)),
    (D(2026, 12, 25), D(2026, 12, 28)),   # Fri → Mon
    (D(2026, 12, 28), D(2027, 1, 4)),     # 12/29–1/3 closed
    (D(2027, 1, 8), D(2027, 1, 12)),      # Mon 1/11 is 成人の日
    (D(2026, 5, 1), D(2026, 5, 7)),       # Golden Week (5/3–5/6)
])
def test_default_date_is_the_next_business_day(after, expected):
    assert agenda.next_business_day(after) == expected


PREVIOUS = [["M-0", "重層的支援会議", "2026/11/12", ""], ["M-00", "支援会議", "2026/11/12", ""]]


def town(households, plans=(), meetings=PREVIOUS, contacts=()):
    raw = {"世帯": [HH, *households],
           "支援プラン": [["世帯ID", "対象", "状況", "更新日"], *plans],
           "会議": [["会議ID", "種別", "開催日", "対象世帯"], *meetings],
           "経過記録": [["日付", "世帯ID"], *contacts]}
    workbook = validate(raw)
    assert [p for p in workbook.problems if p.severity == "error"] == []
    return workbook


def reasons(workbook, kind="重層的支援会議", day=MEETING_DAY):
    return {p.household_id: p.reasons for p in agenda.propose(workbook, kind, day)}


def test_each_jusou_reason():
    workbook = town(
        [["H-1", "a", "あり", "支援中", "2025/4/1", "", "2026/12/1", "高"],        # 緊急
         ["H-2", "b", "あり", "支援中", "2025/4/1", "", "2026/8/1", ""],           # 中断検討 (131 days)
         ["H-3", "c", "あり", "支援中", "2025/4/1", "", "2026/12/1", ""],          # 終結検討
         ["H-4", "d", "あり", "支援中", "2025/4/1", "2026/12/10", "2026/12/1", ""],  # 見直し期限 (on the day)
         ["H-5", "e", "あり", "プラン作成", "2025/4/1", "", "2026/12/1", ""],       # プラン評価
         ["H-6", "f", "あり", "受付", "2026/11/20", "", "2026/12/1", ""],          # 新規
         ["H-7", "g", "あり", "支援中", "2025/4/1", "2026/12/11", "2026/12/1", ""],  # nothing due
         ["H-8", "h", "あり", "終結", "2025/4/1", "2026/1/1", "2026/1/1", "高"]],    # closed: never
        plans=[["H-3", "A氏", "達成", "2026/6/1"], ["H-3", "B氏", "中止", "2026/6/1"],
               ["H-5", "A氏", "未着手", "2026/11/30"], ["H-7", "A氏", "実施中", "2026/6/1"]],
        meetings=[["M-1", "重層的支援会議", "2026/11/12", "H-3、H-7"]])
    assert reasons(workbook) == {"H-1": ("緊急",), "H-2": ("中断検討",), "H-3": ("終結検討",),
                                 "H-4": ("見直し期限",), "H-5": ("プラン評価",), "H-6": ("新規",)}


def test_plan_updated_after_its_last_discussion_needs_evaluation():
    workbook = town([["H-1", "a", "あり", "支援中", "2025/4/1", "", "2026/12/1", ""]],
                    plans=[["H-1", "A氏", "実施中", "2026/11/20"]],
                    meetings=[["M-1", "重層的支援会議", "2026/11/12", "H-1"]])
    assert reasons(workbook) == {"H-1": ("プラン評価",)}


def test_with_no_earlier_meeting_every_household_is_new():
    workbook = town([["H-1", "a", "あり", "支援中", "2025/4/1", "", "2026/12/1", ""]], meetings=())
    assert reasons(workbook) == {"H-1": ("新規",)}


def test_consent_routes_households_to_their_own_meeting():
    workbook = town([["H-1", "a", "あり", "支援中", "2025/4/1", "", "2026/12/1", "高"],
                     ["H-2", "b", "なし", "見守り", "2025/4/1", "", "2026/12/1", "高"],
                     ["H-3", "c", "不明", "受付", "2026/12/1", "", "", ""]])
    assert reasons(workbook, "重層的支援会議") == {"H-1": ("緊急",)}
    assert reasons(workbook, "支援会議") == {"H-2": ("緊急", "見守り状況"), "H-3": ("新規情報",)}
    assert agenda.propose(workbook, "定例会議", MEETING_DAY) == []


def test_shien_kaigi_new_information_is_contacts_since_the_last_shien_kaigi():
    workbook = town([["H-1", "a", "なし", "アセスメント", "2025/4/1", "", "", ""],
                     ["H-2", "b", "なし", "アセスメント", "2025/4/1", "", "", ""]],
                    meetings=[["M-1", "支援会議", "2026/11/12", "H-1、H-2"]],
                    contacts=[["2026/11/20", "H-1"], ["2026/11/1", "H-2"]])
    assert reasons(workbook, "支援会議") == {"H-1": ("新規情報",)}


def test_proposals_are_ordered_by_priority_then_sheet_order():
    workbook = town([["H-1", "a", "あり", "受付", "2026/11/20", "", "2026/12/1", ""],            # 新規
                     ["H-2", "b", "あり", "支援中", "2025/4/1", "2026/12/1", "2026/12/1", ""],   # 見直し期限
                     ["H-3", "c", "あり", "支援中", "2025/4/1", "", "2026/8/1", ""],             # 中断検討
                     ["H-4", "d", "あり", "支援中", "2025/4/1", "2026/12/1", "2026/12/1", "高"]])  # 緊急
    proposals = agenda.propose(workbook, "重層的支援会議", MEETING_DAY)
    assert [p.household_id for p in proposals] == ["H-4", "H-3", "H-2", "H-1"]
    assert proposals[0].reasons == ("緊急", "見直し期限")
    assert proposals[0].words == "緊急度が「高」です／次回見直し日が会議の日までに来ます（モニタリング・再プラン）"


def test_stale_days_is_a_setting():
    workbook = town([["H-1", "a", "あり", "支援中", "2025/4/1", "", "2026/11/1", ""]])
    assert reasons(workbook) == {}
    assert {p.household_id for p in agenda.propose(workbook, "重層的支援会議", MEETING_DAY, stale_days=30)} == {"H-1"}


def test_schedule_times_follow_start_and_minutes():
    a = Agenda("支援会議", MEETING_DAY, dt.time(13, 30), 20, items=[Proposal(h, ("緊急",)) for h in ("A", "B", "C")])
    assert [(p.household_id, s.time(), e.time()) for p, s, e in a.schedule()] == [
        ("A", dt.time(13, 30), dt.time(13, 50)), ("B", dt.time(13, 50), dt.time(14, 10)),
        ("C", dt.time(14, 10), dt.time(14, 30))]
    assert a.end == dt.time(14, 30)


def agenda_of(start, end=None, households=0, minutes=20):
    return Agenda("支援会議", MEETING_DAY, start, minutes, items=[Proposal(f"H{i}", ()) for i in range(households)],
                  ends=end)


@pytest.mark.parametrize("a, when, slots", [
    # a recorded meeting: the 会議 row's 開始〜終了, and the last household ends with it
    (agenda_of(dt.time(13, 30), dt.time(14, 50), 3), "13:30〜14:50", ["13:30〜13:56", "13:56〜14:23", "14:23〜14:50"]),
    (agenda_of(dt.time(13, 30), dt.time(14, 50), 7), "13:30〜14:50", None),
    (agenda_of(dt.time(14, 0), dt.time(15, 30), 0), "14:00〜15:30", []),          # 定例会議: no households
    (agenda_of(dt.time(14, 0), None, 0), "14:00〜", []),                            # and no 終了 typed
    # an agenda being prepared: minutes per household
    (agenda_of(dt.time(13, 30), None, 3), "13:30〜14:30", ["13:30〜13:50", "13:50〜14:10", "14:10〜14:30"]),
    # across midnight: said, never wrapped
    (agenda_of(dt.time(22, 50), None, 6), "22:50〜翌00:50", ["22:50〜23:10", "23:10〜23:30", "23:30〜23:50",
                                                            "23:50〜翌00:10", "翌00:10〜翌00:30", "翌00:30〜翌00:50"]),
    (agenda_of(dt.time(23, 0), dt.time(0, 30), 1), "23:00〜翌00:30", ["23:00〜翌00:30"]),
])
def test_times_are_the_times_of_the_meeting(a, when, slots):
    from lib.meetings.agenda import clock_range
    assert a.when() == when
    shown = [clock_range(s, e, a.date) for _, s, e in a.schedule()]
    if slots is not None:
        assert shown == slots
    if a.items:
        assert a.schedule()[-1][2] == a.end_at() and a.schedule()[0][1].time() == a.start
        assert all(e1 == s2 for (_, _, e1), (_, s2, _) in zip(a.schedule(), a.schedule()[1:]))
    assert a.past_midnight == ("翌" in when)


@pytest.mark.parametrize("index, step, expected", [
    (0, 1, ["b", "a", "c"]), (2, -1, ["a", "c", "b"]), (0, -1, ["a", "b", "c"]), (2, 1, ["a", "b", "c"])])
def test_move_reorders(index, step, expected):
    assert agenda.move(["a", "b", "c"], index, step) == expected


def test_addable_households_are_active_and_on_the_track():
    workbook = town([["H-1", "a", "あり", "支援中", "2025/4/1", "", "", ""],
                     ["H-2", "b", "なし", "見守り", "2025/4/1", "", "", ""],
                     ["H-3", "c", "あり", "終結", "2025/4/1", "", "", ""],
                     ["H-4", "d", "あり", "受付", "2025/4/1", "", "", ""]])
    assert agenda.addable(workbook, "重層的支援会議", ["H-4"]) == ["H-1"]
    assert agenda.addable(workbook, "支援会議", []) == ["H-2"]


def test_agencies_to_notify(sample_raw):
    workbook = validate(sample_raw)
    hh = workbook["世帯"].set_index("世帯ID")
    one = Agenda("重層的支援会議", MEETING_DAY, items=[Proposal("H-001", ("緊急",))])
    names = agenda.agencies_to_notify(workbook, one)
    assert names[0] == "福祉課 多機関協働係" or hh.loc["H-001", "主担当機関"] in names
    assert hh.loc["H-001", "主担当機関"] in names
    shien = Agenda("支援会議", MEETING_DAY, items=[])
    members = set(workbook["機関"].loc[workbook["機関"]["支援会議構成員"] == "はい", "機関名"])
    assert set(agenda.agencies_to_notify(workbook, shien)) == members
    assert agenda.agencies_to_notify(workbook, Agenda("定例会議", MEETING_DAY)) == list(workbook["機関"]["機関名"])


def test_regular_meeting_tables(sample_raw):
    workbook = validate(sample_raw)
    status = agenda.plan_status(workbook, D(2026, 11, 24))
    assert set(status["段階"]) <= {"プラン作成", "支援中"}
    assert (status["項目"] == status[["未着手", "実施中", "達成", "見直し", "中止"]].sum(axis=1)).all()
