"""年度の実施状況報告 (lib.report): small counts hidden, every figure the screens' figure, the 所見 saved
as records and refused on a colleague's save, the PDF and Excel files read back, the prefecture's
CSV and the combining of several towns' CSVs (from the command line too)."""
import datetime as dt
import io
import re
import subprocess
import sys

import pandas as pd
import pytest

from lib.casework import indicators, referrals
from lib.report import documents, figures, mask, notes, prefecture
from lib.workbook import schema, sources
from lib.workbook.validate import validate
from tests.conftest import ROOT, SAMPLE

AS_OF = dt.date(2026, 11, 24)


@pytest.fixture(scope="module")
def town():
    return validate(sources.read_excel(SAMPLE))


# ---------------------------------------------------------------- masking

@pytest.mark.parametrize("value, personal, printed", [
    (0, True, "0"), (1, True, "3未満"), (2, True, "3未満"), (3, True, "3"), (1234, True, "1,234"),
    (1, False, "1"), (2, False, "2"), (None, True, "—"), (3.8, False, "3.8"),
])
def test_a_count_of_one_or_two_is_printed_as_under_three(value, personal, printed):
    assert mask.cell(value, personal) == printed


@pytest.mark.parametrize("parts, personal, printed", [
    ([0, 0, 0], True, "0"),
    ([3, 4, 5], True, "12"),
    ([1, 0, 0], True, "1〜2"),             # a hidden part: the range, even for a small total …
    ([1, 1, 0], True, "2〜4"),             # … (3未満 here would say both parts are 1)
    ([5, 1], True, "6〜7"),                # 5 + a hidden 1 or 2: the total would give the 1 away
    ([5, 2], True, "6〜7"),                # the same printed total whatever the hidden part is
    ([5, 2, 1], True, "7〜9"),
    ([2, 2], True, "2〜4"),
    ([3, 3], True, "6"),
    ([5, 1], False, "6"),                  # meetings and places are not hidden
])
def test_a_total_that_would_reveal_a_hidden_cell_is_printed_as_the_range_its_parts_allow(parts, personal, printed):
    assert mask.total(parts, personal) == printed
    if "〜" in printed:                     # every possible hidden value gives the same printed total
        shown = [v for v in parts if not mask.small(v)]
        hidden = len(parts) - len(shown)
        for guess in ([1] * hidden, [2] * hidden):
            assert mask.total(shown + guess, personal) == printed


@pytest.mark.parametrize("this, last, printed", [
    ((5, "5"), (3, "3"), "+2"), ((3, "3"), (5, "5"), "−2"), ((4, "4"), (4, "4"), "±0"),
    ((1, "3未満"), (5, "5"), "—"),            # 5 − change would give the 1 away
    ((9, "8〜9"), (5, "5"), "—"), ((5, "5"), (None, "—"), "—"),
])
def test_a_change_from_a_hidden_figure_is_not_printed(this, last, printed):
    assert mask.change(this[1], last[1], this[0], last[0]) == printed


def test_a_rate_is_printed_only_for_an_exact_figure():
    assert mask.rate("8", 8, 10) == "80%"
    assert mask.rate("3未満", 2, 10) == mask.rate("6〜7", 7, 10) == mask.rate("8", 8, None) == "—"


# ---------------------------------------------------------------- the figures are the screens' figures

