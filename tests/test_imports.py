"""取り込み: messy lists in the style of real office files — a 受付簿 with title rows above the
header, 和暦 and serial dates, full-width digits and blank rows; a 社会資源一覧 saved as Shift_JIS
CSV; a 機関一覧 in UTF-8 with BOM; a 世帯一覧 in LibreOffice's .ods — read, mapped, previewed by the
reader's rules and appended on both backends, the workbook cells checked afterwards."""
import datetime as dt
import io
import shutil
import subprocess

import pytest
from openpyxl import Workbook as Book

from lib.casework import imports
from lib.workbook import sources
from lib.workbook.validate import validate
from tests.conftest import SAMPLE, SHEET_KEY

TODAY = dt.date(2026, 11, 24)
HOUSEHOLDS = imports.KINDS["世帯（受付簿・世帯一覧）"]
RESOURCES = imports.KINDS["社会資源一覧"]
AGENCIES = imports.KINDS["機関一覧"]


def reception_book() -> bytes:
    """令和8年度 相談受付簿: a title and the office above the header (the title merged across),
    a blank row, 和暦 / serial / 西暦 dates, full-width digits, a bad date, a household already in
    the town (泉世帯 in 西部) and a blank row in the middle."""
    book = Book()
    sheet = book.active
    sheet.title = "受付簿"
    sheet.append(["令和8年度　相談受付簿"])
    sheet.merge_cells("A1:H1")
    sheet.append(["みどり町 福祉課 多機関協働係", None, None, None, None, None, "作成: 森田"])
    sheet.append([])
    sheet.append(["No.", "受付年月日", "世帯名", "地域", "主な課題", "担当機関", "年令", "続柄", "メモ"])
    sheet.append(["１", "R8.4.3", "青山世帯", "中央", "8050・ひきこもり", "地域包括支援センター", "８２", "本人", "夜は不在"])
    sheet.append(["2", 46150, "石田世帯", "北部", "生活困窮", "生活自立相談センター", 45, "本人", None])
    sheet.append([])
    sheet.append(["3", "2026/6/1", "上野世帯", "東部", "ダブルケア", None, None, None, None])
    sheet.append(["4", "令和8年13月1日", "江口世帯", "南部", None, None, None, None, None])          # no such month
    sheet.append(["5", "R8.8.16", "泉世帯", "西部", "8050", "地域包括支援センター", None, None, None])  # already there
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def resources_csv() -> bytes:
    text = ("名称,種類,所在地,電話番号,地区,緯度,経度,受入\r\n"
            "ひだまりサロン,サロン,みどり町中央1-2,0868-00-2001,中央,35.06,134.00,はい\r\n"
            "\r\n"
            "ふれあい食堂,子ども食堂,みどり町北部3,0868-00-2002,北部,３５.０８,134.01,はい\r\n"
            "謎の施設,宇宙基地,どこか,,東部,,,\r\n")
    return text.encode("cp932")


def agencies_csv() -> bytes:
    return ("機関名,分野,電話,メール,所管課,支援会議構成員\n"
            "NPO法人ひだまり,子ども,0868-00-3001,hidamari@example.jp,,いいえ\n"
            "地域包括支援センター,高齢,,,,はい\n").encode("utf-8-sig")


def test_a_reception_book_is_read_below_its_title_rows_and_previewed_by_the_readers_rules():
    raw = sources.read_upload("令和8年度受付簿.xlsx", reception_book())
    rows = raw["受付簿"]
    header = imports.header_row(rows, HOUSEHOLDS)
    assert header == 3
    mapping = imports.propose(rows[header], HOUSEHOLDS)
    labels = [t.label if t else None for t in mapping]
    assert labels == [None, "世帯・受付日", "世帯・表示名", "世帯・地区", "世帯・課題", "世帯・主担当機関",
                      "世帯員・年齢", "世帯員・続柄", "世帯・備考"]
    result = imports.preview(rows, header, mapping, HOUSEHOLDS, validate(sources.read_excel(SAMPLE)), TODAY)
    by_name = {r.values["世帯"].get("表示名"): r for r in result.rows}
    assert len(result.rows) == 5                                             # blank rows skipped
    aoyama = by_name["青山世帯"]
    assert aoyama.values["世帯"]["受付日"] == dt.date(2026, 4, 3)              # 和暦 R8.4.3
    assert aoyama.values["世帯"]["課題"] == ["8050", "ひきこもり"]
    assert aoyama.values["世帯員"] == {"年齢": 82, "続柄": "本人"}            # full-width ８２
    assert by_name["石田世帯"].values["世帯"]["受付日"] == dt.date(2026, 5, 8)   # Excel serial 46150
    assert (aoyama.values["世帯"]["段階"], aoyama.values["世帯"]["同意"]) == ("受付", "不明")
    eguchi = by_name["江口世帯"]
    assert eguchi.number == 9 and list(eguchi.problems) == ["受付年月日"]      # row and column as the file has them
    assert "令和8年13月1日" in eguchi.problems["受付年月日"]
    assert by_name["泉世帯"].duplicate == "同じ地区に同じ名前の世帯: 泉世帯（H-001）"
    assert result.unmapped == ["No."]
    assert result.counts() == {"行": 5, "取り込める": 3, "重複の疑い": 1, "直すところ": 1}


