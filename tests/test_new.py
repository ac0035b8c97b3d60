"""The blank workbook of a new town: every tab of the contract with its header, the lists (data
validation) and formats, the 「はじめに」 tab; it reads with no error, opens in LibreOffice, and the
app on it says what to type first instead of showing empty tables."""
import io
import shutil
import subprocess

import pytest
from openpyxl import load_workbook

from lib.workbook import new, schema, sources
from lib.workbook.validate import ERROR, validate


@pytest.fixture(scope="module")
def blank_bytes():
    return new.blank("みなと町")


@pytest.fixture(scope="module")
def book(blank_bytes):
    return load_workbook(io.BytesIO(blank_bytes))


def test_every_tab_of_the_contract_with_its_header_frozen(book):
    assert book.sheetnames == [new.GUIDE, *(t.name for t in schema.TABS)]
    for tab in schema.TABS:
        sheet = book[tab.name]
        assert [c.value for c in sheet[1]] == tab.column_names, tab.name
        assert sheet.freeze_panes == "A2"
        assert sheet.max_row == 1                                  # nothing but the header


def lists(sheet) -> dict[str, tuple]:
    """Column header → (formula, strict, prompt) of its validation."""
    header = [c.value for c in sheet[1]]
    out = {}
    for check in sheet.data_validations.dataValidation:
        first = str(check.sqref).split(":")[0]
        letter = "".join(ch for ch in first if ch.isalpha())
        from openpyxl.utils import column_index_from_string
        out[header[column_index_from_string(letter) - 1]] = (check.formula1, check.showErrorMessage, check.prompt)
    return out


@pytest.mark.parametrize("tab, column, formula, strict", [
    ("世帯", "段階", '"受付,アセスメント,プラン作成,支援中,見守り,終結,中断"', True),
    ("世帯", "同意", '"あり,なし,不明"', True),
    ("世帯", "緊急度", '"高,中,低"', True),
    ("世帯", "主担当機関", "='機関'!$A$2:$A$5000", True),
    ("世帯", "地区", "='地区'!$A$2:$A$5000", True),
    ("世帯", "課題", '"' + ",".join(schema.ISSUES) + '"', False),          # several words per cell: offered, not forced
    ("経過記録", "方法", '"' + ",".join(schema.TABS_BY_NAME["経過記録"].column("方法").allowed) + '"', True),
    ("つなぎ", "状態", '"依頼中,受理,差し戻し,取り下げ"', True),
    ("つなぎ", "種類", '"つなぎ,つなぎもどし,引継ぎ"', True),
    ("つなぎ", "依頼先機関", "='機関'!$A$2:$A$5000", True),
    ("評価", "達成度", '"達成,一部達成,未達成"', True),
    ("会議", "参加機関", "='機関'!$A$2:$A$5000", False),               # a list of agencies in one cell
    ("世帯員", "世帯ID", "='世帯'!$A$2:$A$5000", True),
])
def test_fixed_words_and_references_are_excel_lists(book, tab, column, formula, strict):
    got = lists(book[tab])[column]
    assert got[:2] == (formula, strict)


def test_every_column_with_a_hint_or_a_list_says_it_when_selected(book):
    for tab in schema.TABS:
        found = lists(book[tab.name])
        for column in tab.columns:
            if column.hint or column.allowed or column.vocabulary or column.references or column.required:
                assert column.name in found, (tab.name, column.name)
                assert found[column.name][2] == new.input_message(column)
                if column.hint:
                    assert column.hint in found[column.name][2]


def test_dates_show_as_wareki(book):
    sheet = book["世帯"]
    header = [c.value for c in sheet[1]]
    from openpyxl.utils import get_column_letter
    letter = get_column_letter(header.index("受付日") + 1)
    assert sheet.column_dimensions[letter].number_format == new.DATE_FORMAT


