"""Recording a meeting: the write plan, and carrying it out on Excel and on Google Sheets (fake server)
— success, a row edited meanwhile (refused, sheet unchanged), a row inserted above, a locked file."""
import datetime as dt
import hashlib
import shutil

import pytest
from openpyxl import load_workbook

from lib.meetings import agenda
from lib.workbook import excel, sources, writeplan, xlsx_cells
from lib.meetings import writeback as wb
from lib.meetings.agenda import Agenda, Proposal
from tests.conftest import SAMPLE, SHEET_KEY

DAY = dt.date(2026, 11, 25)


def meeting(*ids, kind="重層的支援会議", meeting_id=""):
    return Agenda(kind, DAY, place="役場2階", chair="福祉課長", meeting_id=meeting_id,
                  items=[Proposal(h, ("緊急",)) for h in ids])


# ---------------------------------------------------------------- the plan (pure)

def test_plan_appends_the_meeting_and_changes_only_what_differs(sample_raw):
    from lib.workbook.validate import validate
    workbook = validate(sample_raw)
    plan = wb.record_meeting(workbook, meeting("H-007", "H-009"), {
        "H-007": wb.Decision("訪問を週1回に", stage="支援中", review=dt.date(2027, 1, 10)),
        "H-009": wb.Decision("継続", agency="社会福祉協議会")})
    assert [(c.key, c.column, c.new) for c in plan.changes] == [
        ("H-007", "次回見直し日", dt.date(2027, 1, 10)), ("H-009", "主担当機関", "社会福祉協議会")]
    assert set(plan.expected) == {("世帯", "H-007"), ("世帯", "H-009")}
    (row,) = plan.appends
    assert row.values["会議ID"] == "M-20261125-J1"
    assert row.values["対象世帯"] == ("H-007", "H-009")
    assert row.values["決定事項"] == "H-007: 訪問を週1回に\nH-009: 継続"
    assert (row.values["開始"], row.values["終了"]) == (dt.time(13, 30), dt.time(14, 0))


@pytest.mark.parametrize("kind, decision, field, words", [
    ("重層的支援会議", wb.Decision("終結とする", stage="終結"), "H-007 新しい段階", "評価"),
    ("支援会議", wb.Decision("プランを作る", stage="プラン作成"), "H-007 支援会議", "プランや段階を決めません"),
    ("支援会議", wb.Decision(plan_added=({"対象": "A氏", "目標": "通院"},)), "H-007 支援会議", "プランや段階を決めません"),
])
def test_a_meeting_decides_only_what_it_may(sample_raw, kind, decision, field, words):
    """終結 needs its 評価 (世帯詳細); a 支援会議 decides no plan and no 段階 (DESIGN)."""
    from lib.casework.entry import Invalid
    from lib.workbook.validate import validate
    with pytest.raises(Invalid) as refused:
        wb.record_meeting(validate(sample_raw), meeting("H-007", kind=kind), {"H-007": decision}, today=DAY)
    assert words in refused.value.errors[field]


def test_a_decision_changes_plan_items_stage_and_review_in_one_plan(sample_raw):
    from lib.casework import entry
    from lib.workbook.validate import validate
    workbook = validate(sample_raw)
    rows = entry.plan_rows(workbook, "H-007")
    first = rows[0]
    status = "達成" if first["状況"] != "達成" else "実施中"
    decision = wb.Decision("就労の準備を始める\n母の介護は包括が継続", minutes="本人は前向き", stage="プラン作成",
                           review=dt.date(2027, 1, 10), plan_edited={first["key"]: {"状況": status}},
                           plan_added=({"対象": "危機介入", "目標": "夜間の連絡先を決める", "取組事項": "包括が連絡網をつくる"},))
    plan = wb.record_meeting(workbook, meeting("H-007", "H-009"), {"H-007": decision}, by="森田", today=DAY)
    changed = {(c.tab, c.key, c.column): c.new for c in plan.changes}
    assert changed[("世帯", "H-007", "段階")] == "プラン作成"
    assert changed[("世帯", "H-007", "次回見直し日")] == dt.date(2027, 1, 10)
    assert changed[("支援プラン", first["key"], "状況")] == status
    assert changed[("支援プラン", first["key"], "更新日")] == DAY
    tabs = [r.tab for r in plan.appends]
    assert tabs == ["会議", "段階履歴", "支援プラン"]
    history = plan.appends[1].values
    assert (history["旧段階"], history["新段階"], history["記入者"]) == ("支援中", "プラン作成", "森田")
    row = plan.appends[0].values
    assert row["決定事項"] == "H-007: 就労の準備を始める ／ 母の介護は包括が継続"
    assert row["議事録"] == "H-007: 本人は前向き"
    assert row["変更プラン"] == (f"H-007: {first['対象']}「{first['目標']}」更新（{first['key']}行目）、"
                             "危機介入「夜間の連絡先を決める」追加")
    assert wb.per_household(row["決定事項"]) == {"H-007": "就労の準備を始める\n母の介護は包括が継続"}


