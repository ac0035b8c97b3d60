"""Board, detail, agenda, plans and indicators benchmark: figures, not a timed test.

    python -m bench.bench_board                # 3,000 and 10,000 households
    python -m bench.bench_board --sizes 3000 --repeats 5

Times the pure functions behind the screens (build_board, build_detail, the projection scope, the
agenda, プラン進捗, the indicators) on towns from the sample generator, interleaved, and a warm
AppTest rerun of the ケースボード page at the smallest size, signed in as 多機関協働: the row
counts the cards drawn and fails when there are none (the sign-in form is not the board).
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TODAY = dt.date(2026, 11, 24)


def reception_list(n: int) -> bytes:
    """A town's 受付簿 of `n` rows as Excel writes it: a title row, the header, 和暦 and serial dates."""
    import io
    from openpyxl import Workbook
    book = Workbook()
    sheet = book.active
    sheet.append(["令和8年度 相談受付簿"])
    sheet.append(["No.", "受付年月日", "世帯名", "地域", "主な課題", "担当機関", "年令", "続柄", "メモ"])
    areas = ("中央", "北部", "東部", "南部", "西部", "山間")
    for i in range(n):
        day = f"R8.{i % 12 + 1}.{i % 28 + 1}" if i % 2 else 46000 + i % 300
        sheet.append([i + 1, day, f"取込{i:05d}世帯", areas[i % 6], "8050、ひきこもり" if i % 3 else "生活困窮",
                      "地域包括支援センター", 20 + i % 70, "本人", None])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def import_preview(data: bytes, book):
    """What the 取り込み screen computes for one uploaded list (lib.casework.imports)."""
    from lib.casework import imports
    from lib.workbook import sources
    kind = imports.KINDS["世帯（受付簿・世帯一覧）"]
    rows = next(iter(sources.read_upload("受付簿.xlsx", data).values()))
    header = imports.header_row(rows, kind)
    return imports.preview(rows, header, imports.propose(rows[header], kind), kind, book, TODAY)


# The committee's report in one press (issue 44: ≤ 5 s at 10,000 households):
REPORT_CASE = "実施状況報告 (figures, PDF, Excel, CSV)"


def annual_report(book) -> bytes:
    """What 「実施状況報告」 costs a 係長: the figures of the 年度 and all three files (charts rendered)."""
    from lib.report import documents, figures, prefecture
    documents._png.cache_clear()             # every repeat draws its charts (as each new report does)
    report = figures.annual(book, 2025, TODAY, "みどり町")
    documents.to_xlsx(report)
    prefecture.to_csv(report, prefecture.SAMPLE_TOWN_CODE)
    return documents.to_pdf(report)