@pytest.mark.parametrize("year", [2025, 2026])
def test_every_figure_of_the_report_is_the_screens_figure(town, year):
    report = figures.annual(town, year, AS_OF, "みどり町")
    assert [s.programme for s in report.sections] == list(schema.PROGRAMMES)
    on_screen = indicators.indicator_table(town, year, AS_OF)
    last_screen = indicators.indicator_table(town, year - 1, AS_OF)
    seen = 0
    for section in report.sections:
        mine = on_screen[on_screen["事業"] == section.programme].set_index("指標")
        for m in section.measures:
            if m.name in mine.index:                               # a 計画指標 row: プラン進捗's 実績値
                assert m.this == mine.loc[m.name, "実績値"] and m.target == mine.loc[m.name, "目標値"]
                before = last_screen[(last_screen["事業"] == section.programme) & (last_screen["指標"] == m.name)]
                assert m.last == (before["実績値"].iloc[0] if len(before) else m.last)
                seen += 1
            elif m.key:                                            # a committee figure: the same count
                assert m.this == indicators.count(town, m.key, (), year, AS_OF)
                seen += 1
            printed = m.shown["今年度"]
            if m.personal and mask.small(m.this):          # hidden, or the range of the table's 合計
                assert printed == mask.SMALL or "〜" in printed
            elif m.key == "平均応答日数":
                assert printed in (mask.number(m.this), f"{mask.HIDDEN}（応答{mask.SMALL}）")
            elif "〜" not in printed:
                assert printed == mask.number(m.this)
    assert seen >= 20
    tables = {t.title: t for s in report.sections for t in s.tables}
    flow = tables["月ごとの新規相談受付と終結（世帯）"].frame
    long = indicators.monthly_flow(town, year)
    assert flow["新規受付"].tolist()[:12] == long[long["区分"] == "新規受付"]["世帯数"].tolist()
    assert flow["新規受付"].iloc[12] == indicators.count(town, "新規相談受付件数", (), year, AS_OF)
    assert flow["終結"].iloc[12] == indicators.count(town, "終結件数", (), year, AS_OF)
    meetings = tables["月ごとの会議（回）"].frame
    held = indicators.meetings_per_month(town, year)
    assert meetings["支援会議"].tolist()[:12] == held[held["種別"] == "支援会議"]["回数"].tolist()
    by_agency = tables["機関の間のつなぎ（依頼先ごと・この年度の依頼）"].frame
    assert by_agency["つなぎ"].iloc[-1] == indicators.count(town, "つなぎ件数", (), year, AS_OF)
    evaluations = tables["終結時の評価（目標ごとの達成度）"].frame
    assert evaluations["目標の数"].iloc[-1] == int(indicators.in_year(town["評価"]["評価日"], year).sum())


def test_a_figure_that_is_a_tables_total_is_printed_as_that_total(town):
    """新規相談受付件数 is the 合計 of the months: both print the same range when a month is hidden."""
    report = figures.annual(town, 2025, AS_OF, "みどり町")
    first = report.sections[0]
    flow = next(t for t in first.tables if t.title.startswith("月ごとの新規相談受付"))
    assert (flow.shown["新規受付"][:12] == mask.SMALL).any()          # the sample has a month with 1 or 2
    received = next(m for m in first.measures if m.key == "新規相談受付件数")
    assert "〜" in received.shown["今年度"] and received.shown["今年度"] == flow.shown["新規受付"].iloc[12]
    assert received.shown["増減"] == received.shown["達成率"] == mask.HIDDEN


def test_small_town_counts_are_hidden_and_nothing_names_a_household():
    raw = {"世帯": [["世帯ID", "表示名", "同意", "段階", "受付日", "終結日"],
                  ["H-1", "山田世帯", "あり", "終結", "2025/5/1", "2025/9/1"],
                  *[[f"H-{n}", f"世帯{n}", "あり", "支援中", "2025/6/10", ""] for n in range(2, 7)]],
           "計画指標": [["年度", "事業", "指標", "目標値", "実績値", "単位", "集計"],
                    [2025, "包括的相談支援", "新規相談", 10, None, "件", "新規相談受付件数"],
                    [2025, "参加支援", "参加した人", 5, 2, "人", ""],
                    [2025, "地域づくり", "サロン", 3, 1, "か所", ""]]}
    report = figures.annual(validate(raw), 2025, AS_OF, "テスト町")
    rows = {m.name: m.shown for s in report.sections for m in s.measures}
    assert rows["新規相談"]["今年度"] == "6〜7"            # 5月 1 (hidden) + 6月 5
    assert rows["終結件数"]["今年度"] == "1〜2"            # the 合計 of months, one of them hidden
    assert rows["参加した人"]["今年度"] == mask.SMALL and rows["参加した人"]["達成率"] == mask.HIDDEN
    assert rows["サロン"]["今年度"] == "1" and rows["サロン"]["達成率"] == "33%"      # a place, not a person
    csv_text = prefecture.to_csv(report, "336661").decode("utf-8-sig")
    assert "H-1" not in csv_text and "山田" not in csv_text