@pytest.mark.parametrize("edit, line", [
    ({"目標": "週2回の通所を続ける"}, "{対象}「週2回の通所を続ける」更新（旧: {目標}）（{key}行目）"),
    ({"目標": "週2回の通所を続ける", "状況": "見直し"}, "{対象}「週2回の通所を続ける」更新（旧: {目標}）（{key}行目）"),
    ({"状況": "見直し"}, "{対象}「{目標}」更新（{key}行目）"),                          # wording unchanged: no 旧
])
def test_papers_name_a_changed_plan_row_by_its_wording_after_the_save(sample_raw, edit, line):
    from lib.casework import entry
    from lib.meetings import paperwork
    from lib.workbook.validate import validate
    workbook = validate(sample_raw)
    first = entry.plan_rows(workbook, "H-007")[0]
    other = "見直し" if first["状況"] != "見直し" else "実施中"          # a 状況 that really changes
    edit = {k: other if k == "状況" else v for k, v in edit.items()}
    decision = wb.Decision("続ける", plan_edited={first["key"]: edit})
    plan = wb.record_meeting(workbook, meeting("H-007"), {"H-007": decision}, by="森田", today=DAY)
    row = plan.appends[0].values
    expected = line.format(**first)
    assert row["変更プラン"] == f"H-007: {expected}"
    saved = wb.Saved({**row, "対象世帯": ("H-007",)}, wb.per_household(row["決定事項"]), {},
                     wb.per_household(row["変更プラン"]), [])
    report = paperwork.report_sheet(workbook, wb.agenda_of(saved), saved).blocks[0].rows
    assert expected in dict(report)["報告事項"]


@pytest.mark.parametrize("cell, expected", [
    ("H-001: 見守り継続\nH-002: 訪問 ／ 月2回", {"H-001": "見守り継続", "H-002": "訪問\n月2回"}),
    ("全体: 次回は1月\nH-001：継続", {"": "全体: 次回は1月", "H-001": "継続"}),
    ("ＨＡ-００３: 全角", {"HA-003": "全角"}),
    (None, {}),
])
def test_per_household_lines_read_back(cell, expected):
    assert wb.per_household(cell) == expected


def test_attendance_lines_round_trip_and_decide_scope():
    present = [wb.Attendance("地域包括支援センター", True, "高野・石井"), wb.Attendance("社会福祉協議会", True),
               wb.Attendance("保健センター", False)]
    text = "\n".join(a.line() for a in present)
    assert text == "地域包括支援センター：高野・石井\n社会福祉協議会：出席\n保健センター：欠席"
    assert wb.attendance_lines(text) == present
    row = {"出席者": text, "参加機関": ["地域包括支援センター", "社会福祉協議会", "保健センター"]}
    assert wb.attended_agencies(row) == ["地域包括支援センター", "社会福祉協議会"]
    assert wb.attended_agencies({"出席者": None, "参加機関": ["保健センター"]}) == ["保健センター"]


def test_a_second_save_keeps_other_households_lines(sample_raw):
    """Saving the decision for the next household never drops what was saved for the first."""
    from lib.workbook.validate import validate
    workbook = validate(sample_raw)
    existing = workbook["会議"].iloc[-1]
    ids = list(existing["対象世帯"])
    a = meeting(*ids, kind=existing["種別"], meeting_id=existing["会議ID"])
    row = {**writeplan.row_as_read(workbook, "会議", existing["会議ID"]), "決定事項": f"{ids[0]}: 見守り継続\n手書きのメモ"}
    plan = wb.record_meeting(workbook.__class__(**{**workbook.__dict__, "tables": {
        **workbook.tables, "会議": workbook["会議"].assign(決定事項=[row["決定事項"] if m == existing["会議ID"] else d
                                                                  for m, d in zip(workbook["会議"]["会議ID"], workbook["会議"]["決定事項"])])}}),
        a, {ids[1]: wb.Decision("訪問を月2回に"), ids[0]: wb.Decision("")})
    (change,) = [c for c in plan.changes if c.column == "決定事項"]
    assert change.new == f"手書きのメモ\n{ids[0]}: 見守り継続\n{ids[1]}: 訪問を月2回に"


def test_existing_meeting_id_updates_its_row_instead_of_appending(sample_raw):
    from lib.workbook.validate import validate
    workbook = validate(sample_raw)
    existing = workbook["会議"].iloc[-1]
    plan = wb.record_meeting(workbook, meeting(*existing["対象世帯"], kind=existing["種別"],
                                               meeting_id=existing["会議ID"]),
                             {existing["対象世帯"][0]: wb.Decision("見守り継続")})
    assert plan.appends == []
    assert ("会議", existing["会議ID"]) in plan.expected
    assert "決定事項" in [c.column for c in plan.changes]


@pytest.mark.parametrize("value, sheets, excel", [
    (dt.date(2027, 1, 5), "2027/1/5", dt.date(2027, 1, 5)), (dt.time(9, 5), "09:05", "09:05"),
    (("H-1", "H-2"), "H-1、H-2", "H-1、H-2"), (None, "", ""), ("=1+1", "=1+1", "=1+1"), (3, 3, 3)])
def test_cell_values(value, sheets, excel):
    assert writeplan.cell_value(value, for_sheets=True) == sheets
    assert writeplan.cell_value(value, for_sheets=False) == excel


# ---------------------------------------------------------------- Excel