@pytest.mark.parametrize("encoding", ["cp932", "utf-8-sig", "utf-8"])
def test_a_csv_list_in_shift_jis_or_utf8_with_or_without_bom_reads_the_same(encoding):
    data = resources_csv().decode("cp932").encode(encoding)
    rows = sources.read_upload("社会資源一覧.csv", data)["社会資源一覧"]
    assert rows[0][:3] == ["名称", "種類", "所在地"]                      # no BOM left in the first heading
    assert rows[1][:2] == ["ひだまりサロン", "サロン"] and rows[2] == [] and rows[3][5] == "３５.０８"
    assert rows[4][3] is None                                            # an empty cell is blank


def test_a_foreign_file_is_refused_in_japanese():
    with pytest.raises(sources.SourceError, match="取り込めない種類"):
        sources.read_upload("写真.jpg", b"\xff\xd8\xff")
    with pytest.raises(sources.SourceError, match="Excel ファイルとして読めません"):
        sources.read_upload("壊れた.xlsx", b"not a zip")


def run_import(config, rows, kind, header=None, mapping=None, include_duplicates=False):
    snapshot = sources.load(config)
    header = imports.header_row(rows, kind) if header is None else header
    mapping = mapping or imports.propose(rows[header], kind)
    result = imports.preview(rows, header, mapping, kind, snapshot.workbook, TODAY)
    plan, taken = imports.plan(result, snapshot.workbook, taken=set(snapshot.workbook["世帯"]["世帯ID"]),
                               include_duplicates=include_duplicates)
    sources.write(config, snapshot, plan)
    return result, taken, sources.load(config).workbook


@pytest.fixture(params=["excel", "sheets"])
def config(request, tmp_path, fake_sheets):
    if request.param == "excel":
        path = tmp_path / "town.xlsx"
        shutil.copy(SAMPLE, path)
        return sources.resolve({"TSUNAGU_WORKBOOK": str(path), "TSUNAGU_BACKUP_DIR": str(tmp_path / "b")}, {})
    return sources.resolve({"TSUNAGU_WORKBOOK": SHEET_KEY, "TSUNAGU_SHEETS_API_ROOT": fake_sheets[1]}, {})


def test_the_reception_book_goes_in_with_new_ids_and_members_on_both_backends(config):
    rows = sources.read_upload("受付簿.xlsx", reception_book())["受付簿"]
    before = sources.load(config).workbook
    result, taken, after = run_import(config, rows, HOUSEHOLDS)
    assert [r.values["世帯"]["表示名"] for r in taken] == ["青山世帯", "石田世帯", "上野世帯"]
    new = after["世帯"][~after["世帯"]["世帯ID"].isin(set(before["世帯"]["世帯ID"]))]
    assert list(new["世帯ID"]) == ["H-061", "H-062", "H-063"]
    first = new.iloc[0]
    assert (first["表示名"], first["地区"], first["課題"], first["段階"], first["同意"], first["主担当機関"]) == \
        ("青山世帯", "中央", ["8050", "ひきこもり"], "受付", "不明", "地域包括支援センター")
    assert first["受付日"].date() == dt.date(2026, 4, 3)
    members = after["世帯員"][after["世帯員"]["世帯ID"].isin(set(new["世帯ID"]))]
    assert members[["世帯ID", "記号", "続柄", "年齢"]].values.tolist() == [["H-061", "A氏", "本人", 82],
                                                                     ["H-062", "A氏", "本人", 45]]
    assert len(after["世帯"]) == len(before["世帯"]) + 3                       # 江口 (bad date) and 泉 (duplicate) left out
    assert [p for p in after.problems if p.severity == "error"] == []


