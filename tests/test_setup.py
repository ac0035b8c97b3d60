"""A real town's first start: a one-time setup code (console and state folder, 0600) makes the first
管理者; wrong codes are refused and throttled like sign-in; the code works once and expires; a
cookie key is generated (0600) when none is set; no default password exists outside the demo."""
import datetime as dt
import shutil
import stat

import pytest
from streamlit.testing.v1 import AppTest

from lib.access import audit, sessions, setup, users
from tests.conftest import SAMPLE
from tests.test_pages import APP

NOW = dt.datetime(2026, 12, 1, 9, 0)


def test_the_code_works_until_it_expires_and_once(tmp_path):
    made, expires, new = setup.code(tmp_path, NOW)
    assert new and expires == NOW + dt.timedelta(hours=setup.CODE_HOURS) and len(made) == 9
    assert setup.code(tmp_path, NOW + dt.timedelta(hours=1))[:2] == (made, expires)      # the same until it expires
    assert stat.S_IMODE((tmp_path / setup.CODE_FILE).stat().st_mode) == 0o600
    assert setup.check(tmp_path, made, NOW) and setup.check(tmp_path, made.replace("-", ""), NOW)
    assert not setup.check(tmp_path, "0000-0000" if made != "0000-0000" else "1111-1111", NOW)
    assert not setup.check(tmp_path, made, expires)                                       # expired
    setup.used(tmp_path)
    assert not setup.check(tmp_path, made, NOW)                                           # used
    again, _, new = setup.code(tmp_path, NOW)
    assert new and again                                                                  # a restart makes a new one


@pytest.fixture
def fresh_town(tmp_path, monkeypatch, signed_in_setup):
    """A real town's first start: its own workbook, no users file, no cookie key, an empty state folder."""
    shutil.copy(SAMPLE, tmp_path / "town.xlsx")
    monkeypatch.setenv("TSUNAGU_WORKBOOK", str(tmp_path / "town.xlsx"))
    monkeypatch.delenv("TSUNAGU_USERS_FILE", raising=False)
    monkeypatch.delenv("TSUNAGU_COOKIE_KEY", raising=False)
    return signed_in_setup                      # the state folder (the audit folder)


def fill(at, code, username="morita", password="first-admin-pass"):
    fields = {t.label: t for t in at.text_input}
    fields["初期設定コード（例: 1234-5678）"].input(code)
    fields["管理者のユーザー名（半角英数字）"].input(username)
    fields["管理者の名前（例: 森田（福祉課））"].input("森田（福祉課）")
    fields["パスワード（10文字以上）"].input(password)
    fields["パスワード（もう一度）"].input(password)
    next(b for b in at.button if b.label == "最初の管理者を作る").click()
    return at.run()


def test_the_first_admin_is_made_with_the_code_once(fresh_town):
    state = fresh_town
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert at.title[0].value == "つなぐボードの初期設定" and not at.metric
    code = setup.code(state, dt.datetime.now())[0]
    fill(at, "0000-0000" if code != "0000-0000" else "1111-1111")
    assert any("初期設定コードが違うか" in e.value for e in at.error)
    assert not (state / users.STATE_USERS_FILE).exists()
    at = fill(at, code)
    assert not at.exception, at.exception
    assert any(c.value.startswith("サインイン中: 森田（福祉課）（管理者）") for c in at.sidebar.caption)
    made = state / users.STATE_USERS_FILE
    assert users.user(users.load(made), "morita").role == users.ADMIN
    assert stat.S_IMODE(made.stat().st_mode) == 0o600
    assert stat.S_IMODE((state / setup.KEY_FILE).stat().st_mode) == 0o600
    assert not setup.check(state, code, dt.datetime.now())                               # used
    second = AppTest.from_file(APP, default_timeout=60).run()
    assert second.title[0].value == "つなぐボード" and "初期設定コード（例: 1234-5678）" not in [t.label for t in second.text_input]
    assert {"ユーザー名", "パスワード"} <= {t.label for t in second.text_input}            # the sign-in form now
    events = list(audit.read(state)["event"])
    assert events.count("setup_refused") == 1 and events.count("setup") == 1
    assert "first-admin-pass" not in (state / users.STATE_USERS_FILE).read_text()


def test_wrong_codes_are_throttled_like_sign_in(fresh_town):
    state = fresh_town
    at = AppTest.from_file(APP, default_timeout=60).run()
    code = setup.code(state, dt.datetime.now())[0]
    wrong = "0000-0000" if code != "0000-0000" else "1111-1111"
    for _ in range(sessions.FREE_ATTEMPTS):
        at = fill(at, wrong)
    at = fill(at, code)                                                   # the right one, while held
    assert any("しばらく試せません" in e.value for e in at.error)
    assert not (state / users.STATE_USERS_FILE).exists()


def test_the_demo_needs_no_setup(monkeypatch):
    monkeypatch.delenv("TSUNAGU_USERS_FILE", raising=False)
    monkeypatch.delenv("TSUNAGU_WORKBOOK", raising=False)
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert at.title[0].value == "つなぐボード" and "初期設定コード（例: 1234-5678）" not in [t.label for t in at.text_input]