@pytest.fixture
def town_file(tmp_path, monkeypatch):
    path = tmp_path / "town.xlsx"
    shutil.copy(SAMPLE, path)
    config = sources.resolve({"TSUNAGU_WORKBOOK": str(path), "TSUNAGU_BACKUP_DIR": str(tmp_path / "backups")}, {})
    return path, config


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def sample_plan(snapshot, decision_text="=SUM(A1) 訪問を週1回に"):
    return wb.record_meeting(snapshot.workbook, meeting("H-007", "H-009"), {
        "H-007": wb.Decision(decision_text, stage="支援中", review=dt.date(2027, 1, 10)),
        "H-009": wb.Decision("継続", agency="社会福祉協議会")})


def test_excel_write_changes_cells_appends_the_meeting_and_keeps_a_backup(town_file, tmp_path):
    path, config = town_file
    snapshot = sources.load(config)
    before = digest(path)
    written = sources.write(config, snapshot, sample_plan(snapshot))
    assert written.cells == 13   # two household cells and the 11 filled cells of the meeting row
    assert written.rows == [('世帯', 8), ('世帯', 10), ('会議', 66)]
    after = sources.load(config).workbook
    hh = after["世帯"].set_index("世帯ID")
    assert hh.loc["H-007", "次回見直し日"].date() == dt.date(2027, 1, 10)
    assert hh.loc["H-009", "主担当機関"] == "社会福祉協議会"
    last = after["会議"].iloc[-1]
    assert (last["会議ID"], last["決定事項"]) == ("M-20261125-J1", "H-007: =SUM(A1) 訪問を週1回に\nH-009: 継続")
    sheet = load_workbook(path)["会議"]
    cell = sheet.cell(row=sheet.max_row, column=11)
    assert cell.data_type == "s" and cell.value.startswith("H-007: =SUM")
    backups = list((tmp_path / "backups").iterdir())
    assert len(backups) == 1 and digest(backups[0]) == before
    untouched = [c for c in after["世帯"].columns if c not in ("_row", "次回見直し日", "主担当機関")]
    original = sources.load(sources.resolve({"TSUNAGU_WORKBOOK": str(backups[0])}, {})).workbook["世帯"]
    assert after["世帯"][untouched].equals(original[untouched])


def test_excel_row_edited_meanwhile_is_refused_and_file_unchanged(town_file):
    path, config = town_file
    snapshot = sources.load(config)
    book = load_workbook(path)
    sheet = book["世帯"]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == "H-007")
    row[7].value = "別の担当者"          # 担当者 edited by a colleague
    book.save(path)
    edited = digest(path)
    with pytest.raises(sources.WriteConflict) as refused:
        sources.write(config, snapshot, sample_plan(snapshot))
    assert [(c.key, c.column, c.now) for c in refused.value.conflicts] == [("H-007", "担当者", "別の担当者")]
    assert digest(path) == edited


def test_excel_row_inserted_above_still_finds_the_household(town_file):
    path, config = town_file
    snapshot = sources.load(config)
    book = load_workbook(path)
    book["世帯"].insert_rows(2)
    book["世帯"]["A2"] = "H-900"
    book["世帯"]["B2"] = "新しい世帯"
    book.save(path)
    sources.write(config, snapshot, sample_plan(snapshot))
    sheet = load_workbook(path)["世帯"]
    rows = {r[0].value: r for r in sheet.iter_rows(min_row=2)}
    assert rows["H-009"][6].value == "社会福祉協議会"
    assert rows["H-900"][6].value is None


def test_excel_open_elsewhere_is_refused(town_file):
    path, config = town_file
    snapshot = sources.load(config)
    (path.parent / ("~$" + path.name)).write_text("owner")
    before = digest(path)
    with pytest.raises(sources.WriteRefused, match="開かれています"):
        sources.write(config, snapshot, sample_plan(snapshot))
    assert digest(path) == before


def test_backups_are_bounded(town_file, monkeypatch, tmp_path):
    path, config = town_file
    monkeypatch.setattr(excel, "BACKUP_KEEP", 2)
    for n in range(4):
        snapshot = sources.load(config)
        sources.write(config, snapshot, wb.record_meeting(snapshot.workbook, meeting("H-007"),
                                                          {"H-007": wb.Decision(f"記録{n}")}))
    assert len(list((tmp_path / "backups").iterdir())) == 2
    meetings = sources.load(config).workbook["会議"]
    assert list(meetings["会議ID"])[-1] == "M-20261125-J1" and "M-20261125-J2" not in set(meetings["会議ID"])
    assert meetings.iloc[-1]["決定事項"] == "H-007: 記録3"                 # four saves of one meeting, one row


@pytest.mark.parametrize("in_place", [False, True], ids=["replace", "in-place (Windows)"])
def test_a_save_keeps_who_may_read_the_workbook(town_file, monkeypatch, tmp_path, in_place):
    """A 0600 workbook stays 0600 after the app's save (the temp file took the umask before), and the
    backup folder the save makes is the app's account's only; on Windows the file itself is written."""
    import os
    import stat
    path, config = town_file
    os.chmod(path, 0o600)
    inode = path.stat().st_ino
    monkeypatch.setattr(excel, "WRITE_IN_PLACE", in_place)
    snapshot = sources.load(config)
    sources.write(config, snapshot, wb.record_meeting(snapshot.workbook, meeting("H-007"), {"H-007": wb.Decision("記録")}))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "backups").stat().st_mode) == 0o700
    assert (path.stat().st_ino == inode) == in_place
    assert list(sources.load(config).workbook["会議"]["会議ID"])[-1] == "M-20261125-J1"


