"""Several app servers for a city, in a real headless Chromium: two `streamlit run` processes behind
Debian's nginx as installed (its default site enabled) with README's file in conf.d
(deploy/nginx-tsunagu.conf: the town's name over https, a route cookie, WebSocket upgrade), sharing
their state in PostgreSQL (Google Sheets through the fake server) or in one state folder (an Excel
copy). The operator is on one process and the wall on the other: the wall follows. Two operators of
the same meeting, one on each process, press 保存 at once: both decisions land in one 会議 row."""
import re
import time

import pytest

from lib.meetings import writeback as wb
from tests.servers import Nginx, free_port
from tests.test_browser import launch, sign_in, window
from tests.test_browser_entry import TODAY, Excel, Sheets, choose, ready, saved
from tests.test_browser_meeting import open_window, operate
from tests.conftest import ROOT

# The name the town's staff open (Chromium resolves it to this machine; README's deploy file names it):
TOWN = "tsunagu.example.lg.jp"


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = launch(p, f"--host-resolver-rules=MAP {TOWN} 127.0.0.1")
        yield b
        b.close()


def deploy_site(folder, http_port: int, https_port: int, upstreams: list[str]) -> str:
    """README's deploy/nginx-tsunagu.conf as a town fills it in: its name, its certificate (made here,
    for TOWN), its app servers — and this test's ports instead of 80 and 443."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, TOWN)])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(TOWN)]), critical=False).sign(key, hashes.SHA256()))
    (folder / "fullchain.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "privkey.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                            serialization.NoEncryption()))
    site = (ROOT / "deploy" / "nginx-tsunagu.conf").read_text(encoding="utf-8")
    replaced = {"server 127.0.0.1:8501;": f"server {upstreams[0]};", "server 127.0.0.1:8502;": f"server {upstreams[1]};",
                "listen 80;": f"listen 127.0.0.1:{http_port};", "listen [::]:80;": f"listen [::1]:{http_port};",
                "listen 443 ssl;": f"listen 127.0.0.1:{https_port} ssl;", "listen [::]:443 ssl;": f"listen [::1]:{https_port} ssl;",
                "/etc/nginx/tsunagu/": f"{folder}/"}
    for old, new in replaced.items():
        assert old in site, old
        site = site.replace(old, new)
    return site


def fetch(port: int, path: str = "/", host: str = TOWN, tls: bool = True, cookie: str | None = None,
          source: str = "127.0.0.1"):
    """One request to nginx on this machine for `host` from the address `source`, as a browser of the
    town sends it: (status, headers, body)."""
    import http.client
    import ssl
    if tls:
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE       # the test's own certificate
        conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=20, context=context, source_address=(source, 0))
    else:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20, source_address=(source, 0))
    conn.request("GET", path, headers={"Host": host, **({"Cookie": f"tsunagu_server={cookie}"} if cookie else {})})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, response.headers, body


def routes_to_each(proxy, port: int, upstreams: list[str]) -> list[str]:
    """A route cookie value nginx sends to each app server, in the order of `upstreams`."""
    found = {}
    for n in range(200):
        fetch(port, "/_stcore/health", cookie=f"probe{n}")
        found = {next(iter(servers)): route for route, servers in proxy.routes().items() if route.startswith("probe")}
        if all(u in found for u in upstreams):
            return [found[u] for u in upstreams]
    raise AssertionError(f"no route cookie reached every server: {found}")


def open_on(browser, url: str, route: str, username: str):  # noqa: F811
    """Another PC's window that nginx sends to the app server of `route`, signed in as `username`."""
    context, page = window(browser, ignore_https_errors=True)
    context.add_cookies([{"name": "tsunagu_server", "value": route, "url": url}])
    sign_in(page, url, username)
    return context, page


@pytest.fixture(params=["postgres+sheets", "folder+excel"])
def city(request, tmp_path):
    """Two app servers behind README's nginx file on Debian's nginx (its default site beside it);
    yields (backend, URL, the route cookie of each server, nginx, servers)."""
    from bench.server import NotStarted, start
    shared, kind = request.param.split("+")
    backend = (Sheets if kind == "sheets" else Excel)(tmp_path)
    workbook = backend.env.pop("TSUNAGU_WORKBOOK")
    if shared == "postgres":
        state = {"TSUNAGU_STATE_URL": request.getfixturevalue("postgres_url").rsplit("/", 1)[0] + "/" + _database()}
    else:
        state = {"TSUNAGU_STATE_DIR": str(tmp_path / "state")}
    servers = []
    try:
        for _ in range(2):
            servers.append(start(workbook, TSUNAGU_TODAY=TODAY.isoformat(), TSUNAGU_TRUSTED_PROXIES="127.0.0.1",
                                 **backend.env, **state))
    except NotStarted as e:
        pytest.fail(str(e))
    http_port, https_port = free_port(), free_port()
    upstreams = [s.url.removeprefix("http://") for s in servers]
    proxy = Nginx(deploy_site(tmp_path, http_port, https_port, upstreams), http_port)
    proxy.start(https_port)
    try:
        yield backend, f"https://{TOWN}:{https_port}", routes_to_each(proxy, https_port, upstreams), proxy, servers
    finally:
        proxy.stop()
        for server in servers:
            server.stop()
        if isinstance(backend, Sheets):
            backend.fake.stop()


