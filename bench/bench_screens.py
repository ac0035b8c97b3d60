"""Every screen in a real headless Chromium, at several town sizes: figures, not a timed test.

    python -m bench.bench_screens                       # 60, 3,000 and 10,000 households
    python -m bench.bench_screens --sizes 60 3000 --rounds 5

For each size the app is started on a generated town (sample_data/generate.py) and a person signed
in as 多機関協働 opens every screen. Per screen (min and median over the rounds):
- first visit: the screen chosen in the sidebar menu after three other screens (so that Streamlit's
  cache of large messages, which keeps them for two runs, no longer holds the screen's), timed to
  its real content: the script finished and every table, chart and map on it drawn in the browser
  (世帯詳細: opening a link to one household, which loads the whole page, is always a first visit —
  in the tab already open; bench_newtab measures the same link in a new tab, as a person gets it);
- warm paint: the same from ホーム right after (the way the earlier figures were taken);
- warm rerun: the same page run again (Streamlit's 「R」), to the script having finished;
- WebSocket: bytes the server sent the browser for the first visit, the warm paint and a rerun;
- heap: the tab's JavaScript heap after the page; server RSS after the page.
Each row checks that it measured the screen it names (a heading of that screen is on the page) and
fails loudly otherwise. Ratios are against the smallest size.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
READY = '[data-testid="stApp"][data-test-script-state="notRunning"]'
TODAY = "2026-11-24"
USER = "kyodo"
# (screen, how it is opened: the sidebar menu entry, or a link — to one household, as from a mail —
#  and a heading the screen shows once drawn):
SCREENS = (("ホーム", "/top", "つなぐボード"), ("ケースボード", "/case-board", "ケースボード"),
           ("世帯詳細", "/setai?id={household}", "経過記録（新しい順）"), ("相談受付", "/uketsuke", "相談受付"),
           ("プラン進捗", "/shinchoku", "プラン進捗"), ("社会資源マップ", "/shigen", "社会資源マップ"),
           ("機関一覧", "/kikan", "機関一覧"), ("アウトリーチ", "/outreach", "記録する"), ("会議", "/kaigi", "会議"), ("データ点検", "/tenken", "データ点検"),
           ("設定・ヘルプ", "/settei", "設定・ヘルプ"))


@dataclass
class Figures:
    paint: list[float] = field(default_factory=list)
    rerun: list[float] = field(default_factory=list)
    ws_paint: list[int] = field(default_factory=list)
    first: list[float] = field(default_factory=list)
    ws_first: list[int] = field(default_factory=list)
    ws_rerun: list[int] = field(default_factory=list)
    heap_mb: list[float] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)

    def median(self, name: str) -> float:
        values = getattr(self, name)
        return statistics.median(values) if values else float("nan")


# Counts finished script runs in the page (every change of stApp's state to notRunning), so that a
# run too quick to be seen running is still waited for:
COUNT_RUNS = """
window.__runs = 0;
new MutationObserver(ms => { for (const m of ms) if (m.target.dataset && m.target.dataset.testScriptState === 'notRunning'
    && m.oldValue !== 'notRunning') window.__runs++; })
  .observe(document, {subtree: true, attributes: true, attributeOldValue: true,
                                      attributeFilter: ['data-test-script-state']});
"""


# The screen's real content is drawn: no placeholder left, and every table grid, chart and map in
# the window drawn:
CONTENT_DRAWN = """() => {
    const main = document.querySelector('[data-testid="stMain"]') || document.body;
    // what the person sees without scrolling (a table in a closed expander or below the window is not drawn yet):
    const shown = e => e.checkVisibility() && e.getBoundingClientRect().top < window.innerHeight;
    const all = (sel, inner) => [...main.querySelectorAll(sel)].filter(shown).every(e => e.querySelector(inner));
    return !main.querySelector('[data-testid="stSkeleton"]')
        && all('[data-testid="stDataFrame"]', 'canvas')
        && all('[data-testid="stVegaLiteChart"]', 'svg, canvas')
        && all('[data-testid="stDeckGlJsonChart"]', 'canvas');
}"""
# Screens visited before a first visit (never the one measured):
OTHERS = ("機関一覧", "相談受付", "ケースボード", "プラン進捗")


def drawn(page, heading: str, path: str, timeout: float) -> None:
    """Wait for the screen's heading, the end of its run and its content drawn (NotMeasured if not)."""
    from bench.common import NotMeasured
    try:
        page.get_by_role("heading", name=heading).first.wait_for(timeout=timeout * 1000)
        _settled(page, timeout)
        page.wait_for_function(CONTENT_DRAWN, timeout=timeout * 1000)
    except Exception as e:          # noqa: BLE001 - say which screen did not come
        raise NotMeasured(f"{path}: no heading 「{heading}」 with its content within {timeout} s") from e