def test_a_missing_column_gets_its_header_after_the_last_one_and_nothing_moves(tmp_path, monkeypatch):
    from openpyxl import Workbook
    path = tmp_path / "small.xlsx"
    book = Workbook()
    book.active.title = "世帯"
    book.active.append(["世帯ID", "表示名", "同意", "段階", "受付日"])
    book.active.append(["H-1", "a", "あり", "支援中", "2026/1/1"])
    book.create_sheet("会議").append(["会議ID", "種別", "開催日"])
    book.save(path)
    config = sources.resolve({"TSUNAGU_WORKBOOK": str(path), "TSUNAGU_BACKUP_DIR": str(tmp_path / "b")}, {})
    snapshot = sources.load(config)
    plan = wb.record_meeting(snapshot.workbook, meeting("H-1"), {"H-1": wb.Decision(review=dt.date(2027, 1, 1))})
    result = sources.write(config, snapshot, plan)
    assert ("世帯", "次回見直し日") in result.headers
    from openpyxl import load_workbook
    sheet = load_workbook(path)["世帯"]
    assert [c.value for c in sheet[1]] == ["世帯ID", "表示名", "同意", "段階", "受付日", "次回見直し日"]
    assert [c.value for c in sheet[2]][:5] == ["H-1", "a", "あり", "支援中", "2026/1/1"]
    assert sheet["F2"].value.date() == dt.date(2027, 1, 1)
    assert sources.load(config).workbook["世帯"]["次回見直し日"].iloc[0].date() == dt.date(2027, 1, 1)


# ---------------------------------------------------------------- Google Sheets (fake server)

def sheets_config(root):
    return sources.resolve({"TSUNAGU_WORKBOOK": SHEET_KEY, "TSUNAGU_SHEETS_API_ROOT": root}, {})


def test_sheets_write_is_one_read_one_batch_update_and_one_append_all_raw(fake_sheets):
    fake, root = fake_sheets
    config = sheets_config(root)
    snapshot = sources.load(config)
    fake.requests.clear()
    sources.write(config, snapshot, sample_plan(snapshot))
    assert [(r.method, r.path.rsplit(":", 1)[-1] if ":" in r.path else "values") for r in fake.requests] == [
        ("GET", "batchGet"), ("POST", "batchUpdate"), ("POST", "append")]
    update = fake.requests[1].body
    assert update["valueInputOption"] == "RAW"
    assert sorted(d["range"] for d in update["data"]) == ["'世帯'!G10", "'世帯'!J8"]
    assert fake.requests[2].query["valueInputOption"] == ["RAW"]
    after = sources.load(config).workbook
    assert after["世帯"].set_index("世帯ID").loc["H-007", "次回見直し日"].date() == dt.date(2027, 1, 10)
    assert after["会議"].iloc[-1]["決定事項"].startswith("H-007: =SUM(A1)")
    assert fake.books[SHEET_KEY]["会議"][-1][10].startswith("H-007: =SUM(A1)")   # stored as text, RAW


def test_sheets_row_edited_meanwhile_is_refused_and_sheet_unchanged(fake_sheets):
    fake, root = fake_sheets
    config = sheets_config(root)
    snapshot = sources.load(config)
    rows = fake.books[SHEET_KEY]["世帯"]
    row = next(r for r in rows if r[0] == "H-009")
    row[5] = "終結"
    import copy
    before = copy.deepcopy(fake.books[SHEET_KEY])
    fake.requests.clear()
    with pytest.raises(sources.WriteConflict) as refused:
        sources.write(config, snapshot, sample_plan(snapshot))
    assert [(c.key, c.column, c.read, c.now) for c in refused.value.conflicts] == [("H-009", "段階", "支援中", "終結")]
    assert fake.books[SHEET_KEY] == before
    assert [r.method for r in fake.requests] == ["GET"]


def test_sheets_row_inserted_above_still_finds_the_household(fake_sheets):
    fake, root = fake_sheets
    config = sheets_config(root)
    snapshot = sources.load(config)
    fake.books[SHEET_KEY]["世帯"].insert(1, ["H-900", "新しい世帯"])
    sources.write(config, snapshot, sample_plan(snapshot))
    rows = {r[0]: r for r in fake.books[SHEET_KEY]["世帯"][1:]}
    assert rows["H-009"][6] == "社会福祉協議会"
    assert rows["H-900"] == ["H-900", "新しい世帯"]


def test_sheets_read_only_share_is_refused_with_advice(fake_sheets):
    fake, root = fake_sheets
    config = sheets_config(root)
    snapshot = sources.load(config)
    fake.forbidden.add(SHEET_KEY)
    with pytest.raises(sources.WriteRefused) as refused:
        sources.write(config, snapshot, sample_plan(snapshot))
    assert "編集者" in refused.value.advice


def test_agenda_flow_end_to_end_on_excel(town_file):
    """Propose, record a decision, and see the next proposal change (見直し期限 cleared)."""
    path, config = town_file
    snapshot = sources.load(config)
    first = agenda.propose(snapshot.workbook, "重層的支援会議", DAY)
    target = next(p for p in first if "見直し期限" in p.reasons)
    plan = wb.record_meeting(snapshot.workbook, meeting(target.household_id),
                             {target.household_id: wb.Decision("再プラン", review=dt.date(2027, 3, 1))})
    sources.write(config, snapshot, plan)
    again = {p.household_id: p for p in agenda.propose(sources.load(config).workbook, "重層的支援会議", DAY)}
    assert "見直し期限" not in again.get(target.household_id, Proposal(target.household_id, ("新規",))).reasons