def test_referrals_per_recipient_agency():
    raw = {"世帯": [["世帯ID", "表示名", "同意", "段階", "受付日"], ["H-1", "a", "あり", "支援中", "2025/4/1"]],
           "機関": [["機関名"], ["A"], ["B"]],
           "つなぎ": [["つなぎID", "世帯ID", "依頼日", "依頼元機関", "依頼先機関", "種類", "状態", "応答日"],
                   ["T-1", "H-1", "2025/4/1", "A", "B", "つなぎ", "受理", "2025/4/5"],
                   ["T-2", "H-1", "2025/5/1", "A", "Ｂ", "つなぎ", "差し戻し", "2025/5/3"],   # full-width Ｂ is B
                   ["T-3", "H-1", "2025/6/1", "B", "A", "つなぎもどし", "受理", "2026/4/2"],
                   ["T-4", "H-1", "2026/3/31", "A", "B", "引継ぎ", "依頼中", ""],
                   ["T-5", "H-1", "2024/7/1", "A", "B", "つなぎ", "受理", "2024/7/2"]]}   # another year
    table = referrals.by_recipient(validate(raw), lambda s: indicators.in_year(s, 2025))
    assert table.to_dict("records") == [
        {"依頼先機関": "B", "つなぎ": 2, "つなぎもどし": 0, "引継ぎ": 1, "うち受理": 1, "うち差し戻し": 1},
        {"依頼先機関": "A", "つなぎ": 0, "つなぎもどし": 1, "引継ぎ": 0, "うち受理": 1, "うち差し戻し": 0}]


# ---------------------------------------------------------------- 所見: records, conflict-safe

def test_notes_are_appended_and_a_colleagues_save_meanwhile_is_refused(writable_town):
    config = sources.resolve()
    seen = sources.load(config)
    assert notes.latest(seen.workbook, 2025)["地域づくり"].startswith("中央地区以外では")   # the newest of two rows
    plan = notes.save(seen.workbook, 2025, {"参加支援": "受入先が3か所ふえた。", "地域づくり": notes.latest(seen.workbook, 2025)["地域づくり"]},
                      by="森田", today=AS_OF)
    assert [a.values["事業"] for a in plan.appends] == ["参加支援"]           # only what changed
    colleague = notes.save(seen.workbook, 2025, {"多機関協働": "会議の記録を毎回残した。"}, by="坂本", today=AS_OF)
    sources.write(config, seen, colleague)                                  # saved first, by someone else
    with pytest.raises(sources.WriteConflict) as refused:
        sources.write(config, seen, plan)                                   # drawn before the colleague saved
    assert refused.value.conflicts[0].tab == schema.REPORT_NOTES
    fresh = sources.load(config)
    assert notes.latest(fresh.workbook, 2025)["多機関協働"] == "会議の記録を毎回残した。"
    again = notes.save(fresh.workbook, 2025, {"参加支援": "受入先が3か所ふえた。"}, by="森田", today=AS_OF)
    sources.write(config, fresh, again)
    from openpyxl import load_workbook
    sheet = load_workbook(writable_town)[schema.REPORT_NOTES]
    rows = [[c.value for c in r] for r in sheet.iter_rows(min_row=2)]
    assert len(rows) == 8 and rows[-2][:3] == [2025, "多機関協働", "会議の記録を毎回残した。"]
    assert rows[-1][:3] == [2025, "参加支援", "受入先が3か所ふえた。"] and rows[-1][4] == "森田"
    assert rows[-1][3].date() == AS_OF
    assert notes.latest(sources.load(config).workbook, 2025)["参加支援"] == "受入先が3か所ふえた。"


def test_a_note_too_long_or_for_no_programme_is_refused_before_anything_is_written(town):
    with pytest.raises(notes.Invalid) as e:
        notes.save(town, 2025, {"参加支援": "あ" * (notes.MAX_CHARS + 1)}, by="森田", today=AS_OF)
    assert "1200字まで" in e.value.errors["所見（参加支援）"]
    with pytest.raises(notes.Invalid):
        notes.save(town, 2025, {"防災": "…"}, by="森田", today=AS_OF)


# ---------------------------------------------------------------- the files

@pytest.fixture(scope="module")
def report_2025(town):
    return figures.annual(town, 2025, AS_OF, "みどり町")


