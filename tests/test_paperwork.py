"""Meeting paperwork: open the Excel with openpyxl and extract the PDF's text, check the key fields."""
import datetime as dt
import io

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from lib.workbook import cells
from lib.meetings import paperwork
from lib.meetings.agenda import SECRECY_NOTICE, Agenda, Proposal
from lib.workbook.validate import validate

DAY = dt.date(2026, 11, 25)
ISSUED = dt.date(2026, 11, 18)


@pytest.fixture(scope="module")
def workbook(sample_raw):
    return validate(sample_raw)


def make(workbook, kind, ids):
    a = Agenda(kind, DAY, dt.time(13, 30), 15, "役場2階 会議室", "福祉課長", [Proposal(h, ("緊急",)) for h in ids])
    return a, paperwork.forms(workbook, a, ISSUED)


@pytest.mark.parametrize("value, expected", [
    (dt.date(2026, 11, 25), "令和8年11月25日"), (dt.date(2019, 5, 1), "令和元年5月1日"),
    (dt.date(2019, 4, 30), "平成31年4月30日"), (dt.date(1989, 1, 8), "平成元年1月8日")])
def test_wareki_formatting(value, expected):
    assert cells.to_wareki(value) == expected


def test_forms_are_notice_order_one_review_sheet_per_household_and_report(workbook):
    _, forms = make(workbook, "重層的支援会議", ["H-001", "H-004"])
    assert [f.code for f in forms] == ["重層会議様式1", "重層会議様式2", "重層会議様式3", "重層会議様式3", "重層会議様式4"]
    assert forms[2].title == f"{workbook['世帯'].set_index('世帯ID').loc['H-001', '表示名']}支援プラン検討シート"


def test_excel_paperwork_has_the_key_fields(workbook):
    a, forms = make(workbook, "重層的支援会議", ["H-001", "H-004"])
    book = load_workbook(io.BytesIO(paperwork.to_xlsx(forms)))
    assert book.sheetnames == ["様式1 開催通知", "様式2 会次第", "様式3 H-001", "様式3 H-004", "様式4 会議報告シート"]
    text = {name: "\n".join(str(c) for row in book[name].iter_rows(values_only=True) for c in row if c)
            for name in book.sheetnames}
    assert "令和8年11月25日（水） 13:30〜14:00" in text["様式1 開催通知"]
    assert "役場2階 会議室" in text["様式1 開催通知"]
    lead = workbook["世帯"].set_index("世帯ID").loc["H-001", "主担当機関"]
    assert f"{lead} 様" in text["様式1 開催通知"]
    assert "守秘義務" not in text["様式1 開催通知"]
    assert "13:30〜13:45" in text["様式2 会次第"] and "13:45〜14:00" in text["様式2 会次第"]
    rows = list(book["様式3 H-001"].iter_rows(values_only=True))
    header = rows.index(("氏名", "目標", "検討内容", "当面の取組事項", "役割分担"))
    assert [r[0] for r in rows[header + 1:]] == ["A氏", "B氏", "C氏", "危機介入", "その他"]
    plans = workbook["支援プラン"]
    goal = plans[(plans["世帯ID"] == "H-001") & (plans["対象"] == "A氏")]["目標"].iloc[0]
    assert rows[header + 1][1] == goal
    report = list(book["様式4 会議報告シート"].iter_rows(values_only=True))
    assert ("", "分野", "機関名", "出席者") in [tuple(c or "" for c in r) for r in report]
    assert sum(1 for r in report if r[0] and str(r[0]).isdigit()) >= 14


def test_shien_kaigi_paperwork_carries_the_secrecy_notice_and_members(workbook):
    _, forms = make(workbook, "支援会議", ["H-008"])
    pdf = PdfReader(io.BytesIO(paperwork.to_pdf(forms)))
    first = "".join(pdf.pages[0].extract_text().split())   # line wraps may fall anywhere
    assert "支援会議開催通知" in first
    assert "社会福祉法第106条の6" in first and "第159条" in first
    members = workbook["機関"].loc[workbook["機関"]["支援会議構成員"] == "はい", "機関名"]
    assert all("".join(f"{m}様".split()) in first for m in members)
    assert SECRECY_NOTICE[:20] in first


def test_pdf_renders_japanese_without_a_font_file(workbook):
    a, forms = make(workbook, "重層的支援会議", ["H-001"])
    data = paperwork.to_pdf(forms)
    assert data.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 4
    pages = [p.extract_text() for p in reader.pages]
    assert "重層的支援会議開催通知" in pages[0]
    assert "令和8年11月25日（水）" in pages[0]
    name = workbook["世帯"].set_index("世帯ID").loc["H-001", "表示名"]
    assert f"{name}支援プラン検討シート" in pages[2] and "危機介入" in pages[2]
    assert "会議報告シート" in pages[3] and "出席者" in pages[3]


