"""The benchmarks still run and still check what they measure (on the smallest town, one repeat):
`make bench` is not run by CI, so a bench broken by a change to the app would otherwise go unseen."""
from bench import bench_board, bench_load, bench_save, common


def test_load_rows_name_every_case_and_read_every_row():
    rows = bench_load.run([60], 1)
    assert [r["case"] for r in rows] == list(bench_load.CASES)
    assert len({r["rows"] for r in rows}) == 1 and rows[0]["rows"] > 1000
    by_case = {r["case"]: r for r in rows}
    assert by_case["excel"]["ratio"] == 1.0 and by_case["excel"]["validation"] > 0
    assert by_case["sheets"]["requests"] == 3 and by_case["gspread-get-all-values"]["requests"] > 3
    assert by_case["sheets-refresh"]["requests"] == 2 and by_case["excel-refresh"]["ratio"] > 0
    assert by_case["sheets-refresh-unchanged"]["requests"] == 1          # when it last changed: nothing more
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

    def screen(name, n, first, rerun, kb):
        return {"screen": name, "households": n, "first": first, "paint": first, "rerun": rerun, "ws_first_kb": kb,
                "ws_paint_kb": kb, "rss_mb": 250}
    screens = [screen("ケースボード", 3000, 0.52, 0.29, 94), screen("ケースボード", 10000, 1.2, 0.3, 94),
               screen("世帯詳細", 3000, 1.2, 0.2, 25), screen("社会資源マップ", 10000, 0.8, 0.3, 120)]
    load = [{"case": "excel-refresh", "households": 10000, "median": 0.8, "validation": None, "requests": 0, "peak_mb": 400},
            {"case": "sheets-refresh", "households": 10000, "median": 2.1, "validation": None, "requests": 1, "peak_mb": 338},
            {"case": "excel", "households": 10000, "median": 1.75, "validation": 1.0, "requests": 0, "peak_mb": 400}]
    saves = [{"size": 3000, "source": "excel", "kind": "append", "median": 0.3, "requests": 0},
             {"size": 10000, "source": "excel", "kind": "update", "median": 1.2, "requests": 0},
             {"size": 10000, "source": "sheets", "kind": "append", "median": 2.5, "requests": 2}]
    lines = summary(load, screens, saves).splitlines()[1:]
    verdicts = [line.split("  ")[-1].strip().split(" (")[0] for line in lines]
    assert verdicts[:6] == ["met", "NOT met", "NOT met", "NOT met", "met", "met"]
    assert "2.3×" in lines[1] and "first visit WS ≤ 100 KB" in lines[3] and lines[6].rstrip().endswith("400")
    assert verdicts[7:] == ["met", "NOT met", ""] and "save → board ≤ 1 s" in lines[8]   # Sheets: no target
    from bench.bench_board import REPORT_CASE
    board = [{"households": n, "what": REPORT_CASE, "median_ms": ms, "min_ms": ms, "note": ""}
             for n, ms in ((3000, 900), (10000, 4200), (10000, 5600))]
    report = summary(load, screens, saves, board).splitlines()[-3:]
    assert [line.split("  ")[-1].strip() for line in report] == ["", "met (≤ 5 s)", "NOT met (≤ 5 s)"]
    assert report[1].startswith("report (PDF+Excel+CSV)") and "4.20" in report[1]


def test_the_new_tab_rows_stand_beside_a_bare_page_of_the_same_run():
    from bench import bench_newtab
    found = {r["screen"]: r for r in bench_newtab.run(60, 1)}
    assert set(found) == {"bare Streamlit page", "bare page in st.navigation", "世帯詳細", "ホーム", "ケースボード", "会議",
                          "会議の壁用画面", "世帯詳細 (same tab)"}
    assert found["bare Streamlit page"]["x_drawn"] == 1.0
    for r in found.values():
        assert 0 < r["heading"] <= r["drawn"] and r["x_drawn"] > 0
    assert found["世帯詳細"]["grid"] and found["ケースボード"]["grid"] is None


def test_the_summary_says_whether_each_new_tab_is_within_its_ratio():
    from bench.run import summary
    newtab = [{"screen": s, "households": 3000, "drawn": d, "x_drawn": x} for s, d, x in (
        ("bare Streamlit page", 1.0, 1.0), ("世帯詳細", 1.25, 1.25), ("ホーム", 1.6, 1.6))]
    lines = summary([], [], [], [], newtab).splitlines()[1:]
    assert [line.split("  ")[-1].strip() for line in lines] == [
        "met (new tab ≤ 1.3× the bare page: 1.25×)", "NOT met (new tab ≤ 1.3× the bare page: 1.60×)"]
