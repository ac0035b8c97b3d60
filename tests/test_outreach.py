"""アウトリーチ (別紙2-5②): people not yet in 受付, seen only by the outreach agency and 多機関協働
(never projected); contacts appended; 「相談受付へ」 makes the 世帯 with its history in one save on
both backends (cells checked); アウトリーチ件数 from the records; the screen through AppTest."""
import datetime as dt
import shutil

import pytest

from lib.access.scope import Viewer, scope_workbook, sees_outreach
from lib.access.users import ADMIN, COORDINATOR, STAFF, VIEWER, User
from lib.casework import entry, indicators, outreach
from lib.workbook import schema, sources
from lib.workbook.validate import validate
from tests.conftest import SAMPLE, SHEET_KEY
from tests.test_pages import open_page, texts

TODAY = dt.date(2026, 11, 24)
HEADER = schema.TABS_BY_NAME["アウトリーチ"].column_names


@pytest.fixture(scope="module")
def town_book():
    return validate(sources.read_excel(SAMPLE))


@pytest.mark.parametrize("user, projection, sees", [
    (User("a", "a", ADMIN, None), False, True),
    (User("k", "k", COORDINATOR, "福祉課 多機関協働係"), False, True),
    (User("i", "今井", STAFF, "アウトリーチ支援員（社協）"), False, True),
    (User("i", "今井", STAFF, "アウトリーチ支援員 (社協)"), False, True),         # another spelling of the agency
    (User("h", "h", STAFF, "地域包括支援センター"), False, False),
    (User("a", "a", ADMIN, None), True, False),                                # never projected
    (User("e", "e", VIEWER, None), False, False),
])
def test_who_sees_the_people_not_yet_in_uketsuke(town_book, user, projection, sees):
    viewer = Viewer(projection=projection, user=user, pseudonym_key="k" * 40)
    scoped = scope_workbook(town_book, viewer)
    assert sees_outreach(town_book, viewer) is sees
    assert (len(scoped["アウトリーチ"]) > 0) is sees


def person(book, state="接触中"):
    return next(p for p in outreach.people(book["アウトリーチ"]) if p.state == state)


@pytest.mark.parametrize("who, change, field, words", [
    ("new", {"name": ""}, "呼び名", "呼び名"),
    ("new", {"area": "月面"}, "地区", "地区タブ"),
    ("new", {"method": None}, "方法", "方法"),
    ("new", {"text": ""}, "内容", "内容"),
    ("new", {"state": "相談受付へ"}, "状態", "ボタン"),
    ("known", {"day": "R2.1.1"}, "日付", "前の接触"),
    ("ended", {}, "状態", "終わっています"),
])
def test_a_contact_names_each_field_to_fix(town_book, who, change, field, words):
    target = {"new": None, "known": person(town_book), "ended": person(town_book, "終了")}[who]
    call = {**dict(name="東部 60代女性", area="東部", day="R8.11.20", method="訪問", text="玄関先で話せた", plan="",
                   state="接触中", agency="アウトリーチ支援員（社協）", by="今井", today=TODAY), **change}
    with pytest.raises(entry.Invalid) as bad:
        outreach.contact(town_book, target, **call)
    assert words in bad.value.errors[field]


def intake_form(**change):
    return entry.Intake(**{**dict(name="東部 田中世帯", area=None, issues=["社会的孤立"], referrer="", consent="同意する",
                                  agency="アウトリーチ支援員（社協）", staff="今井", received="R8.11.24", urgency=None, note="",
                                  members=[entry.Member("A氏", "本人", "72", "", "")]), **change})


def test_to_uketsuke_in_one_save_carries_the_history_excel(tmp_path):
    path = tmp_path / "town.xlsx"
    shutil.copy(SAMPLE, path)
    config = sources.resolve({"TSUNAGU_WORKBOOK": str(path), "TSUNAGU_BACKUP_DIR": str(tmp_path / "b")}, {})
    snapshot = sources.load(config)
    who = person(snapshot.workbook)
    before = sources.read_excel(path)
    plan, hid = outreach.to_intake(snapshot.workbook, who, intake_form(), taken=set(snapshot.workbook["世帯"]["世帯ID"]),
                                   today=TODAY, by="今井")
    result = sources.write(config, snapshot, plan)
    assert result is not None and not result.conflicts if hasattr(result, "conflicts") else True
    after = sources.read_excel(path)
    for title in ("世帯", "世帯員", "経過記録", "アウトリーチ", "同意記録", "段階履歴"):
        assert after[title][:len(before[title])] == before[title], title      # nothing earlier touched
    household = dict(zip(after["世帯"][0], after["世帯"][-1]))
    assert (household["世帯ID"], household["表示名"], household["地区"], household["紹介元"]) == (
        hid, "東部 田中世帯", who.area, "アウトリーチ")
    contacts = [dict(zip(after["経過記録"][0], r)) for r in after["経過記録"][len(before["経過記録"]):]]
    assert len(contacts) == who.contacts and all(c["世帯ID"] == hid and c["内容"].startswith("（アウトリーチ）") for c in contacts)
    closing = dict(zip(HEADER, after["アウトリーチ"][-1]))
    assert (closing["対象ID"], closing["状態"], closing["受付後の世帯ID"]) == (who.id, "相談受付へ", hid)
    again = next(p for p in outreach.people(sources.load(config).workbook["アウトリーチ"]) if p.id == who.id)
    assert not again.open and again.household == hid
    # Each visit is counted once: as アウトリーチ件数, not again as 訪問件数 once it is a 経過記録.
    assert any(c["方法"] == "訪問" and c["日付"] >= dt.date(2026, 4, 1) for c in contacts)
    fresh = sources.load(config).workbook
    for key in ("訪問件数", "アウトリーチ件数"):
        assert indicators.count(fresh, key, (), 2026, TODAY) == indicators.count(snapshot.workbook, key, (), 2026, TODAY), key


