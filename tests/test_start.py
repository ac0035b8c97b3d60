"""The way in (issue 27 §4 and its 「Done when」): `python start.py` in a fresh virtual environment
starts a real town (no demo users); in Chromium a 事務局 makes the first 管理者 with the setup code
from the console, connects the town's workbook, adds a staff member and sends a test mail — no
terminal again. Then the same launcher behind Caddy (Debian's package) over https, with the
security headers, the WebSocket and the client's address."""
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

import start
from tests.conftest import ROOT, SAMPLE
from tests.test_browser import READY, browser, window  # noqa: F401 - the browser fixture
from tests.test_notify import smtp  # noqa: F401 - a local SMTP server (aiosmtpd)


@pytest.mark.parametrize("text, site, host, port", [
    ("tsunagu.town.lg.jp", "https://tsunagu.town.lg.jp:443", "tsunagu.town.lg.jp", 443),
    ("tsunagu.town.lg.jp:8443", "https://tsunagu.town.lg.jp:8443", "tsunagu.town.lg.jp", 8443),
    ("https://localhost:8443/", "https://localhost:8443", "localhost", 8443),
])
def test_the_https_name_becomes_caddys_site(text, site, host, port):
    assert start.site_address(text) == (site, host, port)
    assert start.addresses(port, host=host)[0] == f"https://{host}" + ("" if port == 443 else f":{port}")


@pytest.mark.parametrize("line, shown", [
    ('{"level":"info","ts":1.5,"msg":"server running","name":"srv0"}', None),
    ('{"level":"warn","ts":1.5,"logger":"tls","msg":"stapling OCSP","error":"no OCSP server"}', None),
    ('{"level":"error","ts":1.5,"logger":"tls.obtain","msg":"could not get certificate","error":"timeout"}',
     "Caddy（https）のエラー: could not get certificate（timeout）"),
    ('{"level":"fatal","ts":1.5,"msg":"listen tcp :443: bind: permission denied"}',
     "Caddy（https）のエラー: listen tcp :443: bind: permission denied"),
    ("Error: adapting config using caddyfile: Caddyfile:12 - unrecognized directive\n",
     "Error: adapting config using caddyfile: Caddyfile:12 - unrecognized directive"),
    ("\n", None),
])
def test_the_console_shows_caddys_errors_and_nothing_else_of_its_log(line, shown):
    assert start.caddy_line(line) == shown