def runs(page) -> int:
    return page.evaluate("window.__runs")


def _settled(page, timeout: float = 300, after: int | None = None) -> None:
    """Wait until the run that the last action started has finished (`after`: the run count before it)."""
    if after is not None:
        page.wait_for_function(f"window.__runs > {after}", timeout=timeout * 1000)
    page.wait_for_selector(READY, timeout=timeout * 1000)


# The run a menu click started has finished: a run was counted, or the page is the link's and idle.
# (Streamlit does not always show a quick page change as running: the URL and the drawn page
# change while data-test-script-state stays notRunning; counting runs alone then waited 30 s.)
ARRIVED = f"""([after, path]) => window.__runs > after
    || (location.pathname === path && !!document.querySelector('{READY}'))"""


def link_path(href: str | None) -> str:
    from urllib.parse import urlparse
    return urlparse(href or "").path


def menu(page, title: str, timeout: float = 600) -> None:
    """Choose a screen in the sidebar menu and wait until its run has finished (a click that lands
    while the page is still busy is made once more)."""
    link = page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=title, exact=True)
    more = page.locator('[data-testid="stSidebarNavViewButton"]')
    if not link.is_visible() and more.count() and "more" in more.inner_text().lower():
        more.click()                       # the menu shows its first entries only: open the rest
    path = link_path(link.get_attribute("href"))
    count = runs(page)
    link.click()
    try:
        page.wait_for_function(ARRIVED, arg=[count, path], timeout=30_000)
    except Exception:                     # noqa: BLE001 - no run came: click again
        count = runs(page)
        link.click()
        page.wait_for_function(ARRIVED, arg=[count, path], timeout=timeout * 1000)
    page.wait_for_selector(READY, timeout=timeout * 1000)


def sign_in(page, url: str, user: str = USER) -> None:
    from tests.conftest import DEMO_PASSWORDS
    page.goto(url)
    page.wait_for_selector(READY, timeout=120_000)
    page.get_by_label("ユーザー名").fill(user)
    page.get_by_label("パスワード").fill(DEMO_PASSWORDS[user])
    page.get_by_role("button", name="サインイン").click()
    page.get_by_text("サインイン中:").wait_for(timeout=300_000)
    page.wait_for_selector(READY, timeout=300_000)