def test_to_uketsuke_on_google_sheets_is_one_save(fake_sheets):
    fake, root = fake_sheets
    config = sources.resolve({"TSUNAGU_WORKBOOK": SHEET_KEY, "TSUNAGU_SHEETS_API_ROOT": root}, {})
    snapshot = sources.load(config)
    who = person(snapshot.workbook)
    plan, hid = outreach.to_intake(snapshot.workbook, who, intake_form(), taken=set(snapshot.workbook["世帯"]["世帯ID"]),
                                   today=TODAY, by="今井")
    fake.requests.clear()
    sources.write(config, snapshot, plan)
    book = fake.books[SHEET_KEY]
    assert book["世帯"][-1][0] == hid
    assert sum(1 for r in book["経過記録"] if r[1] == hid) == who.contacts
    assert dict(zip(HEADER, book["アウトリーチ"][-1]))["受付後の世帯ID"] == hid
    assert fake.count("append") == 6                 # 世帯, 世帯員, 同意記録, 段階履歴, 経過記録, アウトリーチ


def test_the_count_comes_from_the_records_and_is_estimated_without_them(town_book):
    rows = town_book["アウトリーチ"]
    start, end = dt.date(2026, 4, 1), dt.date(2027, 3, 31)
    expected = sum(1 for m, d in zip(rows["方法"], rows["日付"]) if isinstance(m, str) and start <= d.date() <= end)
    assert indicators.count(town_book, "アウトリーチ件数", (), 2026, TODAY) == expected > 0
    assert not indicators.estimated(town_book, "アウトリーチ件数")
    raw = sources.read_excel(SAMPLE)
    without = validate({t: raw[t] for t in raw if t != "アウトリーチ"})
    assert indicators.estimated(without, "アウトリーチ件数")


def test_the_screen_records_a_new_person_then_takes_one_into_uketsuke(writable_town):
    town = writable_town
    at = open_page("screens/outreach.py", user="kyodo")
    assert [m.label for m in at.metric] == ["接触中", "見守り", "相談受付へ進んだ"]
    prefix = "entry_outreach_new"
    at.text_input(key=f"{prefix}_name").input("東部 60代女性")
    at.selectbox(key=f"{prefix}_area").select("東部")
    at.selectbox(key=f"{prefix}_method").select("訪問")
    at.text_area(key=f"{prefix}_text").input("玄関先で短く話せた")
    next(b for b in at.button if b.label == "接触を記録").click().run()
    assert not at.exception and "接触を記録しました。" in [s.value for s in at.success]
    row = dict(zip(HEADER, sources.read_excel(town)["アウトリーチ"][-1]))
    assert (row["呼び名"], row["地区"], row["方法"], row["状態"], row["記入者"]) == (
        "東部 60代女性", "東部", "訪問", "接触中", "多機関協働 森田（見本）")

    who = next(p for p in outreach.people(validate(sources.read_excel(town))["アウトリーチ"]) if p.name == "東部 70代男性")
    at.selectbox(key="outreach_pick").set_value(who.id).run()
    form = f"entry_outreach_intake_{who.id}"
    at.text_input(key=f"{form}_name").input("東部 佐野世帯")
    at.text_input(key=f"{form}_age").input("74")
    next(b for b in at.button if b.label == "相談受付へ進む").click().run()
    assert not at.exception
    assert any("相談受付へ進みました" in s.value for s in at.success), [e.value for e in at.error]
    book = sources.read_excel(town)
    new = dict(zip(book["世帯"][0], book["世帯"][-1]))
    assert new["表示名"] == "東部 佐野世帯" and new["地区"] == "東部" and new["段階"] == "受付"
    assert sum(1 for r in book["経過記録"][1:] if r[1] == new["世帯ID"]) == who.contacts


def test_the_screen_is_refused_to_other_agencies_and_in_projection():
    at = open_page("screens/outreach.py", user="houkatsu")
    assert "アウトリーチを担当する機関" in texts(at) and not at.dataframe
    at = open_page("screens/outreach.py", projection=True)
    assert "投影モードでは表示しません" in texts(at) and not at.dataframe