# ---------------------------------------------------------------- an Excel save changes only its own cells

def rich_town(path):
    """The sample town with what real town files hold: formulas with cached results (as Excel
    leaves them), a chart, an image, data validation, comments, a defined name, column widths."""
    import io
    import re
    import zipfile

    from openpyxl.chart import BarChart, Reference
    from openpyxl.comments import Comment
    from openpyxl.drawing.image import Image
    from openpyxl.workbook.defined_name import DefinedName
    from openpyxl.worksheet.datavalidation import DataValidation
    from PIL import Image as PILImage

    book = load_workbook(SAMPLE)
    hh = book["世帯"]
    extra = hh.max_column + 1
    hh.cell(row=1, column=extra, value="行番号2倍")
    for r in range(2, hh.max_row + 1):
        hh.cell(row=r, column=extra, value="=ROW()*2")
    hh.column_dimensions["B"].width = 31.5
    dv = DataValidation(type="list", formula1='"受付,アセスメント,プラン作成,支援中,見守り,終結,中断"')
    hh.add_data_validation(dv)
    dv.add("F2:F500")
    hh["B2"].comment = Comment("表示名は家族の了解を得て", "事務局")
    summary = book.create_sheet("集計")
    summary["A1"], summary["B1"] = "段階", "世帯数"
    for i, stage in enumerate(["受付", "支援中", "終結"], start=2):
        summary.cell(row=i, column=1, value=stage)
        summary.cell(row=i, column=2, value=f'=COUNTIF(世帯!F:F,A{i})')
    chart = BarChart()
    chart.add_data(Reference(summary, min_col=2, min_row=1, max_row=4), titles_from_data=True)
    summary.add_chart(chart, "D2")
    png = io.BytesIO()
    PILImage.new("RGB", (8, 8), "red").save(png, format="PNG")
    summary.add_image(Image(io.BytesIO(png.getvalue())), "D20")
    book.defined_names["支援中の数"] = DefinedName("支援中の数", attr_text="集計!$B$3")
    staged = io.BytesIO()
    book.save(staged)
    # Excel stores each formula's last result next to it; openpyxl does not, so add them as Excel would:
    out = io.BytesIO()
    with zipfile.ZipFile(staged) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename.startswith("xl/worksheets/sheet"):
                data = re.sub(rb"(<f>[^<]*</f>)<v\s*/>|(<f>[^<]*</f>)<v></v>|(<f>[^<]*</f>)(?!<v>)",
                              lambda m: (m.group(1) or m.group(2) or m.group(3)) + b"<v>7</v>", data)
            zout.writestr(info, data)
    path.write_bytes(out.getvalue())
    return path


def package(path):
    import zipfile
    with zipfile.ZipFile(path) as z:
        return {i.filename: z.read(i.filename) for i in z.infolist()}


def test_excel_save_changes_only_its_cells_and_keeps_the_rest_of_the_package(tmp_path):
    path = rich_town(tmp_path / "town.xlsx")
    config = sources.resolve({"TSUNAGU_WORKBOOK": str(path), "TSUNAGU_BACKUP_DIR": str(tmp_path / "b")}, {})
    before_parts, before_raw = package(path), sources.read_excel(path)
    assert before_raw["集計"][2][1] == 7 and before_raw["世帯"][1][-1] == 7      # cached results are there
    snapshot = sources.load(config)
    plan = sample_plan(snapshot)
    assert sources.write(config, snapshot, plan).cells == 13
    after_parts, after_raw = package(path), sources.read_excel(path)

    # Only the two touched sheets, styles (a date style at most) and workbook.xml (recalc on load) differ:
    changed = {name for name in before_parts if after_parts.get(name) != before_parts[name]}
    titles = xlsx_cells._sheet_parts(before_parts)
    assert changed <= {titles["世帯"], titles["会議"], "xl/workbook.xml", "xl/styles.xml"}
    assert set(after_parts) == set(before_parts)
    assert any("chart" in n for n in after_parts) and any(n.startswith("xl/media/") for n in after_parts)
    assert b'fullCalcOnLoad="1"' in after_parts["xl/workbook.xml"]

    # Every cell reads the same (value and cached formula result), except the ones written:
    header = before_raw["世帯"][0]
    row_of = {r[0]: i for i, r in enumerate(before_raw["世帯"])}
    written = {("世帯", row_of["H-007"], header.index("次回見直し日")), ("世帯", row_of["H-009"], header.index("主担当機関"))}
    for title, rows in before_raw.items():
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if (title, r, c) not in written:
                    assert after_raw[title][r][c] == value, (title, r, c)
    assert len(after_raw["会議"]) == len(before_raw["会議"]) + 1
    assert after_raw["会議"][-1][0] == "M-20261125-J1"

    # What openpyxl sees: validation, comment, defined name, widths, the written date as a date:
    book = load_workbook(path)
    assert str(book["世帯"].data_validations.dataValidation[0].sqref) == "F2:F500"
    assert book["世帯"]["B2"].comment.text == "表示名は家族の了解を得て"
    assert "支援中の数" in book.defined_names
    assert book["世帯"].column_dimensions["B"].width == 31.5
    cell = book["世帯"].cell(row=row_of["H-007"] + 1, column=header.index("次回見直し日") + 1)
    assert cell.is_date and cell.value.date() == dt.date(2027, 1, 10)
    assert book["集計"]["B3"].value == "=COUNTIF(世帯!F:F,A3)"


M = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
EXCEL_ROOT = (f'<worksheet xmlns="{M}" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
              'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
              'xmlns:x14ac="http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac" mc:Ignorable="x14ac">')
EXCEL_ROWS = ('<row r="1" spans="1:3" x14ac:dyDescent="0.4"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
              '<row r="2" spans="1:3" x14ac:dyDescent="0.4"><c r="A2" t="s"><v>2</v></c><c r="B2" s="1"><v>46000</v></c>'
              '<c r="C2"><f>B2+1</f><v>46001</v></c></row>')
DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
APPENDED = [["H-001", dt.date(2026, 12, 1), "電話", 3, 2.5, True, "全角　テキスト\n改行", "制御\x07文字", "=SUM(A1)"],
            ["", None, ""],                                             # a row of blanks writes nothing
            ["H-002", None, "", "訪問"]]


SHAPES = [
    ("Excel's own shape (shared strings, spans, x14ac, a formula)",
     DECLARATION + EXCEL_ROOT + '<dimension ref="A1:C2"/><sheetViews/><sheetData>' + EXCEL_ROWS
     + '</sheetData><pageMargins left="0.7"/></worksheet>', True),
    ("a header row only", DECLARATION + EXCEL_ROOT + '<dimension ref="A1:B1"/><sheetData>' + EXCEL_ROWS.split("<row r=\"2\"")[0]
     + '</sheetData></worksheet>', True),
    ("no dimension, no declaration", EXCEL_ROOT + '<sheetData>' + EXCEL_ROWS + '</sheetData></worksheet>', True),
    ("formatted empty rows at the end", DECLARATION + EXCEL_ROOT + '<dimension ref="A1:C4"/><sheetData>' + EXCEL_ROWS
     + '<row r="3"><c r="A3" s="1"/></row><row r="4"><c r="B4" s="1"/></row></sheetData></worksheet>', False),
    ("no row at all", DECLARATION + EXCEL_ROOT + '<dimension ref="A1"/><sheetData/></worksheet>', False),
    ("a prefixed root", DECLARATION + f'<x:worksheet xmlns:x="{M}"><x:sheetData><x:row r="1"><x:c r="A1"><x:v>1</x:v>'
     '</x:c></x:row></x:sheetData></x:worksheet>', False),
    ("another encoding named", '<?xml version="1.0" encoding="Shift_JIS"?>' + EXCEL_ROOT
     + '<sheetData>' + EXCEL_ROWS + '</sheetData></worksheet>', False),
    ("a last row without r", DECLARATION + EXCEL_ROOT + '<sheetData><row><c><v>1</v></c></row></sheetData></worksheet>', False),
]


def _date_styles():
    """A styles part with a date style already there, as the in-place and the parsed paths see it."""
    from lib.workbook import xlsx_cells
    return xlsx_cells._Styles(f'<styleSheet xmlns="{M}"><cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14"/>'
                              '</cellXfs></styleSheet>'.encode())


def _canonical(xml: bytes) -> bytes:
    from lxml import etree
    return etree.tostring(etree.fromstring(xml), method="c14n")


@pytest.mark.parametrize("name, part, in_place", SHAPES, ids=[shape[0] for shape in SHAPES])
def test_rows_appended_in_place_are_the_rows_a_parsed_sheet_gets(name, part, in_place):
    """A save appends to a sheet of tens of MB without parsing it (lib.workbook.xlsx_cells): the
    result is, element for element, what parsing the sheet and appending gives; the bytes before
    the new rows stay as they were, and any shape it does not handle is left to the full parse."""
    from lxml import etree

    from lib.workbook import xlsx_cells
    data, fast_styles = part.encode(), _date_styles()
    done = xlsx_cells._append_in_place(data, APPENDED, fast_styles)
    assert (done is not None) == in_place, name
    if not in_place:
        return
    parsed, full_styles = xlsx_cells._Sheet(data), _date_styles()
    numbers, written = xlsx_cells._append_rows(parsed, APPENDED, full_styles, parsed.last_used_row())
    assert (done[1], done[2]) == (numbers, written) and written == 11
    assert _canonical(done[0]) == _canonical(xlsx_cells._serialise(parsed.tree))
    assert etree.tostring(fast_styles.tree) == etree.tostring(full_styles.tree)   # the same date style added
    cut = data.index(b"</sheetData>")
    assert done[0].endswith(data[cut:]) and (b"<dimension" in data) == (done[0][:cut] != data[:cut])


