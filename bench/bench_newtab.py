"""A link opened in a new tab, against Streamlit itself: figures, not a timed test.

    python -m bench.bench_newtab                 # 3,000 households, 7 rounds
    python -m bench.bench_newtab --size 60 --rounds 3

One headless Chromium context, signed in once as 多機関協働 (the re-login cookie a mail's link
finds); each round opens, each in a new tab, in turn: a bare Streamlit page (st.title and a 5-row
st.dataframe, nothing else), the same page inside st.navigation with a sidebar menu of 14 pages (what
Streamlit's own menu costs, run beside it), and the app's screens a link opens. Per screen: the
heading shown, the first data grid drawn, and everything in the window drawn with the run finished
(`drawn`); medians, and each as a ratio to the bare page of the same round set. `世帯詳細 (same tab)`
opens the same link in the tab that is already open, as bench_screens does — the difference between
the two rows is what a new tab costs. Each row checks its heading.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The bare pages, written beside the bench's output and served with the app's own .streamlit config:
BARE = """import pandas as pd
import streamlit as st

st.title("見出し")
st.dataframe(pd.DataFrame({"番号": range(5), "名前": list("あいうえお")}))
"""
BARE_MENU = """import pandas as pd
import streamlit as st


def first():
    st.title("見出し")
    st.dataframe(pd.DataFrame({"番号": range(5), "名前": list("あいうえお")}))


def other():
    st.title("ほか")


pages = [st.Page(first, title="はじめ", url_path="one", icon=":material/home:")]
pages += [st.Page(other, title=f"画面{i}", url_path=f"p{i}", icon=":material/map:") for i in range(13)]
st.navigation(pages).run()
"""
# (row, path, a heading the screen shows once drawn, has a data grid); 世帯詳細's title is the
# household's name; the wall: no meeting running, its heading and notice:
SCREENS = (("世帯詳細", "/setai?id={household}", "経過記録（新しい順）", True), ("ホーム", "/top", "つなぐボード", True),
           ("ケースボード", "/case-board", "ケースボード", False), ("会議", "/kaigi", "会議", True),
           ("会議の壁用画面", "/kabe", "会議", False))
GRID = '[data-testid="stDataFrame"] canvas'
TARGET = 1.3          # issue 45: each screen ≤ 1.3× the bare page, opened in a new tab


def _bare_servers(folder: Path) -> list:
    """Start the bare page and the bare page with a menu (streamlit run, the app's config)."""
    import shutil

    from bench.server import free_port
    folder.mkdir(parents=True, exist_ok=True)
    (folder / ".streamlit").mkdir(exist_ok=True)
    shutil.copy(ROOT / ".streamlit" / "config.toml", folder / ".streamlit" / "config.toml")
    out = []
    for name, text in (("bare.py", BARE), ("bare_menu.py", BARE_MENU)):
        (folder / name).write_text(text, encoding="utf-8")
        port = free_port()
        proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", name, "--server.port", str(port),
                                 "--server.address", "127.0.0.1"], cwd=folder, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        out.append((f"http://127.0.0.1:{port}", proc))
    return out


def _wait_up(url: str, timeout: float = 60) -> None:
    import urllib.request
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url + "/_stcore/health", timeout=2)
            return
        except OSError:
            time.sleep(0.3)
    from bench.common import NotMeasured
    raise NotMeasured(f"{url} did not start")


def _open(context, url: str, check: str, grid: bool, page=None) -> tuple[float, float | None, float]:
    """Open `url` in a new tab (or `page`): seconds to the title (the first h1), the first grid, and
    everything drawn; NotMeasured unless the heading `check` is then on the page."""
    from bench.bench_screens import CONTENT_DRAWN, READY
    from bench.common import NotMeasured
    tab = page or context.new_page()
    began = time.perf_counter()
    tab.goto(url)
    try:
        tab.locator("h1").first.wait_for(timeout=120_000)
        shown = time.perf_counter() - began
        first = None
        if grid:
            tab.locator(GRID).first.wait_for(timeout=120_000)
            first = time.perf_counter() - began
        tab.wait_for_selector(READY, timeout=120_000)
        tab.wait_for_function(CONTENT_DRAWN, timeout=120_000)
        done = time.perf_counter() - began
        tab.get_by_role("heading", name=check).first.wait_for(timeout=1_000)
    except Exception as e:             # noqa: BLE001 - say which page did not come
        raise NotMeasured(f"{url}: its heading and content did not come") from e
    finally:
        if page is None:
            tab.close()
    return shown, first, done


