"""The 実施状況報告 on プラン進捗 and the prefecture's combining on 取り込み, through AppTest: who sees
them, the 所見 saved into the workbook, and a colleague's 所見 saved meanwhile refused with the typed
text kept."""
import datetime as dt

import pytest

from lib.report import notes
from lib.workbook import schema, sources
from tests.test_pages import fixed_today, open_page  # noqa: F401 - the pages' fixed today

PROGRAMME_INDEX = {p: i for i, p in enumerate(schema.PROGRAMMES)}


def report_view(user: str = "admin", year: int = 2025, **kwargs):
    at = open_page("screens/plans.py", user=user, **kwargs)
    at.radio(key="plans_view").set_value("実施計画の指標").run()
    at.selectbox(key="plans_year").set_value(year).run()
    assert not at.exception, at.exception
    return at


def note_area(at, programme: str):
    return at.text_area(key=f"entry_report_notes_2025_text_{PROGRAMME_INDEX[programme]}")


def save_notes(at):
    next(b for b in at.button if b.label == "所見を保存").click()
    return at.run()


def cells(path):
    from openpyxl import load_workbook
    return [[c.value for c in r] for r in load_workbook(path)[schema.REPORT_NOTES].iter_rows(min_row=2)]


@pytest.mark.parametrize("user, sees", [("admin", True), ("kyodo", True), ("houkatsu", False), ("eturan", False)])
def test_the_report_is_for_the_coordinator_and_the_administrator(monkeypatch, user, sees):
    monkeypatch.delenv("TSUNAGU_WORKBOOK", raising=False)
    at = open_page("screens/plans.py", user=user)
    if not any(r.key == "plans_view" for r in at.radio):
        assert not sees
        return
    at.radio(key="plans_view").set_value("実施計画の指標").run()
    labels = [b.label for b in at.get("download_button")]
    assert ("実施状況報告（PDF）" in labels) == sees
    assert ("県への提出用（CSV）" in labels) == sees
    assert any(s.value.endswith("実施状況報告（委員会へ）") for s in at.subheader) == sees


def test_projected_plan_progress_never_shows_the_report(monkeypatch):
    monkeypatch.delenv("TSUNAGU_WORKBOOK", raising=False)
    at = open_page("screens/plans.py", projection=True)
    at.radio(key="plans_view").set_value("実施計画の指標").run()
    assert not [b for b in at.get("download_button") if "実施状況報告" in b.label]
    assert not [t for t in at.text_area]


def test_the_figures_on_screen_are_the_printed_ones_and_the_sample_town_has_its_name_and_code(monkeypatch):
    monkeypatch.delenv("TSUNAGU_WORKBOOK", raising=False)
    at = report_view()
    assert at.subheader[-1].value == "令和7年度の実施状況報告（委員会へ）"
    assert not at.warning                                   # the sample town: みどり町, 999997
    shown = [d.value for d in at.dataframe]
    measures = next(d for d in shown if list(d.columns) == ["指標", "単位", "目標値", "今年度", "前年度", "増減", "達成率", "数え方"])
    assert measures.set_index("指標").loc["新規相談受付件数", "今年度"] == "28〜33"
    assert note_area(at, "地域づくり").value.startswith("中央地区以外では")      # the newest row of the tab


def test_a_town_without_its_code_is_told_where_to_set_it_and_gets_no_csv(monkeypatch, writable_town):
    at = report_view()
    assert "全国地方公共団体コード" in at.warning[0].value
    assert "県への提出用（CSV）" not in [b.label for b in at.get("download_button")]
    assert next(b for b in at.button if b.label == "県への提出用（CSV）").disabled
    monkeypatch.setenv("TSUNAGU_TOWN_NAME", "あおば町")
    monkeypatch.setenv("TSUNAGU_TOWN_CODE", "336432")
    at = report_view()
    assert not at.warning and "県への提出用（CSV）" in [b.label for b in at.get("download_button")]


def test_a_note_is_saved_into_the_workbook(writable_town):
    at = report_view(user="kyodo")
    note_area(at, "参加支援").input("受入先が3か所ふえ、定着まで進んだ人が出た。")
    at = save_notes(at)
    assert not at.exception and "所見を保存しました" in at.success[0].value
    rows = cells(writable_town)
    assert rows[-1][:3] == [2025, "参加支援", "受入先が3か所ふえ、定着まで進んだ人が出た。"]
    assert rows[-1][3].date() == dt.date(2026, 11, 24) and rows[-1][4]
    assert len(rows) == 7                                 # one row: the other texts did not change
    assert note_area(at, "参加支援").value == "受入先が3か所ふえ、定着まで進んだ人が出た。"


def test_a_colleagues_note_saved_after_the_form_was_drawn_is_not_overwritten(writable_town):
    at = report_view()
    note_area(at, "多機関協働").input("私のまとめ: 会議を毎月開いた。")
    config = sources.resolve()                            # meanwhile a colleague saves this 年度's 所見
    snapshot = sources.load(config)
    sources.write(config, snapshot, notes.save(snapshot.workbook, 2025, {"多機関協働": "同僚のまとめ"}, by="坂本",
                                               today=dt.date(2026, 11, 24)))
    at = save_notes(at)
    assert not at.exception
    assert "この画面を開いた後に" in at.error[0].value
    assert note_area(at, "多機関協働").value == "私のまとめ: 会議を毎月開いた。"      # what was typed stays
    rows = cells(writable_town)
    assert rows[-1][:3] == [2025, "多機関協働", "同僚のまとめ"] and len(rows) == 7   # nothing of mine written
    at = save_notes(at)                                   # pressed again, knowing: saved over it as a new row
    assert "所見を保存しました" in at.success[0].value
    assert cells(writable_town)[-1][:3] == [2025, "多機関協働", "私のまとめ: 会議を毎月開いた。"]


def test_unchanged_notes_are_not_saved_again(writable_town):
    at = save_notes(report_view())
    assert "変わっていない" in at.info[-1].value and len(cells(writable_town)) == 6


@pytest.mark.parametrize("user, sees", [("admin", True), ("kyodo", False)])
def test_the_prefecture_combining_is_on_imports_for_the_administrator(monkeypatch, user, sees):
    monkeypatch.delenv("TSUNAGU_WORKBOOK", raising=False)
    at = open_page("screens/imports.py", user=user)
    assert any(r.key == "import_mode" for r in at.radio) == sees
    if sees:
        at.radio(key="import_mode").set_value("県の集計（町ごとの CSV をまとめる）").run()
        assert not at.exception and "県への提出用（CSV）" in at.caption[0].value
        assert not at.selectbox                            # the list import's questions are not asked
