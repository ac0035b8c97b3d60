"""A streamlit-authenticator 0.4 config.yaml taken whole (lib.access.stauth): names from first_name /
last_name, unknown roles asked for and never dropped in silence, its cookie section set aside with a
note — from the command line and on the 管理 screen — and then its users sign in with their old
passwords."""
import subprocess
import sys

import pytest
import yaml

from lib.access import stauth, users
from tests.conftest import DEMO_PASSWORDS, ROOT
from tests.test_pages import open_page, sign_in
from tests.test_user_forms import users_file  # noqa: F401 - the fixture

# Three users as streamlit-authenticator 0.4 writes them: a hashed password (the demo admin's), a
# plain-text one it would have hashed on its own, an unknown role (viewer), an email, its bookkeeping:
CONFIG = {
    "cookie": {"expiry_days": 30, "key": "some_signature_key", "name": "some_cookie_name"},
    "credentials": {"usernames": {
        "jsmith": {"email": "jsmith@example.com", "failed_login_attempts": 0, "first_name": "John", "last_name": "Smith",
                   "logged_in": False, "password": None, "roles": ["管理者"]},
        "rbriggs": {"email": "rbriggs@example.com", "first_name": "Rebecca", "last_name": "Briggs",
                    "password": "old-plain-password", "roles": ["viewer"]},
        "tanaka": {"first_name": "太郎", "last_name": "田中", "password": None, "roles": ["editor"],
                   "agency": "地域包括支援センター"}}},
    "pre-authorized": {"emails": ["melsby@example.com"]},
}


@pytest.fixture
def config_file(tmp_path):
    demo = users.load(users.DEMO_USERS_FILE)["credentials"]["usernames"]
    data = yaml.safe_load(yaml.safe_dump(CONFIG))
    data["credentials"]["usernames"]["jsmith"]["password"] = demo["admin"]["password"]       # tsunagu-admin-demo
    data["credentials"]["usernames"]["tanaka"]["password"] = demo["kyodo"]["password"]       # tsunagu-kyodo-demo
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize("entry, order, name", [
    ({"first_name": "John", "last_name": "Smith"}, stauth.FAMILY_FIRST, "Smith John"),
    ({"first_name": "John", "last_name": "Smith"}, stauth.GIVEN_FIRST, "John Smith"),
    ({"first_name": "太郎", "last_name": "田中"}, stauth.FAMILY_FIRST, "田中 太郎"),
    ({"last_name": "Smith"}, stauth.FAMILY_FIRST, "Smith"),
    ({"name": "John Smith"}, stauth.FAMILY_FIRST, "John Smith"),          # before 0.4: one name
    ({}, stauth.FAMILY_FIRST, ""),
])
def test_the_name_is_made_from_first_and_last_name(entry, order, name):
    assert stauth.name_of(entry, order) == name


def test_the_plan_says_what_each_user_becomes_and_what_is_not_taken(config_file):
    existing = {"credentials": {"usernames": {"tanaka": {"name": "既存", "password": "x", "roles": ["閲覧"]}}}}
    p = stauth.plan(yaml.safe_load(config_file.read_text(encoding="utf-8")), existing, ["地域包括支援センター"])
    assert any(line.startswith("cookie:") and "状態フォルダ" in line for line in p.said)
    assert any(line.startswith("pre-authorized:") for line in p.said)
    assert p.unknown_roles == ["viewer"]                  # editor's only user is not taken: already there
    rows = {r["ユーザー名"]: r for r in stauth.outcome(p, {}, {})}
    assert rows["jsmith"]["役割"] == "管理者" and "logged_in・failed_login_attempts は使いません" in rows["jsmith"]["メモ"]
    assert rows["rbriggs"]["役割"] == "（未定）" and "暗号化" in rows["rbriggs"]["メモ"]
    assert rows["tanaka"]["取り込む"] == "しない" and "もういます" in rows["tanaka"]["メモ"]
    with pytest.raises(users.UserChangeRefused, match="rbriggs: 役割を選んでください"):
        stauth.apply(existing, p, {}, {})
    assert set(existing["credentials"]["usernames"]) == {"tanaka"}              # nothing added
    stauth.apply(existing, p, {"viewer": users.VIEWER}, {})
    assert set(existing["credentials"]["usernames"]) == {"tanaka", "jsmith", "rbriggs"}
    assert existing["credentials"]["usernames"]["tanaka"]["name"] == "既存"       # ours kept


