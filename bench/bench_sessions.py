"""Several people at once: 20 signed-in browser sessions (one in 投影モード) on one server process,
or split over several processes sharing their state (README 「複数のサーバーで動かす」).

    python -m bench.bench_sessions                      # 3,000 households, 20 sessions, 1 process
    python -m bench.bench_sessions --processes 2        # the same sessions split over 2 processes
    python -m bench.bench_sessions --households 60 --sessions 5 --think 5 15

One person (多機関協働) opens ケースボード, プラン進捗 and 会議 and reruns each, first alone on the
server, then while 19 others are signed in and working: each of them reruns its screen or moves to
another one after a pause (`--think`, seconds, drawn at random: a busy office), one of them
projecting the board (?mode=projection), the others signed in as 多機関協働, 地域包括 and 居宅
(different scopes). Printed per screen: the measured person's first paint and rerun alone and with
the others (min, median, ratio), the worst case where all 20 rerun at the same instant, the
server's memory with one session and with all of them, and whether a 経過記録 saved in one
session reaches another on its next rerun (checked in the workbook and in the WebSocket frames
the other browser received; the bench fails if not). With several processes the sessions take
them in turn (as nginx's ip_hash would for as many PCs), the measured person is on the first, the
reader of the save on another one, and the memory is that of all processes together.
"""
from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCREENS = ("ケースボード", "プラン進捗", "会議")
HEADINGS = {"ホーム": "つなぐボード", "ケースボード": "ケースボード", "プラン進捗": "プラン進捗", "会議": "会議"}
USERS = ("kyodo", "houkatsu", "kyotaku")
MEASURED_RUNS = 5


async def _runs(page) -> int:
    return await page.evaluate("window.__runs")


async def _settled(page, after: int | None, timeout: float = 600) -> None:
    from bench.bench_screens import READY
    if after is not None:
        await page.wait_for_function(f"window.__runs > {after}", timeout=timeout * 1000)
    await page.wait_for_selector(READY, timeout=timeout * 1000)


async def open_session(browser, url: str, user: str, path: str = ""):
    from bench.bench_screens import COUNT_RUNS, READY
    from tests.conftest import DEMO_PASSWORDS
    context = await browser.new_context(viewport={"width": 1400, "height": 900}, locale="ja-JP")
    await context.add_init_script(COUNT_RUNS)
    page = await context.new_page()
    page.set_default_timeout(600_000)
    await page.goto(url + path)
    await page.wait_for_selector(READY)
    await page.get_by_label("ユーザー名").fill(user)
    await page.get_by_label("パスワード").fill(DEMO_PASSWORDS[user])
    await page.get_by_role("button", name="サインイン").click()
    await page.get_by_text("サインイン中:").wait_for()
    await page.wait_for_selector(READY)
    return page


async def visit(page, title: str) -> float:
    """Choose `title` in the menu; seconds until its run has finished with the heading drawn."""
    from bench.common import NotMeasured
    from bench.bench_screens import ARRIVED, READY, link_path
    link = page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=title, exact=True)
    path = link_path(await link.get_attribute("href"))
    count = await _runs(page)
    started = time.perf_counter()
    await link.click()
    try:
        await page.wait_for_function(ARRIVED, arg=[count, path], timeout=60_000)
    except Exception:                         # noqa: BLE001 - the click found the page busy: once more
        count = await _runs(page)
        await link.click()
        await page.wait_for_function(ARRIVED, arg=[count, path], timeout=600_000)
    await page.wait_for_selector(READY)
    if not await page.get_by_role("heading", name=HEADINGS.get(title, title)).count():
        raise NotMeasured(f"{title}: its heading is not on the page")
    return time.perf_counter() - started


async def rerun(page) -> float:
    await page.mouse.click(5, 5)                     # focus the page, not an input, for the R key
    count = await _runs(page)
    started = time.perf_counter()
    await page.keyboard.press("r")
    await _settled(page, count)
    return time.perf_counter() - started


async def measure(page) -> dict[str, tuple[list[float], list[float]]]:
    """Per screen: first paint (from the menu, after ホーム) and reruns of the measured person."""
    out = {}
    for title in SCREENS:
        paints, reruns = [], []
        for _ in range(MEASURED_RUNS):
            await visit(page, "ホーム")
            paints.append(await visit(page, title))
            reruns.append(await rerun(page))
        out[title] = (paints, reruns)
    return out


async def person(page, stop: asyncio.Event, rng: random.Random, think: tuple[float, float], done: list) -> None:
    """Someone at work: after a pause, runs the screen again or moves to another one."""
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), rng.uniform(*think))
            return
        except asyncio.TimeoutError:
            pass
        if rng.random() < 0.7:
            await rerun(page)
        else:
            await visit(page, rng.choice(SCREENS))
        done.append(1)