class _Named:
    """A stand-in app server that answers every request with its own name (for where nginx sends whom)."""

    def __init__(self, name: str):
        import http.server
        import threading

        class Answer(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.end_headers()
                self.wfile.write(name.encode())

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Answer)
        self.address = f"127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def test_readme_s_nginx_file_on_debian_s_nginx_reaches_the_app_by_its_name_and_spreads_an_office(tmp_path):
    """The deploy file in conf.d beside Debian's enabled default site: the town's name reaches the app
    (http is sent to https; another name still gets the default site); 40 PCs of one office /24, and
    40 behind one proxy address, spread over both servers by their route cookie, and each PC stays on
    its server (ip_hash, before, sent all 40 of a /24 to one server)."""
    named = [_Named("A"), _Named("B")]
    http_port, https_port = free_port(), free_port()
    proxy = Nginx(deploy_site(tmp_path, http_port, https_port, [n.address for n in named]), http_port)
    proxy.start(https_port)
    try:
        status, headers, _ = fetch(http_port, "/kaigi?x=1", tls=False)
        assert status == 301 and headers["Location"] == f"https://{TOWN}/kaigi?x=1"
        status, _, body = fetch(http_port, tls=False, host="fileserver.example.lg.jp")
        assert status == 200 and b"Welcome to nginx" in body                    # Debian's own site, untouched
        status, headers, body = fetch(https_port)
        assert status == 200 and body in (b"A", b"B")
        assert headers["Strict-Transport-Security"] == "max-age=31536000" and headers["X-Frame-Options"] == "DENY"
        cookie = headers["Set-Cookie"]
        assert cookie.startswith("tsunagu_server=") and "Secure" in cookie and "HttpOnly" in cookie
        assert fetch(https_port, "/_stcore/metrics")[0] == 404

        def office(sources):
            """Where each new PC lands, and whether its second request (with its cookie) lands there too."""
            landed = []
            for source in sources:
                _, headers, first = fetch(https_port, source=source)
                route = headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
                _, again, second = fetch(https_port, source=source, cookie=route)
                assert second == first and "Set-Cookie" not in again            # stays, and is not told again
                landed.append(first)
            return landed

        for sources in ([f"127.0.0.{n}" for n in range(10, 50)], ["127.0.0.9"] * 40):
            landed = office(sources)
            assert 8 <= landed.count(b"A") <= 32 and landed.count(b"A") + landed.count(b"B") == 40, landed
    finally:
        proxy.stop()
        for n in named:
            n.server.shutdown()