def test_the_first_tab_explains_every_tab_with_required_columns_and_an_example(book):
    rows = [[c.value for c in row] for row in book[new.GUIDE].iter_rows()]
    assert rows[0][0] == "みなと町 つなぐボード（重層的支援体制整備事業）"
    by_tab = {r[0]: r for r in rows[6:]}
    assert set(by_tab) == {t.name for t in schema.TABS}
    households = by_tab["世帯"]
    assert households[2] == "必須" and households[3] == "世帯ID、表示名、同意、段階、受付日"
    assert "世帯ID: H-001" in households[4] and "受付日: 令和" in households[4]
    assert "備考" not in households[4]                         # no free text about people in an example


def test_it_reads_with_no_error(blank_bytes, tmp_path):
    path = tmp_path / "blank.xlsx"
    path.write_bytes(blank_bytes)
    workbook = validate(sources.read_excel(path))
    assert [p for p in workbook.problems if p.severity == ERROR] == []
    assert all(workbook[t.name].empty for t in schema.TABS)
    from lib.workbook import check
    assert check.main([str(path)]) == 0


def test_a_town_name_that_looks_like_a_formula_stays_text():
    book = load_workbook(io.BytesIO(new.blank('=HYPERLINK("http://evil.example","町")')))
    cell = book[new.GUIDE]["A1"]
    assert cell.data_type == "s" and not str(cell.value).startswith("=")


def test_the_command_writes_the_file_and_never_overwrites(tmp_path, capsys):
    out = tmp_path / "town.xlsx"
    assert new.main([str(out), "--town", "みなと町"]) == 0
    assert load_workbook(out)[new.GUIDE]["A1"].value.startswith("みなと町")
    out.write_bytes(b"the town's own file")
    assert new.main([str(out)]) == 1
    assert out.read_bytes() == b"the town's own file"
    assert "上書きしません" in capsys.readouterr().err