async def main_async(args) -> dict:
    from playwright.async_api import async_playwright

    from bench.bench_load import workbook
    from bench.bench_screens import CHROMIUM, TODAY
    from bench.common import NotMeasured, median, minimum
    from bench.server import start
    from lib.workbook.sources import read_excel

    folder = Path(tempfile.mkdtemp(prefix="sessions"))
    town = folder / "town.xlsx"
    shutil.copy(workbook(args.households), town)            # the save below must not touch the cached town
    household = read_excel(town)["世帯"][1][0]
    servers = [start(town, TSUNAGU_TODAY=TODAY, TSUNAGU_CACHE_TTL="3600", TSUNAGU_BACKUP_DIR=str(folder / "backups"),
                     TSUNAGU_STATE_DIR=str(folder / "state")) for _ in range(args.processes)]

    def url(i: int) -> str:                   # session i's process (0: the measured person)
        return servers[i % len(servers)].url

    def rss() -> float:
        return sum(s.rss_mb() for s in servers)
    rng = random.Random(7)
    result = {"households": args.households, "sessions": args.sessions, "think": args.think,
              "processes": args.processes}
    try:
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
                "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run"])
            me = await open_session(browser, url(0), "kyodo")
            alone = await measure(me)
            result["rss_one"] = rss()
            others = [await open_session(browser, url(1), "kyodo", "/case-board?mode=projection")]
            for i in range(2, args.sessions):
                others.append(await open_session(browser, url(i), USERS[i % len(USERS)]))
            for page in others[1:]:
                await visit(page, rng.choice(SCREENS))
            stop, done = asyncio.Event(), []
            workers = [asyncio.create_task(person(page, stop, random.Random(i), tuple(args.think), done))
                       for i, page in enumerate(others)]
            started = time.perf_counter()
            together = await measure(me)
            elapsed = time.perf_counter() - started
            stop.set()
            await asyncio.gather(*workers)
            result["actions_per_s"] = len(done) / elapsed
            result["rss_all"] = rss()

            # The worst case: everyone reruns at the same instant (twice).
            burst = []
            for _ in range(2):
                burst += await asyncio.gather(*(rerun(page) for page in [me, *others]))
            result["burst"] = (median(burst), max(burst))
            result["rows"] = [{"screen": t, "paint_alone": median(alone[t][0]), "paint_together": median(together[t][0]),
                               "paint_together_min": minimum(together[t][0]), "rerun_alone": median(alone[t][1]),
                               "rerun_together": median(together[t][1]), "rerun_together_min": minimum(together[t][1]),
                               "paint_ratio": median(together[t][0]) / median(alone[t][0]),
                               "rerun_ratio": median(together[t][1]) / median(alone[t][1])} for t in SCREENS]

            # A save in one session shows up in another on its next rerun:
            writer, reader = me, others[2]
            received: list[bytes] = []
            reader.on("websocket", lambda ws: ws.on("framereceived", lambda data: received.append(
                data if isinstance(data, (bytes, bytearray)) else data.encode())))
            for page, at in ((writer, url(0)), (reader, url(3))):      # others[2] is session 3
                await page.goto(f"{at}/setai?id={household}")
                await page.get_by_role("heading", name="経過記録（新しい順）").wait_for()
                await _settled(page, None)
            text = f"同時利用の確認 {time.time():.0f}"
            await writer.locator('[data-testid="stSelectbox"]:visible').filter(has_text="方法").click()
            await writer.get_by_role("option", name="訪問", exact=True).click()
            await writer.get_by_label("内容", exact=True).fill(text)
            count = await _runs(writer)
            await writer.get_by_role("button", name="経過記録を保存").click()
            await writer.locator('[data-testid="stAlert"]').filter(has_text="保存").first.wait_for()
            await _settled(writer, count)
            if not any(text in str(r) for r in read_excel(town)["経過記録"]):
                raise NotMeasured("the save did not reach the workbook")
            received.clear()
            await rerun(reader)
            # The 経過記録 table is drawn on a canvas: the frames the server sent are what can be checked.
            result["save_seen"] = text.encode() in b"".join(received)
            if not result["save_seen"]:
                raise NotMeasured("a save in one session did not reach another on its next rerun")
            await browser.close()
    finally:
        for s in servers:
            s.stop()
        shutil.rmtree(folder, ignore_errors=True)
    return result


def table(r: dict) -> str:
    processes = r.get("processes", 1)
    lines = [f"{r['sessions']} sessions on {r['households']} households, {processes} server process"
             f"{'es' if processes > 1 else ''} (one projecting; the others pause "
             f"{r['think'][0]:g}–{r['think'][1]:g} s between actions: {r['actions_per_s']:.1f} actions/s in all)",
             f"{'screen':<10} {'paint alone s':>13} {'with others s':>13} {'×':>5} {'rerun alone s':>13} "
             f"{'with others s':>13} {'×':>5}"]
    lines += [f"{x['screen']:<10} {x['paint_alone']:>13.2f} {x['paint_together']:>13.2f} {x['paint_ratio']:>5.1f} "
              f"{x['rerun_alone']:>13.2f} {x['rerun_together']:>13.2f} {x['rerun_ratio']:>5.1f}" for x in r["rows"]]
    lines.append(f"all {r['sessions']} rerunning at the same instant: median {r['burst'][0]:.2f} s, slowest {r['burst'][1]:.2f} s")
    lines.append(f"server RSS ({processes} process{'es' if processes > 1 else ''}): {r['rss_one']:.0f} MB with one session, "
                 f"{r['rss_all']:.0f} MB with {r['sessions']}")
    lines.append(f"a 経過記録 saved in one session reached another{' on another process' if processes > 1 else ''} "
                 f"on its next rerun: {'yes' if r['save_seen'] else 'NO'}")
    return "\n".join(lines)


def run(households: int = 3000, sessions: int = 20, think: tuple[float, float] = (10, 30), processes: int = 1) -> dict:
    return asyncio.run(main_async(argparse.Namespace(households=households, sessions=sessions, think=list(think),
                                                     processes=processes)))


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=3000)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--think", type=float, nargs=2, default=[10, 30])
    parser.add_argument("--processes", type=int, default=1, help="server processes sharing one state folder")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from bench.common import machine
    result = asyncio.run(main_async(args))
    print(f"machine: {machine()}")
    print(table(result))
    return result


if __name__ == "__main__":
    main()
