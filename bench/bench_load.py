"""Load + validate against the peers: figures, not a timed test.

    python -m bench.bench_load                        # 60, 3,000 and 10,000 households
    python -m bench.bench_load --sizes 3000 --repeats 5

For each size, every case runs in a fresh child process (so its peak memory is its own), the cases
interleaved (A B C … A B C …, `--repeats` times); each row prints min and median seconds and the
ratio of its median to our whole load (`excel` for files, `sheets` for Google Sheets):
- `excel` — our load: python-calamine read (tabs in two threads) + validation into typed tables;
  `validation` is the validation alone on a workbook already read (same child).
- `excel-raw` — our read alone, no validation.
- `pandas-calamine` — `pandas.read_excel(sheet_name=None, engine="calamine")`: the fastest peer,
  reading only (no validation, dtypes guessed).
- `pandas-openpyxl` — `pandas.read_excel(sheet_name=None)` with its default engine.
- `sheets` — our Google Sheets path through real gspread over HTTP to tests/fake_sheets.py
  (metadata + one values batchGet), then validation; HTTP = requests per refresh.
- `gspread-get-all-values` — plain gspread: `open_by_key`, `worksheets()`, `get_all_values()` per tab.
- `gspread-get-all-records` — the same with `get_all_records()` (it also turns ID "007" into 7).
- `excel-refresh`, `sheets-refresh` — the read another server process (or this one's cache
  after its TTL) makes after someone's save of one 経過記録 row, with its previous read at hand:
  only the tab whose content changed is converted again (Excel: each sheet part's CRC, and of a
  sheet whose earlier rows are still byte for byte as read, only the rows appended below them;
  Sheets: first one small Drive request for when the spreadsheet last changed, then a hash of each tab's
  values, all tabs in one request). `sheets-refresh-unchanged`: the refresh when nobody changed the
  sheet since the last read — that one small request only. The read right after this process's own
  save converts only what it wrote and reads nothing (bench_save: 「re-read requests」 0).
  Timed: that refresh alone (Sheets: its own fake server in the same process).
Each row checks that it read every row of the town (the generator's count) and fails otherwise.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
KEY = "1BenchKey0123456789abcdefghijklmnopqrstuvwxyz"
CASES = ("excel", "excel-raw", "pandas-calamine", "pandas-openpyxl", "excel-refresh", "sheets",
         "gspread-get-all-values", "gspread-get-all-records", "sheets-refresh", "sheets-refresh-unchanged")
# The case each row is compared with (ratio of medians):
OURS = {"excel": "excel", "excel-raw": "excel", "pandas-calamine": "excel", "pandas-openpyxl": "excel",
        "sheets": "sheets", "gspread-get-all-values": "sheets", "gspread-get-all-records": "sheets",
        "excel-refresh": "excel", "sheets-refresh": "sheets", "sheets-refresh-unchanged": "sheets"}


def _status_mb(field: str) -> float:
    """VmRSS (now) or VmHWM (peak) of this process in MB. ru_maxrss would include the parent's
    peak, which Linux carries across fork+exec; VmHWM starts afresh with the new program."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def case(name: str, path: str, root: str | None) -> dict:
    """Run one case in this process; returns seconds, requests, rows and memory figures."""
    import pandas  # noqa: F401  (imports are not part of the figure)

    from lib.workbook import sources, validate
    base = _status_mb("VmRSS")
    start = time.perf_counter()
    requests = 0
    rows = 0
    validation = None
    if name == "excel":
        snap = sources.load(sources.resolve({"TSUNAGU_WORKBOOK": path}, {}))
        seconds = time.perf_counter() - start
        rows = sum(len(t) for t in snap.workbook.tables.values())
        raw = dict(sources.read_excel(path))
        begun = time.perf_counter()
        validate.validate(raw)
        validation = time.perf_counter() - begun
    elif name == "excel-raw":
        raw = dict(sources.read_excel(path))
        rows = sum(sum(1 for r in t[1:] if any(v not in (None, "") for v in r)) for t in raw.values())
    elif name.startswith("pandas-"):
        import pandas as pd
        frames = pd.read_excel(path, sheet_name=None, engine="calamine" if name == "pandas-calamine" else None)
        rows = sum(len(f.dropna(how="all")) for f in frames.values())
    elif name == "sheets":
        snap = sources.load(sources.resolve({"TSUNAGU_WORKBOOK": KEY, "TSUNAGU_SHEETS_API_ROOT": root}, {}))
        requests = snap.requests
        rows = sum(len(t) for t in snap.workbook.tables.values())
    elif "-refresh" in name:
        seconds, requests, rows = _refresh(name.split("-")[0], path, changed=not name.endswith("-unchanged"))
    elif name.startswith("gspread-"):
        config = sources.resolve({"TSUNAGU_WORKBOOK": KEY, "TSUNAGU_SHEETS_API_ROOT": root}, {})
        client = sources.sheets_client(config)
        book = client.open_by_key(KEY)
        for sheet in book.worksheets():
            if name == "gspread-get-all-values":
                rows += sum(1 for r in sheet.get_all_values()[1:] if any(r))
            else:
                rows += len(sheet.get_all_records())
        requests = client.http_client.session.calls
    else:
        raise ValueError(name)
    if name != "excel" and "-refresh" not in name:
        seconds = time.perf_counter() - start
    return {"case": name, "seconds": seconds, "validation": validation, "requests": requests, "rows": rows,
            "peak_rss_mb": round(_status_mb("VmHWM"), 1), "rss_growth_mb": round(_status_mb("VmHWM") - base, 1)}