def run(sizes: list[int], repeats: int) -> list[dict]:
    """One row per size and pure function (min/median of `repeats` calls), and the signed-in AppTest
    rerun of ケースボード at the smallest size."""
    from bench.bench_load import workbook
    from bench.common import NotMeasured, interleaved, median, minimum
    from lib.access.scope import Viewer, scope_workbook
    from lib.casework import board, household, indicators, plans
    from lib.casework.board import Filters
    from lib.meetings import agenda
    from lib.workbook import schema, sources

    rows = []
    for n in sizes:
        book = sources.load(sources.resolve({"TSUNAGU_WORKBOOK": str(workbook(n))}, {})).workbook
        some_id = book["世帯"]["世帯ID"].iloc[len(book["世帯"]) // 2]
        cases = {
            "build_board (no filter)": lambda: board.build_board(book, TODAY),
            "build_board (地区 + 課題 + text filter)": lambda: board.build_board(
                book, TODAY, Filters(areas=("中央",), issues=("8050",), text="H-")),
            "build_detail (one household)": lambda: household.build_detail(book, some_id, TODAY),
            "scope_workbook (投影モード)": lambda: scope_workbook(book, Viewer(projection=True)),
            "propose (重層的支援会議)": lambda: agenda.propose(book, "重層的支援会議", TODAY),
            "portfolio (プラン進捗)": lambda: plans.portfolio(book, TODAY),
            "indicator_table (every auto-count)": lambda: [indicators.count(book, k, (), 2026, TODAY)
                                                          for k in schema.INDICATOR_KEYS],
            "chart data (4 charts, one year)": lambda: (
                indicators.monthly_flow(book, 2026), indicators.meetings_per_month(book, 2026),
                indicators.stages_over_time(book, 2026, TODAY), indicators.issue_frequency(book)),
        }
        cases[REPORT_CASE] = lambda: annual_report(book)
        if not annual_report(book).startswith(b"%PDF"):
            raise NotMeasured("the 実施状況報告 is not a PDF")
        listed = reception_list(n)
        cases[f"取り込み preview ({n:,}-row 受付簿 .xlsx: read, header, mapping, every cell)"] = \
            lambda: import_preview(listed, book)
        if import_preview(listed, book).counts()["行"] != n:
            raise NotMeasured(f"the {n}-row list did not preview {n} rows")
        if not len(board.build_board(book, TODAY).columns):
            raise NotMeasured(f"the board of {n} households has no columns")

        def timed(fn):
            def go():
                fn()
            return go
        times = interleaved({what: timed(fn) for what, fn in cases.items()}, repeats)
        rows += [{"households": n, "what": what, "min_ms": minimum(t) * 1000, "median_ms": median(t) * 1000, "note": ""}
                 for what, t in times.items()]
    rows.append(apptest_board(min(sizes), repeats))
    return rows


def apptest_board(n: int, repeats: int) -> dict:
    """A warm rerun of ケースボード in AppTest, signed in as 多機関協働; fails when no card is drawn."""
    from streamlit.testing.v1 import AppTest

    from bench.bench_load import workbook
    from bench.common import NotMeasured, interleaved, median, minimum
    from bench.server import TEST_COOKIE_KEY
    from lib.access.users import DEMO_USERS_FILE
    from tests.conftest import DEMO_PASSWORDS
    import tempfile
    os.environ.update(TSUNAGU_WORKBOOK=str(workbook(n)), TSUNAGU_TODAY=TODAY.isoformat(),
                      TSUNAGU_USERS_FILE=str(DEMO_USERS_FILE), TSUNAGU_COOKIE_KEY=TEST_COOKIE_KEY,
                      TSUNAGU_AUDIT_DIR=tempfile.mkdtemp(prefix="bench-audit"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300).run()
    inputs = {t.label: t for t in at.text_input}
    inputs["ユーザー名"].input("kyodo")
    inputs["パスワード"].input(DEMO_PASSWORDS["kyodo"])
    next(b for b in at.button if b.label == "サインイン").click()
    at.run()
    at.switch_page("screens/board.py").run()

    def cards() -> int:
        return sum(m.value.count('class="tb-card"') for m in at.markdown)
    drawn = cards()
    if at.exception or not drawn or "ケースボード" not in [t.value for t in at.title]:
        raise NotMeasured(f"AppTest did not reach the board (cards drawn: {drawn}, "
                          f"titles: {[t.value for t in at.title]}, exception: {at.exception})")
    times = interleaved({"rerun": lambda: at.run() and None}, repeats)["rerun"]
    if cards() != drawn:
        raise NotMeasured(f"the rerun drew {cards()} cards, the first run {drawn}")
    return {"households": n, "what": "AppTest warm rerun of ケースボード", "min_ms": minimum(times) * 1000,
            "median_ms": median(times) * 1000, "note": f"signed in as kyodo, {drawn} cards drawn"}


def table(rows: list[dict]) -> str:
    lines = [f"{'households':>10} {'what':<40} {'min ms':>8} {'median ms':>10}"]
    lines += [f"{r['households']:>10} {r['what']:<40} {r['min_ms']:>8.1f} {r['median_ms']:>10.1f}"
              + (f"   ({r['note']})" if r["note"] else "") for r in rows]
    return "\n".join(lines)


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="*", default=[3000, 10000])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from bench.common import machine
    rows = run(args.sizes, args.repeats)
    print(f"machine: {machine()}; {args.repeats} runs each, the functions interleaved")
    print(table(rows))
    return rows


if __name__ == "__main__":
    main()
