"""参加支援 (別紙2-5①): a matching's steps (打診 → 見学 → 体験 → 定着 → 定着支援, or 中断 with its
reason) as rows appended to the 参加支援 tab on both backends (cells checked), each resource's
受入実績, the yearly counts from the records (推計 only without the tab), the 定着支援 contacts due,
and the forms: from a suggestion on 社会資源マップ straight into 世帯詳細's 打診."""
import datetime as dt
import shutil

import pytest

from lib.access.scope import allowed_entries
from lib.access.users import STAFF, User
from lib.casework import entry, indicators, participation
from lib.workbook import schema, sources
from lib.workbook.validate import validate
from tests.conftest import SAMPLE, SHEET_KEY
from tests.test_pages import open_page

TODAY = dt.date(2026, 11, 24)
HEADER = schema.TABS_BY_NAME["参加支援"].column_names


@pytest.fixture
def town(tmp_path):
    path = tmp_path / "town.xlsx"
    shutil.copy(SAMPLE, path)
    return path, sources.resolve({"TSUNAGU_WORKBOOK": str(path), "TSUNAGU_BACKUP_DIR": str(tmp_path / "b")}, {})


def row_dict(row):
    return dict(zip(HEADER, row))


def matching(step, last=dt.date(2026, 11, 1)):
    return participation.Matching("P-1", "H-004", "B氏", "北部農園しごと体験", step, dt.date(2026, 10, 1), last, "")


@pytest.mark.parametrize("now, wanted, field, words", [
    ("打診", "見学", None, None),
    ("打診", "体験", None, None),                         # skipping a step is allowed
    ("体験", "見学", "次の段階", "次に記録できるのは 定着・中断"),
    ("定着", "定着支援", None, None),
    ("定着支援", "定着支援", None, None),
    ("見学", "定着支援", "次の段階", "いまは「見学」"),
    ("中断", "見学", "次の段階", "なし（中断したマッチングです）"),
    ("体験", "中断", "中断理由", "理由"),
    ("体験", None, "次の段階", "入れてください"),
])
def test_the_next_step_of_a_matching(now, wanted, field, words):
    wb = validate(sources.read_excel(SAMPLE))
    call = dict(next_step=wanted, day="R8.11.20", note="", support="", reason="", agency="社会福祉協議会",
                by="谷", today=TODAY)
    if field is None:
        plan = participation.step(wb, matching(now), **call)
        assert plan.appends[0].values["段階"] == wanted
    else:
        with pytest.raises(entry.Invalid) as bad:
            participation.step(wb, matching(now), **call)
        assert words in bad.value.errors[field]


def test_a_step_cannot_be_dated_before_the_last_one():
    wb = validate(sources.read_excel(SAMPLE))
    with pytest.raises(entry.Invalid) as bad:
        participation.step(wb, matching("打診", last=dt.date(2026, 11, 21)), next_step="見学", day="R8.11.20",
                           note="", support="", reason="", agency=None, by="谷", today=TODAY)
    assert "前の記録" in bad.value.errors["日付"]


@pytest.mark.parametrize("change, field, words", [
    ({"target": "Z氏"}, "対象", "世帯員にいません"),
    ({"resource": "どこにもない農園"}, "受入先", "社会資源タブにありません"),
    ({"resource": None}, "受入先", "受入先"),
    ({"day": "2027/1/1"}, "日付", "先の日付"),
])
def test_starting_a_matching_names_each_field_to_fix(change, field, words):
    wb = validate(sources.read_excel(SAMPLE))
    call = {**dict(target="B氏", resource="北部農園しごと体験", day="R8.11.20", note="", agency="社会福祉協議会",
                   by="谷", today=TODAY), **change}
    with pytest.raises(entry.Invalid) as bad:
        participation.start(wb, "H-004", **call)
    assert words in bad.value.errors[field]