def test_a_duplicate_goes_in_only_when_the_person_says_it_is_new(config):
    rows = sources.read_upload("受付簿.xlsx", reception_book())["受付簿"]
    _, taken, after = run_import(config, rows, HOUSEHOLDS, include_duplicates=True)
    assert "泉世帯" in [r.values["世帯"]["表示名"] for r in taken]
    assert list(after["世帯"]["表示名"]).count("泉世帯") == 2


def test_resources_from_a_shift_jis_csv_on_both_backends(config):
    rows = sources.read_upload("社会資源一覧.csv", resources_csv())["社会資源一覧"]
    before = sources.load(config).workbook
    result, taken, after = run_import(config, rows, RESOURCES)
    assert [r.values["社会資源"]["名称"] for r in taken] == ["ひだまりサロン", "ふれあい食堂"]
    bad = next(r for r in result.rows if r.values["社会資源"].get("名称") == "謎の施設")
    assert list(bad.problems) == ["種類"] and "宇宙基地" in bad.problems["種類"]
    new = after["社会資源"][~after["社会資源"]["資源ID"].isin(set(before["社会資源"]["資源ID"]))]
    assert new[["名称", "種別", "地区", "住所", "電話", "受入可"]].values.tolist() == [
        ["ひだまりサロン", "サロン", "中央", "みどり町中央1-2", "0868-00-2001", "はい"],
        ["ふれあい食堂", "子ども食堂", "北部", "みどり町北部3", "0868-00-2002", "はい"]]
    assert new["緯度"].tolist() == [35.06, 35.08]                                  # full-width ３５.０８


def test_an_agency_list_in_utf8_with_bom_adds_only_the_new_agency(config):
    rows = sources.read_upload("機関一覧.csv", agencies_csv())["機関一覧"]
    before = sources.load(config).workbook
    result, taken, after = run_import(config, rows, AGENCIES)
    assert [r.values["機関"]["機関名"] for r in taken] == ["NPO法人ひだまり"]
    assert next(r for r in result.rows if r.values["機関"]["機関名"] == "地域包括支援センター").duplicate
    assert len(after["機関"]) == len(before["機関"]) + 1
    assert after["機関"].iloc[-1][["機関名", "メール", "支援会議構成員"]].tolist() == ["NPO法人ひだまり", "hidamari@example.jp", "いいえ"]


@pytest.mark.parametrize("written", ["地域包括 支援センター", "地域包括　支援センター", "ｱｳﾄﾘｰﾁ支援員(社協)"])
def test_an_agency_already_there_but_spelled_otherwise_is_flagged(sample_raw, written):
    rows = [["機関名", "分野"], [written, "高齢"], ["新しい機関", "子ども"]]
    result = imports.preview(rows, 0, imports.propose(rows[0], AGENCIES), AGENCIES, validate(sample_raw), TODAY)
    assert [bool(r.duplicate) for r in result.rows] == [True, False]
    assert result.rows[0].duplicate == f"機関名「{written}」がもうあります"


@pytest.mark.parametrize("suffix", ["ods", "xls"])
def test_a_household_list_saved_by_libreoffice_as_ods_or_old_excel(tmp_path, suffix):
    """世帯一覧 with its own ケース番号 IDs, saved as .ods or .xls: the IDs are kept, dates read."""
    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice is not installed: `make test` installs libreoffice-calc-nogui"
    book = Book()
    book.active.title = "世帯一覧"
    book.active.append(["ケース番号", "世帯名", "地区名", "同意の有無", "支援段階", "相談受付日"])
    book.active.append(["K-101", "村上世帯", "山間", "あり", "支援中", dt.date(2026, 2, 3)])
    book.active.append(["K-102", "森世帯", "中央", "なし", "見守り", dt.date(2026, 3, 4)])
    book.save(tmp_path / "世帯一覧.xlsx")
    subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to", suffix,
                    "--outdir", str(tmp_path), str(tmp_path / "世帯一覧.xlsx")], capture_output=True, timeout=180)
    rows = sources.read_upload(f"世帯一覧.{suffix}", (tmp_path / f"世帯一覧.{suffix}").read_bytes())["世帯一覧"]
    path = tmp_path / "town.xlsx"
    shutil.copy(SAMPLE, path)
    config = sources.resolve({"TSUNAGU_WORKBOOK": str(path), "TSUNAGU_BACKUP_DIR": str(tmp_path / "b")}, {})
    _, taken, after = run_import(config, rows, HOUSEHOLDS)
    assert [r.values["世帯"]["世帯ID"] for r in taken] == ["K-101", "K-102"]
    mori = after["世帯"].set_index("世帯ID").loc["K-102"]
    assert (mori["表示名"], mori["同意"], mori["段階"], mori["受付日"].date()) == ("森世帯", "なし", "見守り", dt.date(2026, 3, 4))


