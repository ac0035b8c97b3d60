"""Save → board benchmark: figures, not a timed test.

    python -m bench.bench_save                  # 3,000 and 10,000 households, Excel and Google Sheets
    python -m bench.bench_save --sizes 3000 --repeats 5

For each size and source, and for an append (経過記録) and a conflict-checked update (段階 move:
世帯.段階 + a 段階履歴 row), it times what happens between pressing 保存 and the board showing the
change: the write (re-read, conflict check, lossless write), the re-read the app does so every
screen shows it, and the board built from that read. Each row checks that the board shows the
change (fails loudly if not) and counts the Sheets requests of the write alone (target: ≤ 2 for an
append, ≤ 3 for an update). The kinds run interleaved (A B A B …); min and median are printed.
"""
from __future__ import annotations

import argparse
import datetime as dt
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TODAY = dt.date(2026, 11, 24)
TARGET_REQUESTS = {"append": 2, "update": 3}


def _plan(kind: str, workbook, n: int):
    """A fresh save of `kind` on an open household (a different one each round)."""
    from lib.casework import entry
    hh = workbook["世帯"]
    open_ids = list(hh[hh["段階"] == "支援中"]["世帯ID"])
    hid = open_ids[n % len(open_ids)]
    if kind == "append":
        return hid, "経過記録", entry.contact(workbook, hid, day=TODAY, method="電話", agency=None, staff="bench",
                                          text=f"bench {n}", today=TODAY)
    return hid, "見守り", entry.stage_move(workbook, hid, stage="見守り", day=TODAY, reason="bench", by="bench", today=TODAY)


def _shows(board, workbook, hid: str, what: str) -> bool:
    if what == "見守り":
        return any(c.household_id == hid for c in board.columns["見守り"])
    contacts = workbook["経過記録"]
    return bool(((contacts["世帯ID"] == hid) & (contacts["担当者"] == "bench")).any())


def run(size: int, source: str, repeat: int) -> list[dict]:
    from bench.bench_load import workbook as town
    from bench.common import NotMeasured
    from lib.casework import board
    from lib.workbook import sources
    from tests.fake_sheets import FakeSheets

    folder = Path(tempfile.mkdtemp(prefix="bench-save-"))
    path = folder / "town.xlsx"
    shutil.copy(town(size), path)
    fake = None
    if source == "excel":
        config = sources.resolve({"TSUNAGU_WORKBOOK": str(path), "TSUNAGU_BACKUP_DIR": str(folder / "b")}, {})
    else:
        fake = FakeSheets({"bench-key-0000000000000000000000": sources.read_excel(path)})
        config = sources.resolve({"TSUNAGU_WORKBOOK": "bench-key-0000000000000000000000",
                                  "TSUNAGU_SHEETS_API_ROOT": fake.start()}, {})
    snapshot = sources.load(config)
    times: dict[str, list[tuple[float, float, float]]] = {"append": [], "update": []}
    requests: dict[str, int] = {}
    rereads: dict[str, int] = {}
    n = 0
    for _ in range(repeat):
        for kind in ("append", "update"):                      # interleaved
            n += 1
            hid, what, plan = _plan(kind, snapshot.workbook, n)
            before = len(fake.requests) if fake else 0
            t0 = time.perf_counter()
            result = sources.write(config, snapshot, plan)
            t1 = time.perf_counter()
            requests[kind] = (len(fake.requests) - before) if fake else 0
            snapshot = sources.load(config, previous=snapshot, written=result)   # as the app re-reads after a save
            t2 = time.perf_counter()
            rereads[kind] = snapshot.requests
            shown = board.build_board(snapshot.workbook, TODAY)
            t3 = time.perf_counter()
            if not _shows(shown, snapshot.workbook, hid, what):
                raise NotMeasured(f"the board does not show the {kind} for {hid}: this row measured nothing")
            times[kind].append((t1 - t0, t2 - t1, t3 - t2))
    if fake:
        fake.stop()
    shutil.rmtree(folder, ignore_errors=True)
    rows = []
    for kind, runs in times.items():
        totals = [sum(r) for r in runs]
        rows.append({"size": size, "source": source, "kind": kind, "min": min(totals), "median": statistics.median(totals),
                     "write": statistics.median(r[0] for r in runs), "reread": statistics.median(r[1] for r in runs),
                     "board": statistics.median(r[2] for r in runs), "requests": requests[kind],
                     "reread_requests": rereads[kind]})
    return rows


def table(rows: list[dict]) -> str:
    lines = [f"{'households':>10} {'source':<7} {'kind':<7} {'min s':>6} {'median s':>8} {'write':>6} {'re-read':>7} "
             f"{'board':>6} {'requests':>8} {'re-read requests':>16}"]
    for r in rows:
        target = f" (target ≤ {TARGET_REQUESTS[r['kind']]})" if r["source"] == "sheets" else ""
        lines.append(f"{r['size']:>10} {r['source']:<7} {r['kind']:<7} {r['min']:>6.2f} {r['median']:>8.2f} "
                     f"{r['write']:>6.2f} {r['reread']:>7.2f} {r['board']:>6.2f} {r['requests']:>8} "
                     f"{r.get('reread_requests', 0):>16}{target}")
    return "\n".join(lines)


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="*", default=[3000, 10000])
    parser.add_argument("--sources", nargs="*", default=["excel", "sheets"])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from bench.common import machine
    rows = [r for size in args.sizes for source in args.sources for r in run(size, source, args.repeats)]
    print(f"machine: {machine()}")
    print(f"save → board showing the change ({args.repeats} rounds each, append and update interleaved; seconds)")
    print(table(rows))
    return rows


if __name__ == "__main__":
    main()