EDITS = [(2, 1, dt.date(2027, 1, 10)), (2, 0, "H-001b"), (1, 4, "新しい見出し"), (2, 6, 3), (1, 0, True)]
EDIT_SHAPES = [
    ("Excel's own shape", DECLARATION + EXCEL_ROOT + '<dimension ref="A1:C2"/><sheetData>' + EXCEL_ROWS
     + '<row r="3" spans="1:3"><c r="A3"><v>1</v></c></row></sheetData></worksheet>', True),
    ("cells without r", DECLARATION + EXCEL_ROOT + '<sheetData><row r="1"><c t="inlineStr"><is><t>a</t></is></c></row>'
     '<row r="2"><c><v>1</v></c><c s="1"><v>2</v></c><c><v>3</v></c></row></sheetData></worksheet>', True),
    ("an empty row written as <row/>", DECLARATION + EXCEL_ROOT + '<dimension ref="A1:A3"/><sheetData><row r="1"/>'
     '<row r="2" ht="20" customHeight="1"/><row r="3"><c r="A3"><v>1</v></c></row></sheetData></worksheet>', True),
    ("a row not there yet", DECLARATION + EXCEL_ROOT + '<sheetData><row r="1"><c r="A1"><v>1</v></c></row></sheetData>'
     '</worksheet>', False),
    ("rows numbered by position only", DECLARATION + EXCEL_ROOT + '<sheetData><row><c><v>1</v></c></row><row><c><v>2</v></c>'
     '</row></sheetData></worksheet>', False),
    ("a prefixed root", DECLARATION + f'<x:worksheet xmlns:x="{M}"><x:sheetData><x:row r="1"><x:c r="A1"><x:v>1</x:v>'
     '</x:c></x:row><x:row r="2"/></x:sheetData></x:worksheet>', False),
]


@pytest.mark.parametrize("name, part, in_place", EDIT_SHAPES, ids=[shape[0] for shape in EDIT_SHAPES])
def test_cells_written_in_place_are_the_cells_a_parsed_sheet_gets(name, part, in_place):
    """A save that changes a few cells (段階, 次回見直し日, a new heading) finds their rows in the
    sheet's XML by number and edits just those: the result is what parsing the whole sheet and
    writing the cells gives; shapes it does not handle are left to the full parse."""
    from lxml import etree

    from lib.workbook import xlsx_cells
    data, fast_styles = part.encode(), _date_styles()
    done = xlsx_cells._edit_in_place(data, EDITS, fast_styles)
    assert (done is not None) == in_place, name
    if not in_place:
        return
    parsed, full_styles = xlsx_cells._Sheet(data), _date_styles()
    for row, col, value in EDITS:
        xlsx_cells._set(parsed.cell(row, col), value, full_styles)
        parsed.grow_dimension(row, col)
    assert _canonical(done) == _canonical(xlsx_cells._serialise(parsed.tree))
    assert etree.tostring(fast_styles.tree) == etree.tostring(full_styles.tree)


def test_an_excel_append_copies_every_other_part_still_compressed(tmp_path):
    """Parts a save does not change are copied without being inflated and deflated again: their
    compressed bytes are the same, and the package reads whole (CRCs checked)."""
    import io
    import struct
    import zipfile

    from lib.workbook import xlsx_cells

    def members(data: bytes) -> dict[str, bytes]:
        out = {}
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            assert z.testzip() is None
            for i in z.infolist():
                name_length, extra_length = struct.unpack("<HH", data[i.header_offset + 26:i.header_offset + 30])
                start = i.header_offset + 30 + name_length + extra_length
                out[i.filename] = data[start:start + i.compress_size]
        return out

    before = SAMPLE.read_bytes()
    after, written, appended = xlsx_cells.apply(before, xlsx_cells.Edits(appends=[("経過記録", [["H-001", DAY, "電話"]])]))
    old, new = members(before), members(after)
    part = xlsx_cells._sheet_parts(package(SAMPLE))["経過記録"]
    assert set(old) == set(new) and written == 3
    # the sheet, the recalculation flag, and the date style a written date needs (added once):
    assert {name for name in old if old[name] != new[name]} == {part, "xl/workbook.xml", "xl/styles.xml"}
    path = tmp_path / "town.xlsx"
    path.write_bytes(after)
    rows = sources.read_excel(path)["経過記録"]
    assert appended == [("経過記録", len(rows))] and rows[-1][:3] == ["H-001", DAY, "電話"]
    assert load_workbook(path)["経過記録"].cell(row=len(rows), column=2).is_date


@pytest.mark.parametrize("value, kind", [("=cmd|' /C calc'!A0", "s"), (3, "n"), (2.5, "n"), (True, "b"),
                                         ("全角　テキスト\n改行", "s"), ("制御\x07文字", "s")])
def test_excel_cell_writer_never_makes_a_formula(tmp_path, value, kind):
    from lib.workbook import xlsx_cells
    path = tmp_path / "t.xlsx"
    shutil.copy(SAMPLE, path)
    data, n, _ = xlsx_cells.apply(path.read_bytes(), xlsx_cells.Edits(cells=[("地区", 2, 7, value)]))
    path.write_bytes(data)
    cell = load_workbook(path)["地区"]["H2"]
    assert n == 1 and cell.data_type == kind
    assert cell.value == (value.replace("\x07", "") if isinstance(value, str) else value)