def _refresh(kind: str, path: str, changed: bool = True) -> tuple[float, int, int]:
    """(seconds, requests, rows) of a refresh after a save of one 経過記録 row (`changed`; else of a
    refresh when nobody saved anything since), with the previous read at hand (not what the save
    wrote: as another process reads); rows leave out the rows the bench appended."""
    import datetime as dt
    import shutil
    import tempfile

    from lib.casework import entry
    from lib.workbook import sources
    from tests.fake_sheets import FakeSheets
    folder = Path(tempfile.mkdtemp(prefix="bench-refresh-"))
    fake = None
    if kind == "excel":
        town = folder / "town.xlsx"
        shutil.copy(path, town)
        config = sources.resolve({"TSUNAGU_WORKBOOK": str(town), "TSUNAGU_BACKUP_DIR": str(folder / "b")}, {})
    else:
        fake = FakeSheets({KEY: dict(sources.read_excel(path))}, watch_books=False)   # (as Google: a write moves the time)
        config = sources.resolve({"TSUNAGU_WORKBOOK": KEY, "TSUNAGU_SHEETS_API_ROOT": fake.start()}, {})
    day = dt.date(2026, 11, 24)
    snapshot = sources.load(config)
    for n in range(2):                  # the first save of a file adds its date style: measure the second
        hid = snapshot.workbook["世帯"]["世帯ID"].iloc[n]
        if changed:
            sources.write(config, snapshot, entry.contact(snapshot.workbook, hid, day=day, method="電話",
                                                          agency=None, staff="bench", text=f"bench {n}", today=day))
        start = time.perf_counter()
        snapshot = sources.load(config, previous=snapshot)
        seconds = time.perf_counter() - start
    if fake:
        fake.stop()
    shutil.rmtree(folder, ignore_errors=True)
    return seconds, snapshot.requests, sum(len(t) for t in snapshot.workbook.tables.values()) - (2 if changed else 0)


def _child(name: str, path: Path, root: str | None) -> dict:
    out = subprocess.run([sys.executable, "-m", "bench.bench_load", "--case", name, "--path", str(path),
                          "--root", root or ""], cwd=ROOT, capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(f"{name} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def workbook(n: int) -> Path:
    """The generated town of n households (rebuilt when the generator or the schema changed)."""
    import hashlib
    code = b"".join((ROOT / p).read_bytes() for p in ("sample_data/generate.py", "lib/workbook/schema.py"))
    path = OUT / f"town_{n}_{hashlib.sha256(code).hexdigest()[:8]}.xlsx"
    if not path.exists():
        from sample_data import generate
        generate.write_xlsx(generate.build(n), path)
    return path


def run(sizes: list[int], repeats: int) -> list[dict]:
    """One row per size and case: min/median seconds, ratio to ours, HTTP, rows, peak memory."""
    from bench.common import NotMeasured, interleaved, median, minimum, ratio
    from lib.workbook.sources import read_excel
    from tests.fake_sheets import FakeSheets

    rows = []
    for n in sizes:
        path = workbook(n)
        expected = sum(sum(1 for r in t[1:] if any(v not in (None, "") for v in r))
                       for t in read_excel(path).values())
        fake = FakeSheets({KEY: dict(read_excel(path))})
        root = fake.start()
        last: dict[str, dict] = {}
        validation: list[float] = []

        def variant(name):
            def go():
                r = _child(name, path, root if name.startswith(("sheets", "gspread")) else None)
                last[name] = r
                if r["validation"] is not None:
                    validation.append(r["validation"])
                return r["seconds"]
            return go
        try:
            times = interleaved({name: variant(name) for name in CASES}, repeats)
        finally:
            fake.stop()
        for name in CASES:
            r = last[name]
            if r["rows"] != expected:
                raise NotMeasured(f"{name} at {n} households read {r['rows']} rows, the town has {expected}")
            rows.append({"households": n, "case": name, "min": minimum(times[name]), "median": median(times[name]),
                         "ratio": ratio(times[name], times[OURS[name]]), "compared_with": OURS[name],
                         "validation": median(validation) if name == "excel" else None, "requests": r["requests"],
                         "rows": r["rows"], "peak_mb": r["peak_rss_mb"], "growth_mb": r["rss_growth_mb"],
                         "file_mb": path.stat().st_size / 1e6})
    return rows


def table(rows: list[dict]) -> str:
    lines = [f"{'households':>10} {'case':<24} {'min s':>6} {'median s':>8} {'× ours':>7} {'valid. s':>8} "
             f"{'HTTP':>5} {'rows':>7} {'peak MB':>8} {'peak-base MB':>12}"]
    for r in rows:
        valid = f"{r['validation']:.2f}" if r["validation"] is not None else ""
        lines.append(f"{r['households']:>10} {r['case']:<24} {r['min']:>6.2f} {r['median']:>8.2f} {r['ratio']:>7.2f} "
                     f"{valid:>8} {r['requests']:>5} {r['rows']:>7} {r['peak_mb']:>8.0f} {r['growth_mb']:>12.0f}")
    return "\n".join(lines)


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="*", default=[60, 3000, 10000])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--case")
    parser.add_argument("--path")
    parser.add_argument("--root")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    if args.case:
        print(json.dumps(case(args.case, args.path, args.root or None)))
        return []
    from bench.common import machine
    rows = run(args.sizes, args.repeats)
    print(f"machine: {machine()}; {args.repeats} interleaved runs per case; × ours = median / median of ours")
    print(table(rows))
    return rows


if __name__ == "__main__":
    main()