def measure(size: int, rounds: int) -> list[dict]:
    from playwright.sync_api import sync_playwright

    import pandas as pd

    from bench.bench_load import workbook
    from bench.bench_screens import CHROMIUM, TODAY, sign_in
    from bench.server import start
    path = workbook(size)
    household = pd.read_excel(path, sheet_name="世帯", engine="calamine")["世帯ID"].iloc[size // 2]
    app = start(path, TSUNAGU_TODAY=TODAY)
    bare = _bare_servers(ROOT / "bench" / "out" / "bare_page")
    try:
        for url, _ in bare:
            _wait_up(url)
        targets = [("bare Streamlit page", bare[0][0] + "/", "見出し", True),
                   ("bare page in st.navigation", bare[1][0] + "/one", "見出し", True)]
        targets += [(name, app.url + where.format(household=household), heading, grid)
                    for name, where, heading, grid in SCREENS]
        times: dict[str, list[tuple]] = {name: [] for name, *_ in targets}
        times["世帯詳細 (same tab)"] = []
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM)
            context = browser.new_context(locale="ja-JP", viewport={"width": 1400, "height": 900})
            signed = context.new_page()
            sign_in(signed, app.url)
            for warm in range(rounds + 1):          # the first round warms both servers and the cache
                for name, url, heading, grid in targets:
                    figures = _open(context, url, heading, grid)
                    if warm:
                        times[name].append(figures)
                    time.sleep(0.3)
                figures = _open(context, targets[2][1], targets[2][2], True, page=signed)
                if warm:
                    times["世帯詳細 (same tab)"].append(figures)
            browser.close()
    finally:
        app.stop()
        for _, proc in bare:
            proc.terminate()
    return rows(size, times)


def rows(size: int, times: dict[str, list[tuple]]) -> list[dict]:
    def med(values):
        values = [v for v in values if v is not None]
        return statistics.median(values) if values else None
    base = [med(x[i] for x in times["bare Streamlit page"]) for i in range(3)]
    out = []
    for name, found in times.items():
        heading, grid, drawn = (med(x[i] for x in found) for i in range(3))
        out.append({"screen": name, "households": size, "heading": heading, "grid": grid, "drawn": drawn,
                    "x_heading": heading / base[0], "x_grid": grid / base[1] if grid else None,
                    "x_drawn": drawn / base[2]})
    return out


def table(found: list[dict]) -> str:
    lines = [f"{'opened in a new tab':<30} {'households':>10} {'heading s':>9} {'grid s':>7} {'drawn s':>8} "
             f"{'× head':>7} {'× grid':>7} {'× drawn':>8}"]
    for r in found:
        grid = f"{r['grid']:>7.2f}" if r["grid"] else f"{'—':>7}"
        x_grid = f"{r['x_grid']:>7.2f}" if r["x_grid"] else f"{'—':>7}"
        lines.append(f"{r['screen']:<30} {r['households']:>10} {r['heading']:>9.2f} {grid} {r['drawn']:>8.2f} "
                     f"{r['x_heading']:>7.2f} {x_grid} {r['x_drawn']:>8.2f}")
    return "\n".join(lines)


def run(size: int = 3000, rounds: int = 7) -> list[dict]:
    return measure(size, rounds)


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from bench.common import machine
    found = run(args.size, args.rounds)
    print(f"machine: {machine()}; {args.rounds} rounds, every page in a new tab, interleaved")
    print(table(found))
    return found


if __name__ == "__main__":
    main()