def test_a_backup_setting_naming_a_file_refuses_the_save_in_japanese(tmp_path):
    path = tmp_path / "town.xlsx"
    shutil.copy(SAMPLE, path)
    blocker = tmp_path / "not-a-folder.txt"
    blocker.write_text("x")
    config = sources.resolve({"TSUNAGU_WORKBOOK": str(path), "TSUNAGU_BACKUP_DIR": str(blocker)}, {})
    snapshot = sources.load(config)
    before = digest(path)
    with pytest.raises(sources.WriteRefused) as refused:
        sources.write(config, snapshot, sample_plan(snapshot))
    assert "バックアップの置き場所がフォルダではありません" in str(refused.value)
    assert "TSUNAGU_BACKUP_DIR" in refused.value.advice
    assert digest(path) == before and not list(tmp_path.glob(".~tsunagu-*"))


def test_temp_files_of_a_killed_save_are_removed_at_the_next_start(tmp_path):
    import os
    import time
    path = tmp_path / "town.xlsx"
    shutil.copy(SAMPLE, path)
    old = tmp_path / ".~tsunagu-0123abcd.xlsx"
    old.write_bytes(b"half a file")
    os.utime(old, (time.time() - 3600, time.time() - 3600))
    fresh = tmp_path / ".~tsunagu-fresh.xlsx"          # another save in progress right now
    fresh.write_bytes(b"being written")
    assert sources.clean_leftovers(path) == [old]
    assert not old.exists() and fresh.exists() and path.exists()


def test_app_start_cleans_leftovers_beside_the_workbook(tmp_path, monkeypatch):
    import os
    import time
    from streamlit.testing.v1 import AppTest
    from tests.test_pages import APP
    path = tmp_path / "town.xlsx"
    shutil.copy(SAMPLE, path)
    old = tmp_path / ".~tsunagu-killed.xlsx"
    old.write_bytes(b"half a file")
    os.utime(old, (time.time() - 3600, time.time() - 3600))
    monkeypatch.setenv("TSUNAGU_WORKBOOK", str(path))
    from tests.test_pages import sign_in
    at = sign_in(AppTest.from_file(APP, default_timeout=60).run())
    assert not at.exception and not old.exists()


@pytest.mark.parametrize("backend", ["excel", "sheets"])
def test_two_sessions_recording_the_same_meeting_fill_one_row(backend, town_file, fake_sheets):
    """The operator saves a household, reloads the page (the agenda has no 会議ID any more), and a
    second operator in another browser saves another household of the same meeting: one 会議 row
    with both lines; 開催回数 counts it once."""
    from lib.casework import indicators
    config = town_file[1] if backend == "excel" else sheets_config(fake_sheets[1])
    before = sources.load(config).workbook
    held = indicators.count(before, "重層的支援会議開催回数", (), 2026, DAY)
    for who, household in (("森田", "H-007"), ("高野", "H-008")):
        snapshot = sources.load(config)                 # each session reads the sheet as it is then
        sources.write(config, snapshot, wb.record_meeting(snapshot.workbook, meeting("H-007", "H-008"),
                                                          {household: wb.Decision(f"{who}の記録")}, by=who))
    after = sources.load(config).workbook
    rows = after["会議"][after["会議"]["開催日"].dt.date == DAY]
    assert list(rows["会議ID"]) == ["M-20261125-J1"]
    assert wb.per_household(rows.iloc[0]["決定事項"]) == {"H-007": "森田の記録", "H-008": "高野の記録"}
    assert indicators.count(after, "重層的支援会議開催回数", (), 2026, DAY) == held + 1


def test_meeting_rows_saved_twice_before_count_once(sample_raw):
    """A town whose sheet already holds one meeting as two rows (saved twice before this fix)."""
    from lib.casework import indicators
    from lib.workbook.validate import validate
    rows = [list(r) for r in sample_raw["会議"]]
    twin = list(rows[-1])
    twin[0] = twin[0] + "-2"
    workbook_once, workbook_twice = validate({**sample_raw}), validate({**sample_raw, "会議": rows + [twin]})
    kind = twin[1]
    year = twin[2].year if twin[2].month >= 4 else twin[2].year - 1
    as_of = twin[2] + dt.timedelta(days=1)
    once = indicators.count(workbook_once, f"{kind}開催回数", (), year, as_of)
    assert once > 0 and indicators.count(workbook_twice, f"{kind}開催回数", (), year, as_of) == once


@pytest.mark.parametrize("saved, page, base, cell", [
    # a reloaded page that changed nothing keeps what was recorded, names and all
    ("包括：山田・佐藤\n社協：欠席", [("包括", True, "山田・佐藤"), ("社協", False, "")],
     [("包括", True, "山田・佐藤"), ("社協", False, "")], "包括：山田・佐藤\n社協：欠席"),
    # a page that started empty (nothing seen) and changed nothing blanks nothing
    ("包括：山田・佐藤", [("包括", False, "")], [], "包括：山田・佐藤"),
    # what the operator changed on this page is written
    ("包括：山田・佐藤\n社協：欠席", [("包括", True, "山田・佐藤"), ("社協", True, "鈴木")],
     [("包括", True, "山田・佐藤"), ("社協", False, "")], "包括：山田・佐藤\n社協：鈴木"),
    # one agency however the cell spells it (a space typed inside by hand): one line, not two
    ("地域 包括：山田", [("地域包括", True, "高野")], None, "地域包括：高野"),
])
def test_a_save_changes_only_the_attendance_changed_on_its_page(saved, page, base, cell):
    from lib.meetings.writeback import Attendance, merged_attendance
    made = [Attendance(*a) for a in page]
    assert merged_attendance(saved, made, None if base is None else [Attendance(*a) for a in base]) == cell
