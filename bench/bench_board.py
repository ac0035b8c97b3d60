"""Board, detail, agenda, plans and indicators benchmark: figures, not a timed test.

    python -m bench.bench_board                # 1k and 10k households
    python -m bench.bench_board --sizes 1000

Times the pure functions (build_board, build_detail, the projection scope) on towns from the
sample generator, and a warm AppTest rerun of the ケースボード page at the smallest size.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TODAY = dt.date(2026, 11, 24)


def timed(fn, repeat: int = 5) -> float:
    """Median seconds of `repeat` calls."""
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000])
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from bench.bench_load import workbook
    from lib.meetings import agenda
    from lib.casework import board, household, indicators, plans
    from lib.workbook import sources
    from lib.workbook import schema
    from lib.casework.board import Filters
    from lib.access.scope import Viewer, scope_workbook

    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}; median of 5 runs")
    print(f"{'households':>10} {'what':<40} {'ms':>9}")
    for n in args.sizes:
        book = sources.load(sources.resolve({"TSUNAGU_WORKBOOK": str(workbook(n))}, {})).workbook
        some_id = book["世帯"]["世帯ID"].iloc[len(book["世帯"]) // 2]
        rows = {
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
        for what, fn in rows.items():
            print(f"{n:>10} {what:<40} {timed(fn) * 1000:>9.1f}")
    n = min(args.sizes)
    os.environ["TSUNAGU_WORKBOOK"] = str(workbook(n))
    os.environ["TSUNAGU_TODAY"] = TODAY.isoformat()
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.switch_page("screens/board.py").run()
    cards = sum('class="tb-card"' in m.value for m in at.markdown)
    warm = timed(lambda: at.run(), repeat=3)
    print(f"{n:>10} {'AppTest warm rerun of ケースボード':<40} {warm * 1000:>9.1f}   ({cards} cards drawn)")


if __name__ == "__main__":
    main()