def test_the_pdf_holds_every_section_the_notes_and_no_household(town, report_2025):
    from pypdf import PdfReader
    pdf = PdfReader(io.BytesIO(documents.to_pdf(report_2025)))
    text = "\n".join(page.extract_text() for page in pdf.pages)
    flat = re.sub(r"\s+", "", text)
    assert "令和7年度重層的支援体制整備事業実施状況報告" in flat and "みどり町" in flat and "作成日令和8年11月24日" in flat
    for n, programme in enumerate(schema.PROGRAMMES, start=1):
        assert f"{n}.{programme}" in flat
    for section in report_2025.sections:
        assert re.sub(r"\s+", "", section.text)[:30] in flat                 # the 所見 as written
    assert "3未満" in flat and "28～33" in flat.replace("〜", "～")          # hidden counts and a range
    assert not re.search(r"H-\d{3}", text)                                    # no 世帯ID
    households = town["世帯"]
    assert not [n for n in households["表示名"] if n in flat]                 # no household's name
    contacts = [t for t in town["経過記録"]["内容"].dropna() if len(t) >= 12]
    assert not [t for t in contacts if re.sub(r"\s+", "", t) in flat]        # no record's text
    assert len(pdf.pages) >= 6 and sum(len(p.images) for p in pdf.pages) == 3   # three charts drawn


def test_the_excel_report_has_the_same_figures_its_charts_and_opens_in_libreoffice(report_2025, tmp_path):
    from openpyxl import load_workbook
    path = tmp_path / "報告.xlsx"
    path.write_bytes(documents.to_xlsx(report_2025))
    book = load_workbook(path)
    assert book.sheetnames == ["表紙", *schema.PROGRAMMES]
    assert book["表紙"]["A1"].value == "令和7年度 重層的支援体制整備事業 実施状況報告"
    first = book["包括的相談支援"]
    values = [[c.value for c in r] for r in first.iter_rows()]
    header = values.index(list(figures.MEASURE_COLUMNS))
    printed = figures.measure_frame(report_2025.sections[0])
    for i, row in enumerate(printed.values):
        assert [str(v) for v in values[header + 1 + i][:8]] == [str(v).replace(",", "") for v in row]
    assert len(first._images) == 2 and len(book["多機関協働"]._images) == 1
    assert not [c for s in book for r in s.iter_rows() for c in r if c.data_type == "f"]      # no formula
    out = tmp_path / "pdf"
    done = subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to", "pdf",
                           "--outdir", str(out), str(path)], capture_output=True, timeout=180)
    assert done.returncode == 0 and (out / "報告.pdf").stat().st_size > 10_000, done.stderr


# ---------------------------------------------------------------- the prefecture

def _town_csv(tmp_path, seed: int, households: int, name: str, code: str, years=(2025, 2026)) -> list[bytes]:
    from sample_data import generate
    path = generate.write_xlsx(generate.build(households, seed), tmp_path / f"{code}.xlsx")
    workbook = validate(sources.read_excel(path))
    return [prefecture.to_csv(figures.annual(workbook, y, AS_OF, name), code) for y in years]


@pytest.fixture(scope="module")
def three_towns(tmp_path_factory):
    folder = tmp_path_factory.mktemp("towns")
    towns = {"みどり町": ("336661", 7, 60), "あおば町": ("336432", 11, 120), "ひかり村": ("335657", 13, 60)}
    files = {}
    for name, (code, seed, size) in towns.items():
        for year, data in zip((2025, 2026), _town_csv(folder, seed, size, name, code)):
            files[folder / f"{name}_{year}.csv"] = data
            (folder / f"{name}_{year}.csv").write_bytes(data)
    return folder, files


def test_the_csv_is_the_reports_printed_figures_and_nothing_else(report_2025):
    data = prefecture.to_csv(report_2025, "999997")
    frame = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", dtype=str)
    assert tuple(frame.columns) == prefecture.COLUMNS
    assert set(frame["町名コード"]) == {"999997"} and set(frame["年度"]) == {"2025"}
    assert frame["値"].map(lambda v: bool(prefecture.VALUE.match(v))).all()
    received = frame[frame["指標"] == "新規相談受付件数"]["値"].iloc[0]
    assert received == report_2025.sections[0].measures[0].shown["今年度"]
    assert (frame["指標"] == "月ごとの新規相談受付と終結（世帯）｜合計｜新規受付").sum() == 1
    assert not frame["指標"].str.contains(r"H-\d").any()