def test_a_matching_goes_from_proposal_to_settling_in_the_excel_file(town):
    path, config = town
    wb = sources.load(config).workbook
    before = sources.read_excel(path)["参加支援"]
    plan, mid = participation.start(wb, "H-004", target="B氏", resource="北部農園しごと体験", day="R8.10.1",
                                    note="見学したいと話す", agency="社会福祉協議会", by="谷", today=TODAY)
    sources.write(config, sources.load(config), plan)
    for step, day in (("見学", "R8.10.10"), ("体験", "R8.10.20"), ("定着", "R8.11.1")):
        wb = sources.load(config).workbook
        current = next(m for m in participation.of_household(wb, "H-004") if m.id == mid)
        sources.write(config, sources.load(config), participation.step(
            wb, current, next_step=step, day=day, note=f"{step}の様子", support="配慮を伝えた" if step == "体験" else "",
            reason="", agency="社会福祉協議会", by="谷", today=TODAY))
    after = sources.read_excel(path)["参加支援"]
    assert after[:len(before)] == before                                     # nothing earlier touched
    added = [row_dict(r) for r in after[len(before):]]
    assert [(r["マッチングID"], r["段階"], r["日付"]) for r in added] == [
        (mid, "打診", dt.date(2026, 10, 1)), (mid, "見学", dt.date(2026, 10, 10)), (mid, "体験", dt.date(2026, 10, 20)),
        (mid, "定着", dt.date(2026, 11, 1))]
    assert added[2]["受入先への支援"] == "配慮を伝えた" and added[0]["受入先"] == "北部農園しごと体験"
    wb = sources.load(config).workbook
    settled = next(m for m in participation.of_household(wb, "H-004") if m.id == mid)
    assert settled.step == "定着" and settled.history.startswith("打診 ")
    assert settled in participation.follow_ups_due([settled], dt.date(2026, 12, 1))
    assert settled not in participation.follow_ups_due([settled], dt.date(2026, 11, 20))


def test_sheets_a_step_is_one_append(fake_sheets):
    fake, root = fake_sheets
    config = sources.resolve({"TSUNAGU_WORKBOOK": SHEET_KEY, "TSUNAGU_SHEETS_API_ROOT": root}, {})
    snapshot = sources.load(config)
    plan, mid = participation.start(snapshot.workbook, "H-004", target="B氏", resource="北部農園しごと体験",
                                    day="R8.11.20", note="", agency="社会福祉協議会", by="谷", today=TODAY)
    fake.requests.clear()
    sources.write(config, snapshot, plan)
    assert [r.path.rsplit(":", 1)[-1] for r in fake.requests] == ["batchGet", "append"]
    row = row_dict(fake.books[SHEET_KEY]["参加支援"][-1])
    assert (row["マッチングID"], row["世帯ID"], row["段階"], row["日付"]) == (mid, "H-004", "打診", "2026/11/20")


def test_records_give_the_counts_and_the_resources_record():
    wb = validate(sources.read_excel(SAMPLE))
    rows = wb["参加支援"]
    year = 2026
    start, end = dt.date(2026, 4, 1), dt.date(2027, 3, 31)
    in_year = lambda d: start <= d.date() <= end                             # noqa: E731
    proposed = {m for m, s, d in zip(rows["マッチングID"], rows["段階"], rows["日付"]) if s == "打診" and in_year(d)}
    settled = {m for m, s, d in zip(rows["マッチングID"], rows["段階"], rows["日付"]) if s == "定着" and in_year(d)}
    assert indicators.count(wb, "参加支援マッチング件数", (), year, TODAY) == len(proposed) > 0
    assert indicators.count(wb, "定着件数", (), year, TODAY) == len(settled)
    assert not indicators.estimated(wb, "参加支援マッチング件数")
    record = participation.resource_record(wb)
    assert record["マッチング"].sum() == rows["マッチングID"].nunique()
    assert record["定着"].sum() == rows.loc[rows["段階"] == "定着", "マッチングID"].nunique()
    assert set(participation.developing(wb)["開拓担当"]) == {"社会福祉協議会（谷）"}


def test_without_the_tab_the_counts_are_estimated():
    raw = sources.read_excel(SAMPLE)
    wb = validate({title: raw[title] for title in raw if title != "参加支援"})
    assert indicators.estimated(wb, "参加支援マッチング件数") and indicators.estimated(wb, "定着件数")


def test_a_resource_being_developed_is_never_suggested():
    wb = validate(sources.read_excel(SAMPLE))
    growing = set(participation.developing(wb)["名称"])
    from lib.casework.resources import suggest
    for hid in wb["世帯"]["世帯ID"]:
        assert not growing & {s.name for s in suggest(wb, hid, widen=True, limit=100)}


def test_an_agency_running_participation_records_it_for_households_it_sees():
    wb = validate(sources.read_excel(SAMPLE))
    shakyo = User("tani", "谷", STAFF, "社会福祉協議会")
    kyotaku = User("k", "k", STAFF, "居宅介護支援事業所 みどりの里")
    assert entry.PARTICIPATION in allowed_entries(wb, shakyo)
    assert entry.PARTICIPATION not in allowed_entries(wb, kyotaku)