def test_a_user_left_out_is_said_and_a_username_taken_meanwhile_refuses_the_whole_import(config_file):
    empty = {"credentials": {"usernames": {}}}
    p = stauth.plan(yaml.safe_load(config_file.read_text(encoding="utf-8")), empty, [])
    rows = {r["ユーザー名"]: r for r in stauth.outcome(p, {"viewer": stauth.LEAVE_OUT, "editor": users.STAFF}, {})}
    assert rows["rbriggs"]["取り込む"] == "しない"
    meanwhile = {"credentials": {"usernames": {"jsmith": {"name": "別の人", "password": "x", "roles": ["閲覧"]}}}}
    with pytest.raises(users.UserChangeRefused, match="jsmith は、この画面を開いた後に"):
        stauth.apply(meanwhile, p, {"viewer": stauth.LEAVE_OUT, "editor": users.STAFF}, {})
    assert meanwhile["credentials"]["usernames"]["jsmith"]["name"] == "別の人"


def test_not_a_streamlit_authenticator_file_is_refused():
    with pytest.raises(users.UserChangeRefused, match="credentials: usernames:"):
        stauth.plan({"users": ["a"]}, {"credentials": {"usernames": {}}}, [])


def run(*args, stdin=""):
    return subprocess.run([sys.executable, "-m", "lib.access.users", *args], cwd=ROOT, capture_output=True, text=True,
                          input=stdin, timeout=120)


def test_from_the_command_line_then_they_sign_in_with_their_old_passwords(config_file, tmp_path, monkeypatch):
    target = tmp_path / "users.yaml"
    undecided = run("--file", str(target), "import", str(config_file))
    assert undecided.returncode == 1 and '--role "viewer=閲覧"' in undecided.stdout and not target.exists()
    assert "rbriggs\tBriggs Rebecca\tviewer → （未定）" in undecided.stdout
    unconfirmed = run("--file", str(target), "import", str(config_file), "--role", "viewer=閲覧", "--role", "editor=多機関協働")
    assert unconfirmed.returncode == 1 and "--yes" in unconfirmed.stdout and not target.exists()
    done = run("--file", str(target), "import", str(config_file), "--role", "viewer=閲覧", "--role", "editor=多機関協働",
               "--yes")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3人を取り込みました" in done.stdout and "cookie:" in done.stdout
    listed = run("--file", str(target), "list").stdout.splitlines()
    assert listed == ["jsmith\tSmith John\t管理者\t", "rbriggs\tBriggs Rebecca\t閲覧\t",
                      "tanaka\t田中 太郎\t多機関協働\t地域包括支援センター"]
    monkeypatch.setenv("TSUNAGU_USERS_FILE", str(target))
    monkeypatch.delenv("TSUNAGU_WORKBOOK", raising=False)
    from streamlit.testing.v1 import AppTest
    from tests.test_pages import APP
    for username, password, shown in (("jsmith", DEMO_PASSWORDS["admin"], "Smith John（管理者）"),
                                      ("tanaka", DEMO_PASSWORDS["kyodo"], "田中 太郎（多機関協働）"),
                                      ("rbriggs", "old-plain-password", None)):
        at = sign_in(AppTest.from_file(APP, default_timeout=60).run(), username, password)
        assert not at.exception
        captions = " ".join(c.value for c in at.sidebar.caption)
        if shown:
            assert f"サインイン中: {shown}" in captions
        else:                                            # the plain-text password: changed first
            assert at.title[0].value == "パスワードを変える"


def test_on_the_admin_screen_the_unknown_role_is_chosen_before_the_import(config_file, users_file):
    path = users_file                                    # a copy of the demo users, not demo mode
    at = open_page("screens/admin.py", user="admin")
    at.file_uploader(key="user_import_file").upload("config.yaml", config_file.read_bytes(), "application/x-yaml").run()
    assert not at.exception, at.exception
    assert any("サインインの鍵は状態フォルダ" in i.value for i in at.info)        # its cookie: section set aside
    go = next(b for b in at.button if b.key == "user_import_go")
    assert go.disabled and go.label == "取り込む（3人）"
    table = next(d.value for d in at.dataframe if "元の役割" in d.value.columns).set_index("ユーザー名")
    assert table.loc["rbriggs", "役割"] == "（未定）" and table.loc["jsmith", "名前"] == "Smith John"
    at.selectbox(key="user_import_role_viewer").set_value(users.VIEWER).run()
    at.selectbox(key="user_import_role_editor").set_value(users.STAFF).run()     # tanaka's agency: from the file
    go = next(b for b in at.button if b.key == "user_import_go")
    assert not go.disabled
    go.click().run()
    assert not at.exception and any("3人を取り込みました" in s.value for s in at.success)
    saved = users.load(path)["credentials"]["usernames"]
    assert saved["rbriggs"]["roles"] == ["閲覧"] and saved["rbriggs"]["must_change"] is True
    assert saved["tanaka"]["roles"] == ["機関職員"] and saved["tanaka"]["agency"] == "地域包括支援センター"
    assert saved["jsmith"]["name"] == "Smith John" and saved["jsmith"]["email"] == "jsmith@example.com"
    assert "admin" in saved                                                    # the users already there stay