def test_libreoffice_opens_it_and_keeps_tabs_headers_and_lists(blank_bytes, tmp_path):
    """Converted by LibreOffice Calc (as a town on LibreOffice would open and save it) and read back."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice, "LibreOffice is not installed: `make test` installs libreoffice-calc-nogui"
    source = tmp_path / "blank.xlsx"
    source.write_bytes(blank_bytes)
    out = tmp_path / "converted"
    done = subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/lo-profile",
                           "--convert-to", "ods", "--outdir", str(out), str(source)],
                          capture_output=True, text=True, timeout=180)
    converted = out / "blank.ods"
    assert converted.exists(), done.stdout + done.stderr
    raw = sources.read_excel(converted)
    for tab in schema.TABS:
        assert raw[tab.name][0][:len(tab.column_names)] == tab.column_names
    workbook = validate(raw)
    assert [p for p in workbook.problems if p.severity == ERROR] == []
    import html
    import zipfile
    content = html.unescape(zipfile.ZipFile(converted).read("content.xml").decode())
    assert 'cell-content-is-in-list("受付";"アセスメント";"プラン作成"' in content       # the 段階 list
    assert "cell-content-is-in-list([$機関.$A$2:.$A$5000])" in content                # agencies from the 機関 tab
    assert "例: H-001。必須" in content                                               # a hint as the input message


@pytest.fixture
def blank_town(tmp_path, monkeypatch, blank_bytes):
    path = tmp_path / "town.xlsx"
    path.write_bytes(blank_bytes)
    monkeypatch.setenv("TSUNAGU_WORKBOOK", str(path))
    monkeypatch.setenv("TSUNAGU_TODAY", "2026-11-24")
    return path


FIRST = {"screens/home.py": "まず「機関」タブ", "screens/board.py": "まず「世帯」タブ",
         "screens/household.py": "まず「世帯」タブ", "screens/intake.py": "まず「機関」タブ",
         "screens/plans.py": "まず「世帯」タブ", "screens/resources.py": "まず「社会資源」タブ",
         "screens/agencies.py": "まず「機関」タブ", "screens/meeting.py": "まず「機関」タブ",
         "screens/outreach.py": "まず「機関」タブ"}


@pytest.mark.parametrize("page", list(FIRST))
def test_the_app_on_the_blank_workbook_says_what_to_type_first(blank_town, page):
    from tests.test_pages import open_page
    at = open_page(page, user="kyodo")
    assert [i.value for i in at.info if i.value.startswith(FIRST[page])], page
    if page not in ("screens/intake.py", "screens/meeting.py", "screens/outreach.py"):   # those still offer their forms
        assert not at.dataframe and not at.metric, page
    if page == "screens/outreach.py":
        assert not at.dataframe and "まだアウトリーチの記録はありません" in " ".join(c.value for c in at.caption)


def test_staff_on_a_blank_workbook_are_told_to_ask_the_jimukyoku_not_to_type_into_the_sheet(blank_town):
    from tests.test_pages import open_page
    at = open_page("screens/home.py", user="eturan")
    (said,) = [i.value for i in at.info if "タブ" in i.value]
    assert said.startswith("まだ「機関」タブに何も入っていません") and "事務局に入れてもらう" in said
    assert "入れてください" not in said


def test_every_input_message_of_the_blank_workbook_pairs_its_brackets():
    from lib.workbook import schema
    pairs = {"「": "」", "（": "）", "(": ")", "『": "』"}
    for tab in schema.TABS:
        for column in tab.columns:
            text, stack = new.input_message(column), []
            for ch in text:
                if ch in pairs:
                    stack.append(pairs[ch])
                elif ch in pairs.values():
                    assert stack and stack.pop() == ch, (tab.name, column.name, text)
            assert not stack, (tab.name, column.name, text)


def test_the_blank_workbooks_examples_never_name_the_sample_town(blank_bytes):
    from lib.workbook.sources import read_excel
    raw = read_excel("blank.xlsx", data=blank_bytes)
    text = " ".join(str(v) for rows in raw.values() for row in rows for v in row if v is not None)
    assert "みどり町" not in text and "〇〇町役場" in text


def test_an_admin_downloads_the_blank_workbook_from_the_help_screen(blank_town):
    from tests.test_pages import open_page
    at = open_page("screens/help.py", user="admin")
    assert [b for b in at.get("download_button") if b.proto.label == "ひな形（Excel）をダウンロード"]
    staff = open_page("screens/help.py", user="kyodo")
    assert not [b for b in staff.get("download_button") if b.proto.label == "ひな形（Excel）をダウンロード"]


def test_the_app_after_the_first_rows_shows_the_household(blank_town):
    """機関 and 地区 first, then a household typed by hand: the board shows it."""
    from tests.test_pages import open_page
    book = load_workbook(blank_town)
    book["機関"].append(["地域包括支援センター", "高齢", None, None, None, "福祉課", "はい"])
    book["地区"].append(["中央", 35.0, 134.0, 5000, 30])
    book["世帯"].append(["H-001", "山田世帯", "中央", "8050", "あり", "受付", "地域包括支援センター", "高野", "R8.11.1"])
    book.save(blank_town)
    at = open_page("screens/board.py", user="kyodo")
    assert not [i for i in at.info if i.value.startswith("まず")]
    assert "山田世帯" in " ".join(str(link.proto.label) for link in at.get("page_link"))



# ---------------------------------------------------------------- a town's Google spreadsheet completed

GONE_TABS = ("つなぎ", "評価", "構成員名簿")


def partial_town(sample_raw):
    """The sample town as a spreadsheet without three tabs and without the 世帯 column 中断日."""
    raw = {t: [list(r) for r in rows] for t, rows in sample_raw.items() if t not in GONE_TABS}
    at = raw["世帯"][0].index("中断日")
    raw["世帯"] = [r[:at] + r[at + 1:] for r in raw["世帯"]]
    return raw


def sheets_config(root):
    from tests.conftest import SHEET_KEY
    return sources.resolve({"TSUNAGU_WORKBOOK": SHEET_KEY, "TSUNAGU_SHEETS_API_ROOT": root}, {})


def test_missing_tabs_and_headings_are_made_in_one_batch_update(fake_sheets, sample_raw):
    from tests.conftest import SHEET_KEY
    fake, root = fake_sheets
    fake.put(SHEET_KEY, partial_town(sample_raw))
    config = sheets_config(root)
    before = {t: [list(r) for r in rows] for t, rows in fake.books[SHEET_KEY].items()}
    workbook = sources.load(config).workbook
    assert new.missing_parts(workbook) == (list(GONE_TABS), {"世帯": ["中断日"]})
    fake.requests.clear()
    assert new.complete_sheets(config, workbook) == (list(GONE_TABS), {"世帯": ["中断日"]})
    assert fake.count("addSheet") == 1                                  # one spreadsheets.batchUpdate
    kinds = [next(iter(r)) for r in fake.requests[-1].body["requests"]]
    assert kinds.count("addSheet") == 3 and "updateCells" in kinds and "setDataValidation" in kinds
    book = fake.books[SHEET_KEY]
    for name in GONE_TABS:
        assert book[name] == [schema.TABS_BY_NAME[name].column_names] and fake.frozen[SHEET_KEY][name] == 1
    households = book["世帯"]
    assert households[0] == before["世帯"][0] + ["中断日"]              # after the last heading
    assert households[1:] == before["世帯"][1:]                          # nothing typed is touched
    rules = {(t, r["startColumnIndex"]): rule for t, found in fake.validations[SHEET_KEY].items() for r, rule in found}
    states = rules[("つなぎ", schema.TABS_BY_NAME["つなぎ"].column_names.index("状態"))]
    assert states["condition"] == {"type": "ONE_OF_LIST", "values": [{"userEnteredValue": v} for v in
                                                                     ("依頼中", "受理", "差し戻し", "取り下げ")]}
    assert states["strict"] is True
    to = rules[("つなぎ", schema.TABS_BY_NAME["つなぎ"].column_names.index("依頼先機関"))]
    assert to["condition"]["values"] == [{"userEnteredValue": "='機関'!$A$2:$A$5000"}]
    after = sources.load(config).workbook
    assert new.missing_parts(after) == ([], {})
    assert [p for p in after.problems if p.severity == ERROR] == []
    assert len(after["世帯"]) == len(workbook["世帯"])
    fake.requests.clear()
    assert new.complete_sheets(config, after) == ([], {}) and fake.count("addSheet") == 0


def test_a_tab_made_by_someone_meanwhile_refuses_and_changes_nothing(fake_sheets, sample_raw):
    from tests.conftest import SHEET_KEY
    fake, root = fake_sheets
    fake.put(SHEET_KEY, partial_town(sample_raw))
    config = sheets_config(root)
    workbook = sources.load(config).workbook
    fake.books[SHEET_KEY]["つなぎ"] = [["つなぎID"]]                    # someone typed it meanwhile
    before = {t: [list(r) for r in rows] for t, rows in fake.books[SHEET_KEY].items()}
    with pytest.raises(sources.WriteRefused, match="タブが変わっています"):
        new.complete_sheets(config, workbook)
    assert fake.books[SHEET_KEY] == before


def test_an_admin_makes_the_missing_tabs_from_the_data_check_screen(sheets_env, sample_raw, signed_in_setup):
    from tests.conftest import SHEET_KEY
    from tests.test_pages import open_page
    sheets_env.put(SHEET_KEY, partial_town(sample_raw))
    staff = open_page("screens/check.py", user="kyodo")
    assert not [b for b in staff.button if b.label == "足りないタブと見出しを作る"]
    at = open_page("screens/check.py", user="admin")
    assert any("タブ: つなぎ、評価、構成員名簿" in m.value for m in at.markdown)
    next(b for b in at.button if b.label == "足りないタブと見出しを作る").click()
    at.run()
    assert "作りました。タブ 3件・見出し 1件。" in [s.value for s in at.success]
    assert not [b for b in at.button if b.label == "足りないタブと見出しを作る"]
    assert set(GONE_TABS) <= set(sheets_env.books[SHEET_KEY])
    from lib.access import audit
    assert "sheet_completed" in list(audit.read(signed_in_setup)["event"])
