"""Load+validate benchmark: figures, not a timed test.

    python -m bench.bench_load            # 1k and 10k households
    python -m bench.bench_load --sizes 1000

For each size: our Excel path (calamine read + validate), our Sheets path through real gspread
against the local fake server (HTTP calls per refresh), and the naive ways side by side
(pandas.read_excel with its default engine; one gspread get_all_records per tab). Each case
runs in a fresh child process so its peak memory (max RSS) is its own.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
KEY = "1BenchKey0123456789abcdefghijklmnopqrstuvwxyz"


def _status_mb(field: str) -> float:
    """VmRSS (now) or VmHWM (peak) of this process in MB. ru_maxrss would include the parent's
    peak, which Linux carries across fork+exec; VmHWM starts afresh with the new program."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def case(name: str, path: str, root: str | None) -> dict:
    """Run one case in this process; returns seconds, requests and memory figures."""
    import pandas  # noqa: F401  (imports are not part of the figure)

    from lib.workbook import sources
    base = _status_mb("VmRSS")
    start = time.perf_counter()
    requests = 0
    rows = 0
    if name == "excel":
        snap = sources.load(sources.resolve({"TSUNAGU_WORKBOOK": path}, {}))
        rows = sum(len(t) for t in snap.workbook.tables.values())
    elif name == "excel-raw":
        raw = sources.read_excel(path)
        rows = sum(len(r) - 1 for r in raw.values())
    elif name == "pandas-read-excel":
        import pandas as pd
        frames = pd.read_excel(path, sheet_name=None)
        rows = sum(len(f) for f in frames.values())
    elif name == "sheets":
        snap = sources.load(sources.resolve({"TSUNAGU_WORKBOOK": KEY, "TSUNAGU_SHEETS_API_ROOT": root}, {}))
        requests = snap.requests
        rows = sum(len(t) for t in snap.workbook.tables.values())
    elif name == "gspread-get-all-records":
        config = sources.resolve({"TSUNAGU_WORKBOOK": KEY, "TSUNAGU_SHEETS_API_ROOT": root}, {})
        client = sources.sheets_client(config)
        book = client.open_by_key(KEY)
        for sheet in book.worksheets():
            rows += len(sheet.get_all_records())
        requests = client.http_client.session.calls
    seconds = time.perf_counter() - start
    return {"case": name, "seconds": round(seconds, 3), "requests": requests, "rows": rows,
            "peak_rss_mb": round(_status_mb("VmHWM"), 1),
            "rss_growth_mb": round(_status_mb("VmHWM") - base, 1)}


def _child(name: str, path: Path, root: str | None) -> dict:
    out = subprocess.run([sys.executable, "-m", "bench.bench_load", "--case", name, "--path", str(path),
                          "--root", root or ""], cwd=ROOT, capture_output=True, text=True, check=True)
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


def main(argv=None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000])
    parser.add_argument("--case")
    parser.add_argument("--path")
    parser.add_argument("--root")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    if args.case:
        print(json.dumps(case(args.case, args.path, args.root or None)))
        return

    from lib.workbook.sources import read_excel
    from tests.fake_sheets import FakeSheets

    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    header = f"{'households':>10} {'case':<26} {'seconds':>8} {'HTTP':>5} {'rows':>7} {'peak MB':>8} {'peak-base MB':>13}"
    results = {}
    for n in args.sizes:
        path = workbook(n)
        fake = FakeSheets({KEY: read_excel(path)})
        root = fake.start()
        print(f"\n{n} households: {path.name} ({path.stat().st_size / 1e6:.1f} MB)")
        print(header)
        for name in ("excel", "excel-raw", "pandas-read-excel", "sheets", "gspread-get-all-records"):
            r = _child(name, path, root if name.startswith(("sheets", "gspread")) else None)
            results[(n, name)] = r
            print(f"{n:>10} {name:<26} {r['seconds']:>8.2f} {r['requests']:>5} {r['rows']:>7} "
                  f"{r['peak_rss_mb']:>8.1f} {r['rss_growth_mb']:>13.1f}")
        fake.stop()
        ours_raw, naive = results[(n, "excel-raw")], results[(n, "pandas-read-excel")]
        sheets, naive_sheets = results[(n, "sheets")], results[(n, "gspread-get-all-records")]
        print(f"  ratio: pandas.read_excel / our raw read = {naive['seconds'] / ours_raw['seconds']:.1f}x slower; "
              f"pandas.read_excel / our read+validate = {naive['seconds'] / results[(n, 'excel')]['seconds']:.1f}x")
        print(f"  ratio: get_all_records per tab = {naive_sheets['requests']} HTTP calls vs ours {sheets['requests']} "
              f"({naive_sheets['requests'] / sheets['requests']:.0f}x); time {naive_sheets['seconds'] / sheets['seconds']:.1f}x")


if __name__ == "__main__":
    main()