def test_formula_like_text_is_neutralised_in_excel(workbook):
    a = Agenda("重層的支援会議", DAY, place="=HYPERLINK(\"x\")", chair="@chair", items=[])
    book = load_workbook(io.BytesIO(paperwork.to_xlsx(paperwork.forms(workbook, a, ISSUED))))
    values = [c for ws in book for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert all(c.data_type == "s" for c in values)
    assert any(c.value == "'=HYPERLINK(\"x\")" for c in values)
    assert not any(c.value.startswith(("=", "@")) for c in values)


def test_file_names_carry_date_and_kind():
    assert paperwork.file_stem(Agenda("支援会議", DAY)) == "20261125_支援会議_会議書類"


# ---------------------------------------------------------------- after the meeting: 様式4 filled, 議事録, 様式5

@pytest.fixture
def recorded(tmp_path):
    """A 重層的支援会議 recorded through the real Excel write: decisions, minutes, a plan item
    changed and one added, attendance with an absent agency; then read back from the file."""
    import shutil
    from lib.casework import entry
    from lib.meetings import writeback as wb
    from lib.workbook import sources
    from tests.conftest import SAMPLE
    path = tmp_path / "town.xlsx"
    shutil.copy(SAMPLE, path)
    config = sources.resolve({"TSUNAGU_WORKBOOK": str(path), "TSUNAGU_BACKUP_DIR": str(tmp_path / "b")}, {})
    snapshot = sources.load(config)
    a = Agenda("重層的支援会議", DAY, dt.time(13, 30), 15, "役場2階 会議室", "福祉課長",
               [Proposal("H-001", ("見直し期限",)), Proposal("H-004", ("プラン評価",))])
    first = entry.plan_rows(snapshot.workbook, "H-001")[0]
    decisions = {
        "H-001": wb.Decision("就労体験を始める\n家計は生活自立相談センター", minutes="本人は就労に前向き",
                             review=dt.date(2027, 2, 1), plan_edited={first["key"]: {"取組事項": "週1回 就労体験に同行"}},
                             plan_added=({"対象": "危機介入", "目標": "夜間の連絡先を決める", "役割分担": "地域包括支援センター"},)),
        "H-004": wb.Decision("見守りを継続", minutes="変化なし")}
    present = [wb.Attendance("福祉課 多機関協働係", True, "森田"), wb.Attendance("地域包括支援センター", True, "高野・石井"),
               wb.Attendance("社会福祉協議会", False)]
    plan = wb.record_meeting(snapshot.workbook, a, decisions, attendance=present, by="森田", today=DAY)
    sources.write(config, snapshot, plan)
    after = sources.load(config).workbook
    meeting_id = plan.appends[0].values["会議ID"]
    saved = wb.saved_meeting(after, meeting_id)
    return after, saved, wb.agenda_of(saved)


def sheet_text(book, name):
    return "\n".join(str(c) for row in book[name].iter_rows(values_only=True) for c in row if c)


def test_report_sheet_and_minutes_come_from_the_saved_meeting(recorded):
    workbook, saved, a = recorded
    forms = paperwork.forms(workbook, a, ISSUED, saved=saved, reporter=("福祉課 多機関協働係", "森田"))
    assert [f.code for f in forms][-2:] == ["重層会議様式4", "議事録"]
    book = load_workbook(io.BytesIO(paperwork.to_xlsx(forms)))
    report = [tuple(c or "" for c in r) for r in book["様式4 会議報告シート"].iter_rows(values_only=True)]
    fields = {r[0]: r[1] for r in report if len(r) > 1}
    names = workbook["世帯"].set_index("世帯ID")["表示名"]
    assert fields["日時"] == "令和8年11月25日（水） 13:30〜14:00"
    assert fields["場所"] == "役場2階 会議室"
    assert fields["所属"] == "福祉課 多機関協働係" and fields["氏名"] == "森田"
    assert fields["報告事項"].splitlines() == [
        f"{names['H-001']}（H-001）：就労体験を始める　家計は生活自立相談センター　プラン: "
        + saved.plan_changes["H-001"],
        f"{names['H-004']}（H-004）：見守りを継続"]
    assert "危機介入「夜間の連絡先を決める」追加" in saved.plan_changes["H-001"]
    people = [r[2:4] for r in report if r and str(r[0]).isdigit() and r[2]]
    assert people == [("福祉課 多機関協働係", "森田"), ("地域包括支援センター", "高野・石井"), ("社会福祉協議会", "欠席")]
    assert "参加者　機関 2　人 3" in sheet_text(book, "様式4 会議報告シート")
    minutes = [r for r in book["議事録"].iter_rows(values_only=True) if r[0] in ("1", "2")]
    assert [(r[1], r[3], r[4]) for r in minutes] == [
        (f"{names['H-001']}（H-001）", "本人は就労に前向き", "就労体験を始める\n家計は生活自立相談センター"),
        (f"{names['H-004']}（H-004）", "変化なし", "見守りを継続")]
    pdf = "".join("".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(paperwork.to_pdf(forms))).pages)
    for text in ("就労体験を始める", "高野・石井", "欠席", "本人は就労に前向き", "夜間の連絡先を決める"):
        assert text in pdf, text