@pytest.mark.parametrize("heading, expected", [
    ("世帯名", "世帯・表示名"), ("世帯ＩＤ", "世帯・世帯ID"), ("受付年月日", "世帯・受付日"), ("相談受付日", "世帯・受付日"),
    ("次回見直", "世帯・次回見直し日"),                       # a close spelling
    ("担当", "世帯・担当者"), ("年令", "世帯員・年齢"), ("No.", None), ("", None),
])
def test_headings_are_proposed_a_contract_column(heading, expected):
    (found,) = imports.propose([heading], HOUSEHOLDS)
    assert (found.label if found else None) == expected


def test_a_saved_mapping_wins_and_each_column_is_proposed_once():
    saved = imports.mapping_to_save(["氏名欄", "メモ"], [imports.Target("世帯", "表示名"), None])
    assert saved == {"氏名欄": "世帯・表示名", "メモ": ""}
    mapping = imports.propose(["メモ", "氏名欄", "世帯名", "地域"], HOUSEHOLDS, saved)
    # left out stays out; the saved choice wins; 世帯名 is not proposed 表示名 twice; others as usual
    assert [t.label if t else None for t in mapping] == [None, "世帯・表示名", None, "世帯・地区"]


# ---------------------------------------------------------------- the screen (AppTest)

@pytest.fixture
def writable(writable_town, monkeypatch):
    monkeypatch.setenv("TSUNAGU_TODAY", TODAY.isoformat())
    return writable_town


def test_the_screen_previews_then_brings_the_reception_book_in(writable, signed_in_setup):
    from lib.access import audit
    from tests.test_pages import open_page
    at = open_page("screens/imports.py", user="kyodo")
    at.file_uploader(key="import_file").upload("令和8年度受付簿.xlsx", reception_book()).run()
    assert not at.exception, at.exception
    assert [(m.label, m.value) for m in at.metric] == [("行", "5行"), ("取り込める", "3行"), ("重複の疑い", "1行"),
                                                       ("直すところ", "1行")]
    assert at.number_input[0].value == 4                                   # the header found below the title rows
    problems = at.dataframe[-3].value if len(at.dataframe) >= 3 else None
    assert problems is not None and problems.iloc[0]["行"] == 9 and problems.iloc[0]["列"] == "受付年月日"
    before = len(validate(sources.read_excel(writable))["世帯"])
    next(b for b in at.button if b.label == "取り込む（3行）").click().run()
    after = validate(sources.read_excel(writable))
    ids = list(after["世帯"]["世帯ID"])[-3:]
    assert [s.value for s in at.success] == [f"「令和8年度受付簿.xlsx」から3行を取り込みました（世帯 3行・世帯員 2行。世帯ID {ids[0]}〜{ids[-1]}）。"
                                             "続けて次の一覧を選べます。"]
    assert at.file_uploader(key="import_file_1").value is None and not at.metric     # ready for the next list
    assert len(after["世帯"]) == before + 3 and "青山世帯" in set(after["世帯"]["表示名"])
    lines = audit.read(signed_in_setup)
    line = lines[lines["event"] == "import"].iloc[-1]
    assert (line["user"], line["file"], line["tab"], line["rows"]) == ("kyodo", "令和8年度受付簿.xlsx", "世帯", 3)


def test_a_mapping_changed_on_screen_and_saved_is_used_for_the_next_list(writable, signed_in_setup):
    from tests.test_pages import open_page
    at = open_page("screens/imports.py", user="admin")
    at.file_uploader(key="import_file").upload("受付簿.xlsx", reception_book()).run()
    memo = next(s for s in at.selectbox if s.label == "メモ")
    memo.set_value("（取り込まない）").run()
    at.text_input(key="import_mapping_name").input("受付簿（毎月）").run()
    at.button(key="import_mapping_save").click().run()
    again = open_page("screens/imports.py", user="admin")
    again.file_uploader(key="import_file").upload("受付簿.xlsx", reception_book()).run()
    again.selectbox(key="import_saved").set_value("受付簿（毎月）").run()
    assert next(s for s in again.selectbox if s.label == "メモ").value == "（取り込まない）"
    assert next(s for s in again.selectbox if s.label == "世帯名").value == "世帯・表示名"