def _database() -> str:
    """A new database of this test's own on the test run's PostgreSQL."""
    import uuid

    import psycopg
    from tests.conftest import _postgres_server
    name = "city_" + uuid.uuid4().hex[:10]
    with psycopg.connect(_postgres_server[0], autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return name


def decide(page, text: str) -> None:
    page.get_by_role("textbox", name="決定事項").fill(text)
    page.get_by_role("textbox", name="決定事項").blur()
    ready(page)


def test_the_wall_on_another_server_follows_and_two_saves_at_once_make_one_meeting_row(browser, city):  # noqa: F811
    backend, url, routes, proxy, servers = city
    operator_context, operator = open_on(browser, url, routes[0], "kyodo")
    wall_context, wall = open_on(browser, url, routes[1], "eturan")
    other_context, other = None, None
    try:
        operate(operator, url)
        wall.goto(url + "/kabe")
        wall.get_by_text("1 / 8").wait_for()
        operator.get_by_role("button", name="次へ").click()
        ready(operator)
        started = time.time()
        wall.get_by_text("2 / 8").wait_for(timeout=10_000)              # across processes, within seconds
        assert time.time() - started < 6
        upstream = [s.url.removeprefix("http://") for s in servers]
        assert proxy.routes()[routes[0]] == {upstream[0]}, proxy.log()     # the operator only on the first
        assert proxy.routes()[routes[1]] == {upstream[1]}, proxy.log()     # the wall only on the second

        # A second operator of the same meeting on the other process, at the third item:
        other_context, other = open_on(browser, url, routes[1], "admin")
        operate(other, url)
        for _ in range(2):
            other.get_by_role("button", name="次へ").click()
            ready(other)
        decide(operator, "一台目のサーバーで決めたこと")
        decide(other, "二台目のサーバーで決めたこと")
        meetings = len(backend.rows("会議"))
        operator.get_by_role("button", name="この世帯の決定を保存").click()     # both pressed at once
        other.get_by_role("button", name="この世帯の決定を保存").click()
        saved(operator, "決定を保存しました")
        saved(other, "決定を保存しました")
        rows = backend.rows("会議")
        assert len(rows) == meetings + 1                                    # one meeting, one row
        row = dict(zip(rows[0], rows[-1]))
        assert sorted(wb.per_household(row["決定事項"]).values()) == ["一台目のサーバーで決めたこと",
                                                                        "二台目のサーバーで決めたこと"]

        # A 経過記録 saved on the second server reaches the first one's page on its next rerun
        # (not after the read cache's 60 seconds: the save count is in the shared state):
        for page in (operator, other):
            page.goto(url + "/setai?id=H-004")
            page.get_by_role("heading", name="経過記録（新しい順）").wait_for()
            ready(page)
        received = []
        operator.on("websocket", lambda ws: ws.on("framereceived", lambda data: received.append(
            data if isinstance(data, bytes) else data.encode())))
        operator.reload()
        operator.get_by_role("heading", name="経過記録（新しい順）").wait_for()
        ready(operator)
        text = "二台目のサーバーで記録した電話"
        choose(other, "方法", "電話")
        other.get_by_label("内容", exact=True).fill(text)
        other.get_by_role("button", name="経過記録を保存").click()
        saved(other, "保存")
        received.clear()
        operator.mouse.click(5, 5)
        operator.keyboard.press("r")
        time.sleep(1)
        ready(operator)
        assert text.encode() in b"".join(received)
    finally:
        for context in (operator_context, wall_context, other_context):
            if context is not None:
                context.close()


# Presses of two people, one on each server, this many times (a pair on each kind of shared state):
PAIRS = 6
# Stages the pairs move H-004 between (none needs a reason; its consent is あり):
CYCLE = ("見守り", "アセスメント", "支援中", "受付")
WON, LOST = "段階を「", "この画面を開いた後に、シートで次のところが変わっています"


def test_two_presses_on_two_servers_at_once_one_lands_and_the_other_is_refused(browser, city):  # noqa: F811
    """Two people, one on each server, have H-004's 段階 form open and press 段階を保存 0–0.5 s apart,
    each time choosing another new 段階: every time exactly one is saved and the other is told what
    changed — never both (the second would silently replace the first)."""
    backend, url, routes, proxy, servers = city
    pages = [open_on(browser, url, routes[0], "kyodo"), open_on(browser, url, routes[1], "admin")]
    try:
        for _, page in pages:
            page.goto(url + "/setai?id=H-004")
            page.get_by_role("tab", name="段階を動かす").click()
            ready(page)
        for n in range(PAIRS):
            rows = backend.rows("世帯")
            stage = dict(zip(rows[0], next(r for r in rows if r[0] == "H-004")))["段階"]
            history = len(backend.rows("段階履歴"))
            wanted = [s for s in CYCLE if s != stage][:2]
            for (_, page), new in zip(pages, wanted):
                choose(page, "新しい段階", new)
            pages[0][1].get_by_role("button", name="段階を保存").click()
            time.sleep(0.5 * n / (PAIRS - 1))
            pages[1][1].get_by_role("button", name="段階を保存").click()
            deadline = time.time() + 30
            while len(backend.rows("段階履歴")) == history and time.time() < deadline:
                time.sleep(0.2)
            time.sleep(1.0)
            said = []
            for _, page in pages:
                ready(page)
                alert = page.locator('[data-testid="stAlert"]:visible').filter(has_text=re.compile(f"{WON}|{LOST}"))
                alert.first.wait_for(timeout=20_000)
                said.append(alert.first.inner_text())
            outcomes = sorted("saved" if WON in text else "refused" for text in said)
            assert outcomes == ["refused", "saved"], (n, said)
            winner = wanted[0] if WON in said[0] else wanted[1]
            rows = backend.rows("世帯")
            assert dict(zip(rows[0], next(r for r in rows if r[0] == "H-004")))["段階"] == winner, n
            moves = backend.rows("段階履歴")
            assert len(moves) == history + 1 and moves[-1][3] == winner, n          # one move, the winner's
    finally:
        for context, _ in pages:
            context.close()


@pytest.mark.parametrize("city", ["postgres+sheets"], indirect=True)
def test_a_killed_operator_server_s_meeting_goes_on_at_its_item_on_the_other(browser, city):  # noqa: F811
    """kill -9 of the operator's app server at item 3 of 8: the wall, on the other server, keeps item 3;
    nginx sends the operator's browser to the surviving server, where 会議 reopens at item 3 (not 1,
    and the wall does not jump back), and the wall follows the next 次へ."""
    backend, url, routes, proxy, servers = city
    operator_context, operator = open_on(browser, url, routes[0], "kyodo")
    wall_context, wall = open_on(browser, url, routes[1], "eturan")
    try:
        operate(operator, url)
        wall.goto(url + "/kabe")
        for _ in range(2):
            operator.get_by_role("button", name="次へ").click()
            ready(operator)
        wall.get_by_text("3 / 8").wait_for(timeout=10_000)
        servers[0].proc.kill()                                            # kill -9: no goodbye
        servers[0].proc.wait(10)
        operate(operator, url, at="3 / 8")                               # the operator opens 会議 again
        time.sleep(2)                                                     # the wall looks again meanwhile
        assert wall.get_by_text("3 / 8").is_visible() and not wall.get_by_text("1 / 8").is_visible()
        operator.get_by_role("button", name="次へ").click()
        wall.get_by_text("4 / 8").wait_for(timeout=10_000)
        assert servers[1].url.removeprefix("http://") in proxy.routes()[routes[0]]   # moved to the survivor
    finally:
        operator_context.close()
        wall_context.close()


def test_the_state_database_down_then_back_shows_no_traceback_and_comes_back_by_itself(browser, tmp_path):  # noqa: F811
    """PostgreSQL (the shared state, where the sign-in cookie key lives too) stopped in the middle of a
    meeting, then started again: the operator, the wall and the sign-in page show no traceback while
    it is down — one calm page, the wall keeping its picture — and all come back by themselves."""
    import shutil
    from bench.server import start
    from tests.conftest import SAMPLE
    from tests.servers import Postgres
    town = tmp_path / "town.xlsx"
    shutil.copy(SAMPLE, town)
    database = Postgres()
    server = start(town, TSUNAGU_STATE_URL=database.start(), TSUNAGU_COOKIE_KEY="", TSUNAGU_TODAY=TODAY.isoformat())
    pages = []
    try:
        operator_context, operator = open_window(browser, server.url, "kyodo")
        wall_context, wall = open_window(browser, server.url, "eturan")
        pages = [(operator_context, operator), (wall_context, wall)]
        operate(operator, server.url)
        wall.goto(server.url + "/kabe")
        wall.get_by_text("1 / 8").wait_for()
        database.pause()
        operator.get_by_role("button", name="次へ").click()
        operator.get_by_text("いま、つなぐボードの共有の状態に接続できません").wait_for(timeout=20_000)
        time.sleep(3 * 2)                                                # the wall looks again twice meanwhile
        signin_context, signin = open_window_unsigned(browser, server.url)
        pages.append((signin_context, signin))
        signin.get_by_text("共有の状態に接続できません").first.wait_for(timeout=20_000)
        assert wall.get_by_text("1 / 8").is_visible()                       # its last picture stays
        for _, page in pages:
            assert page.locator('[data-testid="stException"]').count() == 0
            assert "Traceback" not in page.locator("body").inner_text()
        database.resume()
        operator.get_by_text("いま、つなぐボードの共有の状態に接続できません").wait_for(state="detached", timeout=30_000)
        operator.get_by_role("button", name="次へ").wait_for(timeout=30_000)
        ready(operator)
        operator.get_by_role("button", name="次へ").click()
        wall.get_by_text(re.compile(r"[23] / 8")).wait_for(timeout=20_000)    # the wall follows again
        signin.reload()
        signin.get_by_role("button", name="サインイン").wait_for(timeout=30_000)
        for _, page in pages:
            assert page.locator('[data-testid="stException"]').count() == 0
        assert "Traceback" not in server.output()
    finally:
        for context, _ in pages:
            context.close()
        server.stop()
        database.stop()


def open_window_unsigned(browser, url):  # noqa: F811
    from tests.test_browser import window
    context, page = window(browser)
    page.goto(url)
    return context, page