def test_plan_sheet_shows_the_plan_as_the_meeting_left_it(recorded):
    workbook, saved, a = recorded
    sheets = paperwork.plan_sheets(workbook, a)
    assert [f.code for f in sheets] == ["重層会議様式5", "重層会議様式5"]
    book = load_workbook(io.BytesIO(paperwork.to_xlsx(sheets)))
    assert book.sheetnames == ["様式5 H-001", "様式5 H-004"]
    rows = list(book["様式5 H-001"].iter_rows(values_only=True))
    header = rows.index(tuple(paperwork.PLAN_SHEET_HEADER))
    body = rows[header + 1:]
    assert body[0][0] == "A氏" and body[-1][0] == "その他"
    assert ("危機介入", "夜間の連絡先を決める", None, None, "地域包括支援センター") in body
    assert any(r[3] == "週1回 就労体験に同行" for r in body)
    assert "次回見直し日　令和9年2月1日" in sheet_text(book, "様式5 H-001")
    pdf = "".join("".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(paperwork.to_pdf(sheets))).pages)
    assert "支援プランシート" in pdf and "週1回就労体験に同行" in pdf and "重層的支援会議結果" in pdf


def saved_row(kind, start, end, households):
    from lib.meetings import writeback as wb
    row = {"会議ID": "M-20261201-X", "種別": kind, "開催日": dt.date(2026, 12, 1), "開始": start, "終了": end,
           "場所": "役場2階", "議長": "課長", "対象世帯": tuple(households), "参加機関": ("地域包括支援センター",)}
    return wb.Saved(row, {}, {}, {}, [])


@pytest.mark.parametrize("kind, start, end, households, when", [
    ("支援会議", dt.time(13, 30), dt.time(14, 50), ["H-003", "H-008", "H-012"], "13:30〜14:50"),
    ("定例会議", dt.time(14, 0), dt.time(15, 30), [], "14:00〜15:30"),
    ("代表者会議", dt.time(14, 0), None, [], "14:00〜"),
])
def test_every_paper_and_the_invitation_give_the_meetings_own_times(workbook, kind, start, end, households, when):
    from lib.meetings import writeback as wb
    from lib.notify import invite
    saved = saved_row(kind, start, end, households)
    a = wb.agenda_of(saved)
    _, text = invite.notice_text(workbook, saved, dt.date(2026, 11, 24), "福祉課")
    assert f"令和8年12月1日（火） {when}" in text
    papers = [paperwork.notice(workbook, a, dt.date(2026, 11, 24), "福祉課"), paperwork.report_sheet(workbook, a, saved),
              paperwork.minutes_form(workbook, a, saved)]
    for form in papers:
        assert when in "\n".join(b if isinstance(b, str) else "\n".join(map(str, [*b.header, *b.rows]))
                                 for b in form.blocks), form.title
    if households:
        minutes = paperwork.minutes_form(workbook, a, saved).blocks[1].rows
        assert minutes[-1][2].endswith(f"〜{end:%H:%M}")       # the last household ends with the meeting


def test_the_assessment_sheet_prints_the_latest_assessment_with_the_members(workbook):
    from lib.casework.entry import assessments
    hid = next(h for h in workbook["世帯"]["世帯ID"] if len(assessments(workbook, h)) > 1)
    newest = assessments(workbook, hid).iloc[0]
    form = paperwork.assessment_sheet(workbook, hid)
    assert form.code == "別紙2-3" and "インテーク・アセスメントシート" in form.title
    book = load_workbook(io.BytesIO(paperwork.to_xlsx([form])))
    text = sheet_text(book, book.sheetnames[0])
    assert newest["支援の方向"] in text and "課題の見立て" in text
    members = workbook["世帯員"][workbook["世帯員"]["世帯ID"] == hid]
    assert all(mark in text for mark in members["記号"])
    pdf = "".join("".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(paperwork.to_pdf([form]))).pages)
    assert "インテーク・アセスメントシート" in pdf and "".join(newest["支援の方向"].split()) in pdf


def test_a_household_without_an_assessment_prints_an_empty_sheet(workbook):
    from lib.casework.entry import assessments
    hid = next(h for h in workbook["世帯"]["世帯ID"] if assessments(workbook, h).empty)
    book = load_workbook(io.BytesIO(paperwork.to_xlsx([paperwork.assessment_sheet(workbook, hid)])))
    assert "本人の思い" in sheet_text(book, book.sheetnames[0])