def test_staff_and_the_projector_cannot_bring_lists_in(writable):
    from tests.test_pages import open_page
    staff = open_page("screens/imports.py", user="houkatsu")
    assert "取り込みは、管理者と多機関協働の担当者が使います。" in [i.value for i in staff.info]
    assert not staff.file_uploader


def test_a_foreign_file_gets_a_japanese_message(writable):
    from tests.test_pages import open_page
    at = open_page("screens/imports.py", user="kyodo")
    at.file_uploader(key="import_file").upload("名簿.csv", b"\x00\x01\x02binary").run()
    assert not at.exception
    assert any("CSV ではないようです" in e.value or "文字を読めません" in e.value for e in at.error)


def test_the_same_list_brought_in_from_two_screens_at_once_goes_in_once(writable, signed_in_setup):
    """Two people of the 事務局 preview the same reception book; one brings it in, then the other
    presses 取り込む on the preview drawn before: refused with the IDs now taken, nothing added twice."""
    from tests.test_pages import open_page
    screens = [open_page("screens/imports.py", user=user) for user in ("kyodo", "admin")]
    for at in screens:
        at.file_uploader(key="import_file").upload("令和8年度受付簿.xlsx", reception_book()).run()
    before = len(validate(sources.read_excel(writable))["世帯"])
    first, second = screens
    next(b for b in first.button if b.label == "取り込む（3行）").click().run()
    assert any("取り込みました" in s.value for s in first.success)
    next(b for b in second.button if b.label == "取り込む（3行）").click().run()
    assert not second.exception
    assert any("この画面を開いた後に、シートで次のところが変わっています" in e.value for e in second.error)
    table = next(d.value for d in second.dataframe if "いまの値" in d.value.columns)
    assert set(table["いまの値"]) == {"（ほかの行で使われています）"}
    after = validate(sources.read_excel(writable))["世帯"]
    assert len(after) == before + 3 and after["世帯ID"].is_unique


# ---------------------------------------------------------------- issue 40: as an office really uses it

def numbered_book() -> bytes:
    """A 受付簿 with its own 世帯番号 (101–104), one row held back for a bad date (104), one row without a number."""
    text = ("世帯番号,受付年月日（和暦）,世帯名,地域\r\n"
            "101,R8.4.3,青山世帯,中央\r\n102,R8.4.5,石田世帯,北部\r\n103,R8.4.9,上野世帯,東部\r\n"
            "104,令和8年13月1日,江口世帯,南部\r\n,R8.5.1,番号なし世帯,西部\r\n")
    return text.encode("cp932")


def test_a_new_id_is_never_one_the_file_gives_another_row_held_back_or_not():
    rows = sources.read_upload("受付簿.csv", numbered_book())["受付簿"]
    town = validate(sources.read_excel(SAMPLE))
    mapping = imports.propose(rows[0], HOUSEHOLDS)
    result = imports.preview(rows, 0, mapping, HOUSEHOLDS, town, TODAY)
    assert [r.number for r in result.rows if not r.usable] == [5]            # 江口世帯 (104) waits for its date
    plan, taken = imports.plan(result, town, taken=set(town["世帯"]["世帯ID"]))
    ids = [a.values["世帯ID"] for a in plan.appends if a.tab == "世帯"]
    assert ids[:3] == ["101", "102", "103"] and ids[3] not in {"101", "102", "103", "104"}


def test_headings_are_shown_as_typed_in_the_problem_table():
    rows = sources.read_upload("受付簿.csv", numbered_book())["受付簿"]
    result = imports.preview(rows, 0, imports.propose(rows[0], HOUSEHOLDS), HOUSEHOLDS,
                             validate(sources.read_excel(SAMPLE)), TODAY)
    (held,) = [r for r in result.rows if not r.usable]
    assert list(held.problems) == ["受付年月日（和暦）"]                         # full-width brackets, as typed


