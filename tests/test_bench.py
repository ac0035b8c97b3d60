"""The benchmarks still run and still check what they measure (on the smallest town, one repeat):
`make bench` is not run by CI, so a bench broken by a change to the app would otherwise go unseen."""
from bench import bench_board, bench_load, bench_save, common


def test_load_rows_name_every_case_and_read_every_row():
    rows = bench_load.run([60], 1)
    assert [r["case"] for r in rows] == list(bench_load.CASES)
    assert len({r["rows"] for r in rows}) == 1 and rows[0]["rows"] > 1000
    by_case = {r["case"]: r for r in rows}
    assert by_case["excel"]["ratio"] == 1.0 and by_case["excel"]["validation"] > 0
    assert by_case["sheets"]["requests"] == 2 and by_case["gspread-get-all-values"]["requests"] > 2
    assert "pandas-calamine" in bench_load.table(rows)


def test_the_board_row_signs_in_and_counts_cards():
    row = bench_board.apptest_board(60, 1)
    assert "signed in as kyodo" in row["note"] and int(row["note"].split(", ")[1].split()[0]) > 0


def test_a_save_row_checks_the_board_shows_the_change():
    rows = bench_save.run(60, "excel", 1)
    assert [r["kind"] for r in rows] == ["append", "update"] and all(r["median"] > 0 for r in rows)


def test_interleaving_runs_variants_in_turn():
    order = []
    times = common.interleaved({"a": lambda: order.append("a"), "b": lambda: order.append("b") or 0.5}, 3)
    assert order == ["a", "b"] * 3 and times["b"] == [0.5] * 3
    assert common.ratio([2, 4, 6], [1, 2, 3]) == 2.0



def test_the_summary_says_which_targets_this_run_met():
    from bench.run import summary
    screens = [{"screen": "ケースボード", "households": n, "paint": p, "rerun": r, "ws_paint_kb": 94, "rss_mb": 250}
               for n, p, r in ((3000, 0.52, 0.29), (10000, 1.2, 0.3))] + \
              [{"screen": "世帯詳細", "households": 3000, "paint": 1.2, "rerun": 0.2, "ws_paint_kb": 25, "rss_mb": 250}]
    load = [{"case": "excel", "households": 10000, "median": 1.75, "validation": 1.0, "requests": 0, "peak_mb": 400},
            {"case": "sheets", "households": 10000, "median": 2.1, "validation": None, "requests": 2, "peak_mb": 338}]
    lines = summary(load, screens).splitlines()[1:]
    assert [line.split("  ")[-1].strip().split(" (")[0] for line in lines] == ["met", "NOT met", "NOT met", "NOT met", "met"]
    assert "2.3×" in lines[1]