def measure(size: int, rounds: int, browser, only: tuple[str, ...], timeout: float = 180) -> dict[str, Figures]:
    from bench.bench_load import workbook
    from bench.server import start
    from lib.workbook.sources import read_excel
    path_of_town = workbook(size)
    household = read_excel(path_of_town)["世帯"][1][0]
    server = start(path_of_town, TSUNAGU_TODAY=TODAY, TSUNAGU_CACHE_TTL="3600")
    figures: dict[str, Figures] = {}
    try:
        context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="ja-JP")
        context.add_init_script(COUNT_RUNS)
        page = context.new_page()
        page.set_default_timeout(300_000)
        received = [0]
        page.on("websocket", lambda ws: ws.on("framereceived", lambda p: received.__setitem__(
            0, received[0] + len(p if isinstance(p, (bytes, bytearray)) else p.encode()))))
        sign_in(page, server.url)
        for title, path, heading in SCREENS:
            if only and title not in only:
                continue
            f = figures.setdefault(title, Figures())
            for _ in range(rounds):
                def opened(go) -> tuple[float, int]:
                    """Seconds and bytes from `go()` to the screen drawn with its content."""
                    before, start_at = received[0], time.perf_counter()
                    go()
                    drawn(page, heading, path, timeout)
                    return time.perf_counter() - start_at, received[0] - before

                if "{household}" in path:          # a link from outside: the whole page loads
                    link = server.url + path.format(household=household)
                    first = opened(lambda: page.goto(link))
                    warm = opened(lambda: page.goto(link))
                else:                              # the sidebar menu, as people move between screens
                    for other in (o for o in OTHERS if o != title):
                        menu(page, other, timeout)
                    first = opened(lambda: menu(page, title, timeout))
                    menu(page, "会議の壁用画面" if title == "ホーム" else "ホーム")
                    warm = opened(lambda: menu(page, title, timeout))
                f.first.append(first[0])
                f.ws_first.append(first[1])
                f.paint.append(warm[0])
                f.ws_paint.append(warm[1])
                page.mouse.click(5, 5)                   # focus the page, not an input, for the R key
                before, count = received[0], runs(page)
                start_at = time.perf_counter()
                page.keyboard.press("r")
                _settled(page, timeout, count)
                f.rerun.append(time.perf_counter() - start_at)
                f.ws_rerun.append(received[0] - before)
                f.heap_mb.append(page.evaluate("performance.memory.usedJSHeapSize") / 2 ** 20)
                f.rss_mb.append(server.rss_mb())
            print(f"  {size:>6} {title:<10} first {f.first[-1]:6.2f} s {f.ws_first[-1] / 1024:5.0f} KB  "
                  f"paint {f.paint[-1]:6.2f} s  rerun {f.rerun[-1]:6.2f} s  WS {f.ws_paint[-1] / 1024:7.0f} KB", flush=True)
        context.close()
    finally:
        server.stop()
    return figures


def table(rows: list[dict]) -> str:
    lines = [f"{'screen':<12} {'households':>10} {'first s':>8} {'WS first KB':>11} {'paint min s':>11} {'paint s':>8} "
             f"{'rerun min s':>11} {'rerun s':>8} {'WS paint KB':>11} {'WS rerun KB':>11} {'heap MB':>8} {'RSS MB':>7} "
             f"{'paint ×':>8}"]
    lines += [f"{r['screen']:<12} {r['households']:>10} {r['first']:>8.2f} {r['ws_first_kb']:>11.0f} "
              f"{r['paint_min']:>11.2f} {r['paint']:>8.2f} {r['rerun_min']:>11.2f} "
              f"{r['rerun']:>8.2f} {r['ws_paint_kb']:>11.0f} {r['ws_rerun_kb']:>11.0f} {r['heap_mb']:>8.0f} "
              f"{r['rss_mb']:>7.0f} {r['ratio']:>8.1f}" for r in rows]
    return "\n".join(lines)


def rows(results: dict[int, dict[str, Figures]]) -> list[dict]:
    """One row per screen and size: min and median first paint and rerun, WebSocket KB, heap, RSS."""
    base = min(results)
    out = []
    for title, *_ in SCREENS:
        for n in sorted(results):
            f = results[n].get(title)
            if f is None:
                continue
            first = results[base].get(title)
            out.append({"screen": title, "households": n, "first": f.median("first"),
                        "ws_first_kb": f.median("ws_first") / 1024, "paint_min": min(f.paint), "paint": f.median("paint"),
                        "rerun_min": min(f.rerun), "rerun": f.median("rerun"), "ws_paint_kb": f.median("ws_paint") / 1024,
                        "ws_rerun_kb": f.median("ws_rerun") / 1024, "heap_mb": f.median("heap_mb"),
                        "rss_mb": f.median("rss_mb"),
                        "ratio": f.median("paint") / first.median("paint") if first else float("nan")})
    return out


def run(sizes: list[int], rounds: int, only: tuple[str, ...] = ()) -> list[dict]:
    from playwright.sync_api import sync_playwright
    results = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--enable-precise-memory-info"])
        for n in sizes:
            results[n] = measure(n, rounds, browser, only)
        browser.close()
    return rows(results)


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="*", default=[60, 3000, 10000])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--only", nargs="*", default=[], help="screen titles to measure (default: all)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from bench.common import machine
    out = run(args.sizes, args.rounds, tuple(args.only))
    print(f"machine: {machine()}; Chromium headless; signed in as {USER}; {args.rounds} rounds")
    print(table(out))
    return out


if __name__ == "__main__":
    main()