def test_the_windows_batch_file_and_the_systemd_unit_call_the_launcher():
    bat = (ROOT / "start_tsunagu.bat").read_bytes()
    assert b"\r\n" in bat and b"\n" not in bat.replace(b"\r\n", b"")          # CRLF for cmd.exe
    assert b'cd /d "%~dp0"' in bat and b"py -3 start.py %*" in bat
    unit = (ROOT / "deploy" / "tsunagu.service").read_text(encoding="utf-8")
    starts = [line.split("=", 1)[1] for line in unit.splitlines() if line.lstrip("# ").startswith("ExecStart=")]
    assert len(starts) == 2
    for command in starts:
        python, script, *flags = command.split()
        assert script.endswith("/start.py")
        parser_flags = {a for a in re.findall(r'"(--[a-z-]+)"', (ROOT / "start.py").read_text(encoding="utf-8"))}
        assert set(f for f in flags if f.startswith("--")) <= parser_flags
    assert "UMask=0077" in unit and "User=tsunagu" in unit


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Launched:
    """`python start.py …` in its own process group, its console collected in a file."""

    def __init__(self, tmp_path: Path, *flags: str, **env):
        self.port = free_port()
        self.log_path = tmp_path / "console.txt"
        self.log = open(self.log_path, "wb")
        clean = {k: v for k, v in os.environ.items() if not k.startswith("TSUNAGU_")}
        clean.update(env)
        self.proc = subprocess.Popen([sys.executable, str(ROOT / "start.py"), "--venv", str(tmp_path / "venv"),
                                      "--system-site-packages", "--port", str(self.port), *flags],
                                     stdout=self.log, stderr=subprocess.STDOUT, env=clean, cwd=tmp_path,
                                     start_new_session=True)

    def console(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_for(self, pattern: str, seconds: float = 240) -> re.Match:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if found := re.search(pattern, self.console()):
                return found
            if self.proc.poll() is not None:
                break
            time.sleep(0.5)
        pytest.fail(f"the launcher never printed {pattern!r}:\n{self.console()[-3000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, 15)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
        self.log.close()


@pytest.fixture
def town(tmp_path):
    """An office PC's folder: nothing yet in the state folder; the town's workbook on the share."""
    share = tmp_path / "share"
    share.mkdir()
    workbook = share / "みどり町_つなぐボード.xlsx"
    shutil.copy(SAMPLE, workbook)
    return tmp_path, workbook


def ready(page):
    time.sleep(0.3)
    page.wait_for_selector(READY)


def alert(page, words):
    page.locator('[data-testid="stAlert"]:visible').filter(has_text=words).first.wait_for()
    ready(page)


def form(page, key):
    return page.locator('[data-testid="stForm"]:visible').filter(has=page.get_by_role("button", name=key))


def first_admin(page, url: str, code: str) -> None:
    """The setup page with the code from the console: the first 管理者 (morita), signed in."""
    page.goto(url)
    page.get_by_role("heading", name="つなぐボードの初期設定").wait_for()
    page.get_by_label("初期設定コード（例: 1234-5678）").fill(code)
    page.get_by_label("管理者のユーザー名（半角英数字）").fill("morita")
    page.get_by_label("管理者の名前（例: 森田（福祉課））").fill("森田（福祉課）")
    page.get_by_label("パスワード（10文字以上）").fill("morita-password-1")
    page.get_by_label("パスワード（もう一度）").fill("morita-password-1")
    page.get_by_role("button", name="最初の管理者を作る").click()
    page.get_by_text("サインイン中: 森田（福祉課）").wait_for()
    ready(page)


def test_a_jimukyoku_starts_the_town_from_a_fresh_clone_without_a_terminal(town, browser, smtp):  # noqa: F811
    folder, workbook = town
    state = folder / "state"
    launched = Launched(folder, TSUNAGU_STATE_DIR=str(state), TSUNAGU_AUDIT_DIR=str(folder / "audit"),
                        TSUNAGU_TODAY="2026-11-24")
    try:
        launched.wait_for("起動しました")
        console = launched.console()
        assert (folder / "venv" / start.STAMP).read_text().strip() == start.requirements_hash()
        url = re.search(r"(http://localhost:\d+)", console.split("起動しました")[1]).group(1)
        code = re.search(r"初期設定コード: (\d{4}-\d{4})", console).group(1)
        assert (state / "setup_code.json").stat().st_mode & 0o777 == 0o600

        context, page = window(browser)
        # 1. The setup code from the console makes the first 管理者 (no demo users exist):
        first_admin(page, url, code)

        # 2. 管理 → 設定: the workbook's place, checked, then saved:
        page.goto(f"{url}/kanri")
        page.get_by_role("heading", name="設定").wait_for()
        ready(page)
        page.get_by_role("textbox", name="ワークブックの場所", exact=True).fill(str(workbook))
        page.get_by_role("button", name="接続を確かめる").click()
        alert(page, "読めました")
        assert "世帯 60件" in page.locator('[data-testid="stAlert"]:visible').filter(has_text="読めました").inner_text()
        form(page, "接続を確かめる").get_by_role("button", name="保存する").click()
        alert(page, "保存しました")
        page.get_by_text(f"データ: Excel: {workbook.name}").wait_for()
        assert json.loads((state / "settings.json").read_text())["workbook"] == str(workbook)

        # 3. A staff member with a temporary password, 所属機関 from the town's 機関 tab:
        page.get_by_label("ユーザー名（半角英数字。例: tanaka）").fill("sato")
        page.get_by_label("名前（例: 田中（包括））").fill("佐藤（包括）")
        page.locator('[data-testid="stSelectbox"]:visible').filter(has_text="役割").first.click()
        page.get_by_role("option", name="機関職員", exact=True).click()
        page.locator('[data-testid="stSelectbox"]:visible').filter(has_text="所属機関").first.click()
        page.get_by_role("option", name="地域包括支援センター", exact=True).click()
        page.get_by_role("button", name="追加する").click()
        alert(page, "仮のパスワード")
        temporary = re.search(r"仮のパスワード.*: (\S+)", page.locator('[data-testid="stAlert"]:visible')
                              .filter(has_text="仮のパスワード").inner_text()).group(1)

        # 4. Mail: a test mail with the values on screen, then saved:
        mail = form(page, "テストメールを送る")
        mail.get_by_role("textbox", name="メールサーバー", exact=True).fill("127.0.0.1")
        mail.get_by_role("textbox", name="ポート", exact=True).fill(str(smtp.port))
        mail.get_by_text("STARTTLS で暗号化").click()
        mail.get_by_role("textbox", name="差出人のアドレス", exact=True).fill("tsunagu@midori.example.lg.jp")
        mail.get_by_role("textbox", name="テストメールの宛先", exact=True).fill("morita@midori.example.lg.jp")
        mail.get_by_role("button", name="テストメールを送る").click()
        alert(page, "テストメールを送りました")
        assert smtp.messages[-1]["To"] == "morita@midori.example.lg.jp"
        form(page, "テストメールを送る").get_by_role("button", name="保存する").click()
        alert(page, "メールの設定を保存しました")
        saved = json.loads((state / "settings.json").read_text())
        assert saved["smtp_host"] == "127.0.0.1" and saved["smtp_starttls"] == "off"
        assert (state / "settings.json").stat().st_mode & 0o777 == 0o600
        context.close()

        # The staff member signs in with the temporary password and must choose their own:
        context, page = window(browser)
        page.goto(url)
        ready(page)
        page.get_by_label("ユーザー名").first.fill("sato")
        page.get_by_label("パスワード").first.fill(temporary)
        page.get_by_role("button", name="サインイン").click()
        page.get_by_role("heading", name="パスワードを変える").wait_for()
        context.close()

        log = "".join(p.read_text(encoding="utf-8") for p in sorted((folder / "audit").glob("*.jsonl")))
        assert all(event in log for event in ('"setup"', '"settings_changed"', '"user_changed"', '"test_mail"'))
        assert "morita-password-1" not in log and temporary not in log
    finally:
        launched.stop()
    assert "Traceback" not in launched.console()


def test_behind_caddy_over_https_with_the_headers_and_the_websocket(tmp_path, browser):  # noqa: F811
    if shutil.which("caddy") is None:
        pytest.fail("Caddy is missing: `make test` installs Debian's package caddy (target proxy)")
    https_port, http_port = free_port(), free_port()
    data = tmp_path / "caddy-data"
    launched = Launched(tmp_path, "--https", f"https://localhost:{https_port}", "--http-port", str(http_port),
                        TSUNAGU_STATE_DIR=str(tmp_path / "state"), TSUNAGU_AUDIT_DIR=str(tmp_path / "audit"),
                        XDG_DATA_HOME=str(data), XDG_CONFIG_HOME=str(tmp_path / "caddy-config"), HOME=str(tmp_path))
    try:
        launched.wait_for("起動しました")
        assert f"https://localhost:{https_port}" in launched.console().split("起動しました")[1]
        root = data / "caddy" / "pki" / "authorities" / "local" / "root.crt"
        trust = ssl.create_default_context(cafile=str(root))
        site = f"https://localhost:{https_port}"
        for _ in range(60):                                                  # Caddy's certificate may come a moment later
            try:
                answer = urllib.request.urlopen(f"{site}/", context=trust, timeout=5)
                break
            except OSError:
                time.sleep(0.5)
        assert answer.status == 200
        headers = answer.headers
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Content-Security-Policy"] == "frame-ancestors 'none'"
        assert headers["Strict-Transport-Security"].startswith("max-age=")
        assert headers["X-Content-Type-Options"] == "nosniff"
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{site}/_stcore/metrics", context=trust, timeout=5)
        assert refused.value.code == 404
        assert listening(launched.port) == {"127.0.0.1"}                      # the app: this machine only
        # http is sent to https:
        plain = urllib.request.Request(f"http://localhost:{http_port}/", method="GET")
        opener = urllib.request.build_opener(type("NoRedirect", (urllib.request.HTTPRedirectHandler,),
                                                  {"redirect_request": lambda *a, **k: None}))
        with pytest.raises(urllib.error.HTTPError) as moved:
            opener.open(plain, timeout=5)
        assert moved.value.code in (301, 308) and moved.value.headers["Location"].startswith("https://localhost")

        # In Chromium (the page's WebSocket through Caddy), a sign-in attempt claiming another address:
        context, page = window(browser, ignore_https_errors=True, extra_http_headers={"X-Forwarded-For": "203.0.113.77"})
        page.goto(site)
        page.get_by_role("heading", name="つなぐボードの初期設定").wait_for()
        ready(page)
        page.get_by_label("初期設定コード（例: 1234-5678）").fill("0000-0000")
        page.get_by_label("管理者のユーザー名（半角英数字）").fill("morita")
        page.get_by_label("管理者の名前（例: 森田（福祉課））").fill("森田")
        page.get_by_label("パスワード（10文字以上）").fill("morita-password-1")
        page.get_by_label("パスワード（もう一度）").fill("morita-password-1")
        page.get_by_role("button", name="最初の管理者を作る").click()
        alert(page, "初期設定コードが違うか")
        context.close()
        lines = [json.loads(line) for p in (tmp_path / "audit").glob("*.jsonl") for line in p.read_text().splitlines()]
        refused_lines = [line for line in lines if line["event"] == "setup_refused"]
        # The browser's own address as Caddy saw it (localhost: IPv4 or IPv6), never the one it claimed:
        assert refused_lines and {line.get("address") for line in refused_lines} <= {"127.0.0.1", "::1"}
    finally:
        launched.stop()
    console = launched.console()                  # Caddy's JSON notes and warnings stay out of the console
    assert '{"level"' not in console and "Traceback" not in console and "header_up" not in console, console


def listening(port: int) -> set[str]:
    """The local addresses a TCP port is listened on (from /proc/net/tcp and tcp6)."""
    import ipaddress
    found = set()
    for table, size in (("/proc/net/tcp", 4), ("/proc/net/tcp6", 16)):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:       # LISTEN
                raw = bytes.fromhex(address)
                # (the kernel writes each 32-bit word in host order)
                raw = b"".join(raw[i:i + 4][::-1] for i in range(0, size, 4))
                found.add(str(ipaddress.ip_address(raw)))
    return found


def test_the_console_says_only_what_matters_through_setup_admin_a_meeting_a_refused_download_and_an_outage(
        tmp_path, browser):  # noqa: F811
    """What the 事務局 is told to watch: `start.py` on a town whose shared state is PostgreSQL, through
    the first 管理者, 管理, a meeting, a download refused because its sign-in ended in another tab, and
    the database stopped and started again. The console has start.py's own lines and the refusal's one
    plain line — no traceback, no warning, no line of Streamlit's."""
    from tests.servers import Postgres
    from tests.test_browser_meeting import operate
    share = tmp_path / "share"
    share.mkdir()
    workbook = share / "みどり町_つなぐボード.xlsx"
    shutil.copy(SAMPLE, workbook)
    database = Postgres()
    launched = Launched(tmp_path, TSUNAGU_STATE_URL=database.start(), TSUNAGU_WORKBOOK=str(workbook),
                        TSUNAGU_AUDIT_DIR=str(tmp_path / "audit"), TSUNAGU_TODAY="2026-11-24")
    try:
        launched.wait_for("起動しました")
        url = re.search(r"(http://localhost:\d+)", launched.console().split("起動しました")[1]).group(1)
        code = re.search(r"初期設定コード: (\d{4}-\d{4})", launched.console()).group(1)
        started = len(launched.console().splitlines())
        context, page = window(browser, accept_downloads=True)
        first_admin(page, url, code)
        page.goto(f"{url}/kanri")                                            # 管理, first time
        page.get_by_role("heading", name="設定").wait_for()
        ready(page)
        operate(page, url)                                                   # a meeting: 1 / 8 → 2 / 8
        page.get_by_role("button", name="次へ").click()
        page.get_by_text("2 / 8").wait_for()
        ready(page)

        # A download drawn in one tab, the sign-in ended (サインアウト) in another tab, then pressed:
        page.goto(f"{url}/kanri")
        ready(page)
        download = page.get_by_role("button", name="監査ログを Excel でダウンロード")
        download.wait_for()
        other = context.new_page()
        other.goto(url)
        other.get_by_text("サインイン中: 森田（福祉課）").wait_for()
        ready(other)
        other.get_by_role("button", name="サインアウト").click()
        other.get_by_label("ユーザー名").first.wait_for()
        with pytest.raises(Exception, match="Timeout"):
            with page.expect_download(timeout=6_000):
                download.click()

        # The database stopped, a page opened meanwhile, the database back:
        database.pause()
        other.reload()
        other.get_by_text("共有の状態に接続できません").first.wait_for(timeout=30_000)
        time.sleep(6)
        database.resume()
        other.get_by_role("button", name="サインイン").wait_for(timeout=30_000)
        context.close()
    finally:
        launched.stop()
        database.stop()
    after = launched.console().splitlines()[started:]
    said = [re.sub(r"^[\d-]+ [\d:.]+ |\d+月\d+日 [\d:]+ ", "", line) for line in after if line.strip()]   # (times)
    expected = ("つなぐボード: サインインが終わっているため、ダウンロードできません（監査ログ_",   # the refusal, one plain line
                "つなぐボード: 共有の状態に接続できません（共有の状態（PostgreSQL",            # the outage: why, on one line
                "つなぐボード: 共有の状態に、また接続できました。")                              # and that it is over
    assert [next((e for e in expected if line.startswith(e)), line) for line in said] == list(expected), launched.console()