@pytest.mark.parametrize("kind, heading, column", [
    (AGENCIES, "事業所名", "機関・機関名"), (AGENCIES, "機関名称", "機関・機関名"), (AGENCIES, "電話番号", "機関・電話"),
    (AGENCIES, "TEL", "機関・電話"), (AGENCIES, "メールアドレス", "機関・メール"), (AGENCIES, "E-mail", "機関・メール"),
    (HOUSEHOLDS, "相談日", "世帯・受付日"), (HOUSEHOLDS, "受付年月日", "世帯・受付日"),
    (HOUSEHOLDS, "受付年月日（和暦）", "世帯・受付日"), (HOUSEHOLDS, "相談日(和暦)", "世帯・受付日"),
    (imports.KINDS["地区一覧"], "高齢化率（％）", "地区・高齢化率"), (RESOURCES, "電話番号", "社会資源・電話"),
    (RESOURCES, "TEL", "社会資源・電話"),
])
def test_headings_office_lists_use_are_proposed_their_column(kind, heading, column):
    (proposed,) = imports.propose([heading], kind)
    assert proposed is not None and proposed.label == column


def test_the_files_first_rows_are_shown_as_typed_and_blanks_blank():
    rows = [["No.", "電話", "メール", "時間"], ["1", "099-123-0001", "houkatsu@example.jp", "10:00〜12:00"],
            [float("nan"), None, "", "x"]]
    assert imports.first_rows(rows, 8) == [["No.", "電話", "メール", "時間"],
                                           ["1", "099-123-0001", "houkatsu@example.jp", "10:00〜12:00"],
                                           ["", "", "", "x"]]


def test_the_screens_preview_of_the_file_is_not_html_escaped(writable):
    from tests.test_pages import open_page
    at = open_page("screens/imports.py", user="kyodo")
    csv = "No.,世帯名,地域,電話\r\n1,青山世帯,中央,099-123-0001\r\n2,石田世帯,,\r\n".encode("cp932")
    at.file_uploader(key="import_file").upload("受付簿.csv", csv).run()
    first = at.dataframe[0].value
    assert list(first.iloc[0]) == ["No.", "世帯名", "地域", "電話"]
    assert list(first.iloc[1]) == ["1", "青山世帯", "中央", "099-123-0001"] and list(first.iloc[2])[2:] == ["", ""]


def test_a_refused_import_is_not_audited_as_an_import(writable, signed_in_setup):
    from lib.access import audit
    from tests.test_pages import open_page
    screens = [open_page("screens/imports.py", user=user) for user in ("kyodo", "admin")]
    for at in screens:
        at.file_uploader(key="import_file").upload("令和8年度受付簿.xlsx", reception_book()).run()
    next(b for b in screens[0].button if b.label == "取り込む（3行）").click().run()
    next(b for b in screens[1].button if b.label == "取り込む（3行）").click().run()       # refused: IDs taken
    events = list(audit.read(signed_in_setup)["event"])
    assert events.count("import") == 1 and "write_refused" in events
    assert events.index("import") > events.index("write")                     # after it was written


def test_a_header_only_file_says_there_are_no_data_rows(writable):
    from tests.test_pages import open_page
    at = open_page("screens/imports.py", user="kyodo")
    at.file_uploader(key="import_file").upload("受付簿.csv", "世帯名,地域,受付日\r\n".encode("cp932")).run()
    assert any("データの行がありません" in w.value for w in at.warning)
    assert not at.metric and not [b for b in at.button if b.label.startswith("取り込む")]


def test_the_consent_of_a_list_without_that_column_is_chosen_for_the_file(writable):
    from tests.test_pages import open_page
    at = open_page("screens/imports.py", user="kyodo")
    at.file_uploader(key="import_file").upload("令和8年度受付簿.xlsx", reception_book()).run()
    assert at.radio(key="import_consent").value == "不明"
    assert any("支援会議の扱い" in w.value for w in at.warning)
    at.radio(key="import_consent").set_value("あり").run()
    assert not any("支援会議の扱い" in w.value for w in at.warning)
    next(b for b in at.button if b.label == "取り込む（3行）").click().run()
    after = validate(sources.read_excel(writable))["世帯"]
    assert list(after["同意"])[-3:] == ["あり", "あり", "あり"]


def test_a_consent_column_of_the_list_is_used_row_by_row():
    rows = [["世帯名", "地域", "受付日", "本人同意"], ["青山世帯", "中央", "R8.4.3", "あり"], ["石田世帯", "北部", "R8.4.5", "なし"]]
    mapping = imports.propose(rows[0], HOUSEHOLDS)
    assert imports.CONSENT in mapping
    result = imports.preview(rows, 0, mapping, HOUSEHOLDS, validate(sources.read_excel(SAMPLE)), TODAY, defaults={})
    assert [r.values["世帯"]["同意"] for r in result.rows] == ["あり", "なし"]
