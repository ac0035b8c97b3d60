"""Probing the app as an attacker would, in real Chromium against `streamlit run serve.py`: a held
sign-in hands out nothing, a forged X-Forwarded-For changes nothing, sign-out ends the sign-in
everywhere, a disabled user's open wall and download buttons stop, sheet text never becomes a link,
and the server's own endpoints stay closed."""
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from tests.conftest import DEMO_PASSWORDS, ROOT, SAMPLE, TEST_COOKIE_KEY
from tests.test_browser import browser, serve, sign_in, wait_ready, window  # noqa: F401 — the browser fixture

COOKIE = "tsunagu_board_auth"
# A signed sign-in token (JWT) anywhere in what the server sent:
TOKEN = re.compile(rb"eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
# 表示名 a 機関職員 could type through 相談受付, each of which markdown would have made a link:
LINKY = {"H-001": "https://evil.example/login", "H-002": "www.evil.example", "H-003": "help@evil.example"}


@pytest.fixture(scope="module")
def town(tmp_path_factory):
    """The sample town (three households named like links) with its own users file, audit and
    state folders, served as a real town (not the demo)."""
    from openpyxl import load_workbook
    from lib.access.users import DEMO_USERS_FILE
    folder = tmp_path_factory.mktemp("probe")
    book = load_workbook(SAMPLE)
    sheet = book["世帯"]
    header = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        name = LINKY.get(row[header.index("世帯ID")].value)
        if name:
            row[header.index("表示名")].value = name
    book.save(folder / "town.xlsx")
    shutil.copy(DEMO_USERS_FILE, folder / "users.yaml")
    for url in serve(folder / "town.xlsx", TSUNAGU_USERS_FILE=str(folder / "users.yaml"),
                     TSUNAGU_AUDIT_DIR=str(folder / "audit"), TSUNAGU_STATE_DIR=str(folder / "state"),
                     TSUNAGU_TODAY="2026-11-24"):
        yield url, folder


def listen(page) -> list[bytes]:
    """Every WebSocket frame the page receives from now on."""
    frames = []
    page.on("websocket", lambda ws: ws.on("framereceived",
                                          lambda p: frames.append(p if isinstance(p, bytes) else p.encode())))
    return frames


def submit(page, frames, username: str, password: str) -> None:
    """Type into the sign-in form and press サインイン; return once the server has answered."""
    page.get_by_label("ユーザー名").fill(username)
    page.get_by_label("パスワード").fill(password)
    before = len(frames)
    page.get_by_role("button", name="サインイン").click()
    deadline = time.time() + 20
    while len(frames) == before and time.time() < deadline:
        page.wait_for_timeout(50)
    wait_ready(page)


def events(folder, user: str) -> list[dict]:
    from lib.access import audit
    log = audit.read(folder / "audit")
    return log[log["user"] == user].to_dict("records")


def users_command(folder, *args) -> None:
    done = subprocess.run([sys.executable, "-m", "lib.access.users", "--file", str(folder / "users.yaml"), *args],
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_a_held_sign_in_hands_out_nothing_and_a_forged_address_changes_nothing(browser, town):
    from lib.access.sessions import FREE_ATTEMPTS
    url, folder = town
    context, page = window(browser)
    frames = listen(page)
    try:
        page.goto(url)
        wait_ready(page)
        for _ in range(FREE_ATTEMPTS + 2):
            submit(page, frames, "kyotaku", "wrong-password-x")
        answers = []
        for password in (DEMO_PASSWORDS["kyotaku"], "wrong-password-y"):   # held: the right one, then a wrong one
            frames.clear()
            submit(page, frames, "kyotaku", password)
            assert TOKEN.findall(b"".join(frames)) == [], "a sign-in token was sent while the user was held back"
            answers.append(re.sub(r"\d+", "N", page.locator('[data-testid="stAlert"]').last.inner_text()))
        assert answers[0] == answers[1] and "しばらくサインインできません" in answers[0]
        assert [c for c in context.cookies() if c["name"] == COOKIE] == []
        assert "サインイン中:" not in page.locator("body").inner_text()

        # The same right password from this machine, claiming to be elsewhere: still held.
        forged = browser.new_context(locale="ja-JP", extra_http_headers={"X-Forwarded-For": "203.0.113.77"})
        other = forged.new_page()
        other.set_default_timeout(30_000)
        other_frames = listen(other)
        other.goto(url)
        wait_ready(other)
        submit(other, other_frames, "kyotaku", DEMO_PASSWORDS["kyotaku"])
        other.get_by_text("しばらくサインインできません").wait_for()
        assert TOKEN.findall(b"".join(other_frames)) == []
        assert "サインイン中:" not in other.locator("body").inner_text()
        forged.close()
    finally:
        context.close()
    logged = events(folder, "kyotaku")
    assert {e["event"] for e in logged} == {"sign_in_failed", "sign_in_throttled"}
    assert {e["address"] for e in logged} == {"127.0.0.1"}          # never the address the request claimed


def test_sign_out_ends_the_sign_in_in_every_tab_and_for_a_copied_cookie(browser, town):
    url, folder = town
    context, page = window(browser)
    try:
        sign_in(page, url, "kyodo")                                  # the form: the page opened without a cookie
        token = next(c for c in context.cookies() if c["name"] == COOKIE)
        second = context.new_page()                                   # a second tab signs in with the cookie
        second.set_default_timeout(30_000)
        second.goto(url + "/case-board")
        second.get_by_text("サインイン中:").wait_for()
        wait_ready(second)
        page.get_by_role("button", name="サインアウト").click()
        page.get_by_label("ユーザー名").first.wait_for()
        thief = browser.new_context(locale="ja-JP")                # the cookie copied before the sign-out
        thief.add_cookies([{k: token[k] for k in ("name", "value", "domain", "path")}])
        stolen = thief.new_page()
        stolen.goto(url + "/case-board")
        wait_ready(stolen)
        stolen.wait_for_function("() => document.body.innerText.includes('サインイン中:') || "
                                 "document.body.innerText.includes('ユーザー名')")
        assert "サインイン中:" not in stolen.locator("body").inner_text(), "a copied cookie still signs in"
        stolen.get_by_label("ユーザー名").first.wait_for(timeout=30_000)
        thief.close()
        second.get_by_role("button", name="最新の情報に更新").click()   # the other tab's next move
        second.get_by_label("ユーザー名").first.wait_for(timeout=15_000)
        assert "サインイン中:" not in second.locator("body").inner_text()
        second.get_by_text("このサインインは終わりました").wait_for()
    finally:
        context.close()
    logged = [e["event"] for e in events(folder, "kyodo")]
    assert logged[:3] == ["sign_in", "sign_in_cookie", "sign_out"] and "session_ended" in logged


def test_a_disabled_user_loses_the_open_wall_and_the_download_on_screen(browser, town):
    url, folder = town
    wall_context = browser.new_context(locale="ja-JP", viewport={"width": 1400, "height": 900})
    staff_context = browser.new_context(locale="ja-JP", viewport={"width": 1400, "height": 900}, accept_downloads=True)
    try:
        wall = wall_context.new_page()
        wall.set_default_timeout(30_000)
        sign_in(wall, url, "eturan")
        wall.goto(url + "/kabe")
        wall.get_by_text("いま進行中の会議はありません").wait_for()
        staff = staff_context.new_page()
        staff.set_default_timeout(30_000)
        sign_in(staff, url, "houkatsu")
        staff.goto(url + "/shinchoku")
        wait_ready(staff)
        button = staff.get_by_role("button", name="この一覧を Excel でダウンロード")
        button.wait_for()
        users_command(folder, "disable", "eturan")
        users_command(folder, "disable", "houkatsu")
        # Nobody touches the wall: its own 2-second look ends it.
        wall.get_by_label("ユーザー名").first.wait_for(timeout=15_000)
        assert "サインイン中:" not in wall.locator("body").inner_text()
        with pytest.raises(Exception, match="Timeout"):
            with staff.expect_download(timeout=6_000):
                button.click()
    finally:
        wall_context.close()
        staff_context.close()
        users_command(folder, "enable", "eturan")
        users_command(folder, "enable", "houkatsu")
    staff_events = [e["event"] for e in events(folder, "houkatsu")]
    assert "download_refused" in staff_events and "download" not in staff_events
    from tests.test_browser import SERVED                      # the console: one plain line, no traceback
    console = SERVED[url].output()
    assert "Traceback" not in console and "サインインが終わっているため、ダウンロードできません" in console
    assert "session_ended" in [e["event"] for e in events(folder, "eturan")]


def test_sheet_text_never_becomes_a_link(browser, town):
    url, _ = town
    context, page = window(browser)
    links = 'a[href*="evil.example"], a[href^="mailto:"]'
    try:
        sign_in(page, url, "admin")
        for household, name in LINKY.items():
            page.goto(f"{url}/setai?id={household}")
            wait_ready(page)
            heading = page.locator("h1").first
            heading.wait_for()
            assert heading.inner_text().replace("\u2060", "").strip() == name
            assert page.locator(links).count() == 0, household
        page.goto(url + "/case-board")
        wait_ready(page)
        for column in page.get_by_role("button", name="さらに表示").all():
            column.click()
            wait_ready(page)
        page.get_by_text("help", exact=False).first.wait_for()
        assert page.locator(links).count() == 0
    finally:
        context.close()


def test_the_servers_own_endpoints_stay_closed(town):
    url, _ = town
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{url}/_stcore/metrics", timeout=5)
    assert refused.value.code == 404
    assert urllib.request.urlopen(f"{url}/_stcore/health", timeout=5).status == 200


def test_state_files_of_a_real_server_are_private(town):
    import stat
    _, folder = town
    for path in (folder / "state", folder / "audit"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o700, path
    for path in [*(folder / "state").glob("*.json"), *(folder / "audit").glob("*.jsonl")]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_forged_cookie_with_the_right_key_for_a_signed_out_token_is_refused_too(browser, town):
    """A token made with the town's key but then signed out stays refused (by fingerprint)."""
    import jwt
    url, _ = town
    token = jwt.encode({"username": "admin", "exp_date": time.time() + 3600, "jti": "x"}, TEST_COOKIE_KEY,
                       algorithm="HS256")
    context = browser.new_context(locale="ja-JP")
    context.add_cookies([{"name": COOKIE, "value": token, "url": url}])
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        page.goto(url + "/top")
        page.get_by_text("サインイン中:").wait_for()                  # the key is the town's: it signs in
        page.get_by_role("button", name="サインアウト").click()
        page.get_by_label("ユーザー名").first.wait_for()
    finally:
        context.close()
    again = browser.new_context(locale="ja-JP")
    again.add_cookies([{"name": COOKIE, "value": token, "url": url}])
    page = again.new_page()
    try:
        page.goto(url + "/top")
        wait_ready(page)
        page.get_by_label("ユーザー名").first.wait_for(timeout=30_000)
        assert "サインイン中:" not in page.locator("body").inner_text()
    finally:
        again.close()