def test_from_a_suggestion_to_the_proposal_saved_on_the_household_screen(writable_town):
    path = writable_town
    at = open_page("screens/resources.py")
    at.selectbox(key="resources_household").select("H-004").run()
    suggestion = at.selectbox(key="resources_start").options[0]
    at.selectbox(key="resources_start").select(suggestion).run()
    next(b for b in at.button if b.label == "打診へ進む").click().run()
    assert not at.exception
    prefix = "entry_match_new_H-004"
    assert at.selectbox(key=f"{prefix}_resource").value == suggestion       # 世帯詳細's form, already chosen
    at.switch_page("screens/household.py")                                  # (AppTest stays there only when told)
    at.query_params["id"] = "H-004"
    at.run()
    assert at.selectbox(key=f"{prefix}_resource").value == suggestion
    at.selectbox(key=f"{prefix}_target").select("B氏")
    at.text_area(key=f"{prefix}_note").input("見学したいと話す")
    before = len(sources.read_excel(path)["参加支援"])
    next(b for b in at.button if b.label == "打診を記録").click().run()
    assert not at.exception
    assert any("打診を記録しました" in s.value for s in at.success), [e.value for e in at.error] + [s.value for s in at.success]
    rows = sources.read_excel(path)["参加支援"]
    assert len(rows) == before + 1
    last = row_dict(rows[-1])
    assert (last["世帯ID"], last["対象"], last["受入先"], last["段階"], last["内容"]) == (
        "H-004", "B氏", suggestion, "打診", "見学したいと話す")
    from tests.test_pages import texts
    assert f"B氏 → {suggestion}**（いま 打診）" in texts(at)


def test_the_daily_digest_names_follow_up_contacts_due():
    from lib.notify import digest
    wb = validate(sources.read_excel(SAMPLE))
    due = participation.follow_ups_due(participation.matchings(wb["参加支援"]), TODAY)
    assert due, "the sample town has a settled matching without a recent 定着支援"
    m = due[0]
    lead = wb["世帯"].set_index("世帯ID").at[m.household, "主担当機関"]
    for agency in {m.agency, lead}:
        mail = digest.agency_digest(wb, agency, None, TODAY, TODAY - dt.timedelta(days=1), stale_days=60,
                                    app_url="https://tsunagu.example")
        section = next(s for s in mail.sections if s.title.startswith("定着支援の時期"))
        line = next(x for x in section.lines if x.startswith(m.household))
        assert f"{m.target}の{m.resource}" in line and f"{(TODAY - m.last).days}日前" in line
    other = digest.agency_digest(wb, "税務課 収納係", None, TODAY, TODAY - dt.timedelta(days=1), stale_days=60,
                                 app_url="https://tsunagu.example")
    assert not next(s for s in other.sections if s.title.startswith("定着支援の時期")).lines


def test_the_next_step_is_recorded_from_the_household_screen(monkeypatch, writable_town):
    path = writable_town
    monkeypatch.setenv("TSUNAGU_TODAY", TODAY.isoformat())
    config = sources.resolve()
    plan, mid = participation.start(sources.load(config).workbook, "H-004", target="B氏", resource="北部農園しごと体験",
                                    day="R8.11.1", note="", agency=None, by="森田", today=TODAY)
    sources.write(config, sources.load(config), plan)
    at = open_page("screens/household.py", id="H-004", entry_tab="参加支援")
    at.selectbox(key="entry_match_pick_H-004").set_value(mid).run()
    prefix = f"entry_match_{mid}"
    at.selectbox(key=f"{prefix}_step").select("中断")
    next(b for b in at.button if b.label == "段階を記録").click().run()
    assert any("中断理由" in e.value for e in at.error)                     # a reason is needed; nothing written
    assert row_dict(sources.read_excel(path)["参加支援"][-1])["段階"] == "打診"
    at.selectbox(key=f"{prefix}_step").select("見学")
    at.text_area(key=f"{prefix}_support").input("作業の手順を写真で用意してもらった")
    next(b for b in at.button if b.label == "段階を記録").click().run()
    assert not at.exception and any("「見学」を記録しました" in s.value for s in at.success)
    last = row_dict(sources.read_excel(path)["参加支援"][-1])
    assert (last["マッチングID"], last["段階"], last["受入先への支援"], last["日付"]) == (
        mid, "見学", "作業の手順を写真で用意してもらった", TODAY)