def test_three_towns_combine_into_one_workbook_from_the_command_line(three_towns, tmp_path):
    from openpyxl import load_workbook
    folder, files = three_towns
    out = tmp_path / "県.xlsx"
    done = subprocess.run([sys.executable, "-m", "lib.report.combine", *map(str, files), "--out", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "3町（みどり町、あおば町、ひかり村）・2年度" in done.stdout
    book = load_workbook(out)
    assert book.sheetnames == ["町", "指標", "内訳"]
    rows = [[c.value for c in r] for r in book["指標"].iter_rows()]
    at = next(i for i, r in enumerate(rows) if r[0] == "包括的相談支援　複合課題世帯数")
    assert rows[at + 1][:4] == ["年度", "みどり町（336661）", "あおば町（336432）", "ひかり村（335657）"]
    assert [r[0] for r in rows[at + 2:at + 4]] == ["令和7年度（2025年度）", "令和8年度（2026年度）"]
    for column, name in enumerate(("みどり町", "あおば町", "ひかり村"), start=1):
        for row, year in ((at + 2, 2025), (at + 3, 2026)):
            town_csv = pd.read_csv(folder / f"{name}_{year}.csv", encoding="utf-8-sig", dtype=str)
            value = town_csv[town_csv["指標"] == "複合課題世帯数"]["値"].iloc[0]
            assert str(rows[row][column]) == value
    assert len(book["指標"]._images) >= 10
    details = [[c.value for c in r] for r in book["内訳"].iter_rows(max_row=1)][0]
    assert details[:5] == ["事業", "表", "行", "列", "年度"]


@pytest.mark.parametrize("harm, says", [
    ("another format", "県への提出用（CSV）」ではありません"),
    ("excel renamed", "文字コードが UTF-8 ではありません"),
    ("cut short", "列の数が"),
    ("bad value", "のどれでもありません"),
    ("a town twice", "同じ町の同じ年度は1つのファイルに"),
])
def test_a_damaged_file_or_a_town_twice_is_refused_with_what_to_do(three_towns, tmp_path, harm, says):
    folder, files = three_towns
    good = [(p.name, d) for p, d in files.items() if not p.name.startswith("みどり町")]
    one = files[folder / "みどり町_2025.csv"]
    lines = one.decode("utf-8-sig").split("\r\n")

    def second_line(change) -> bytes:
        return "\r\n".join([lines[0], change(lines[1]), *lines[2:]]).encode("utf-8-sig")
    bad = {"another format": ("受付簿.csv", "受付日,氏名\r\n2025/4/1,山田\r\n".encode("utf-8-sig")),
           "excel renamed": ("表.csv", (ROOT / "sample_data" / "midori_town.xlsx").read_bytes()),
           "cut short": ("短い.csv", second_line(lambda line: line.rsplit(",", 1)[0])),
           "bad value": ("値.csv", second_line(lambda line: line.rsplit(",", 1)[0] + ",約30")),
           "a town twice": ("みどり町_2025_再送.csv", one)}[harm]
    if harm == "a town twice":
        good.append(("みどり町_2025.csv", one))
    with pytest.raises(prefecture.Refused) as refused:
        prefecture.combine(good + [bad])
    assert says in str(refused.value) and bad[0] in str(refused.value)
    path = tmp_path / bad[0]
    path.write_bytes(bad[1])
    done = subprocess.run([sys.executable, "-m", "lib.report.combine", *(str(folder / n) for n, _ in good), str(path),
                           "--out", str(tmp_path / "県.xlsx")], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and says in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "県.xlsx").exists()


def test_charts_are_rendered_with_the_network_cut(tmp_path):
    """vl-convert draws the report's charts with no network at all (LGWAN): run under unshare -n."""
    script = ("import datetime as dt, sys; from lib.report import documents, figures; from lib.workbook import sources;"
              "from lib.workbook.validate import validate;"
              f"wb = validate(sources.read_excel({str(SAMPLE)!r}));"
              "r = figures.annual(wb, 2025, dt.date(2026, 11, 24), 'みどり町');"
              "sys.stdout.buffer.write(documents.chart_png(r.sections[0].tables[0].chart))")
    done = subprocess.run(["unshare", "-n", sys.executable, "-c", script], cwd=ROOT, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout[:8] == b"\x89PNG\r\n\x1a\n" and len(done.stdout) > 10_000
