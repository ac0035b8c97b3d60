"""Users on screen (管理): add with a temporary password shown once and changed at the first
sign-in, reset, disable, remove, role and 所属機関 — the same functions as the CLI, each audited;
the last 管理者 is kept; everyone changes their own password."""
import shutil

import pytest

from lib.access import audit, users
from tests.test_pages import open_page, sign_in


@pytest.fixture
def users_file(tmp_path, monkeypatch):
    path = tmp_path / "users.yaml"
    shutil.copy(users.DEMO_USERS_FILE, path)
    monkeypatch.setenv("TSUNAGU_USERS_FILE", str(path))
    monkeypatch.delenv("TSUNAGU_WORKBOOK", raising=False)
    return path


def config(path):
    return users.load(path)


@pytest.mark.parametrize("change, refused", [
    (lambda c: users.remove(c, "admin"), "最後の管理者は削除できません"),
    (lambda c: users.set_disabled(c, "admin", True), "最後の管理者は止められません"),
    (lambda c: users.change(c, "admin", role=users.COORDINATOR, agency=None), "最後の管理者の役割は変えられません"),
    (lambda c: users.add(c, "kyodo", name="x", role=users.VIEWER, agency=None), "もういます"),
    (lambda c: users.add(c, "new one", name="x", role=users.VIEWER, agency=None), "空白"),
    (lambda c: users.add(c, "sato", name="佐藤", role=users.STAFF, agency=None), "所属機関が要ります"),
    (lambda c: users.change_own_password(c, "kyodo", "wrong-current", "new-password-1", "new-password-1"), "いまのパスワードが違います"),
    (lambda c: users.change_own_password(c, "kyodo", "tsunagu-kyodo-demo", "new-password-1", "new-password-2"), "2回で同じではありません"),
    (lambda c: users.change_own_password(c, "kyodo", "tsunagu-kyodo-demo", "short", "short"), "10文字以上"),
])
def test_changes_that_are_refused(users_file, change, refused):
    c = config(users_file)
    with pytest.raises(ValueError, match=refused):
        change(c)


def test_a_second_admin_lets_the_first_go(users_file):
    c = config(users_file)
    users.add(c, "second", name="二人目", role=users.ADMIN, agency=None, password="second-admin-1")
    users.remove(c, "admin")
    assert "admin" not in c["credentials"]["usernames"]


def test_the_admin_adds_a_user_who_must_change_the_temporary_password(users_file, signed_in_setup):
    at = open_page("screens/admin.py", user="admin")
    form = {t.label: t for t in at.text_input}
    form["ユーザー名（半角英数字。例: tanaka）"].input("sato")
    form["名前（例: 田中（包括））"].input("佐藤（社協）")
    next(s for s in at.selectbox if s.label == "役割").set_value(users.STAFF)
    next(s for s in at.selectbox if s.label == "所属機関").set_value("社会福祉協議会")
    next(b for b in at.button if b.label == "追加する").click().run()
    shown = next(s.value for s in at.success if "仮のパスワード" in s.value)
    temporary = shown.rsplit(": ", 1)[1]
    assert len(temporary) == 12
    entry = config(users_file)["credentials"]["usernames"]["sato"]
    assert entry["roles"] == [users.STAFF] and entry["agency"] == "社会福祉協議会" and entry["must_change"]
    assert temporary not in users_file.read_text() and temporary not in str(audit.read(signed_in_setup).to_dict())
    at.run()
    assert not [s for s in at.success if "仮のパスワード" in s.value]          # shown once

    from streamlit.testing.v1 import AppTest
    from tests.test_pages import APP
    first = sign_in(AppTest.from_file(APP, default_timeout=60).run(), "sato", temporary)
    assert [t.value for t in first.title] == ["パスワードを変える"] and not first.metric
    fields = {t.label: t for t in first.text_input}
    fields["いまのパスワード"].input(temporary)
    fields["新しいパスワード（10文字以上）"].input("sato-own-password")
    fields["新しいパスワード（もう一度）"].input("sato-own-password")
    next(b for b in first.button if b.label == "パスワードを変える").click().run()
    first.run()
    assert [t.value for t in first.title] == ["つなぐボード"]                 # ホーム, now
    assert not config(users_file)["credentials"]["usernames"]["sato"].get("must_change")
    events = audit.read(signed_in_setup)
    changes = events[events["event"] == "user_changed"]
    assert list(changes["change"]) == ["add", "own_password"]


def test_the_admin_resets_disables_and_removes(users_file, signed_in_setup):
    at = open_page("screens/admin.py", user="admin")
    at.selectbox(key="user_target").set_value("kyotaku").run()
    at.button(key="user_reset").click().run()
    assert any("kyotaku の仮のパスワード" in s.value for s in at.success)
    assert config(users_file)["credentials"]["usernames"]["kyotaku"]["must_change"]
    at.button(key="user_disable").click().run()
    assert config(users_file)["credentials"]["usernames"]["kyotaku"]["disabled"] is True
    at.selectbox(key="user_role_kyotaku").set_value(users.COORDINATOR).run()
    at.button(key="user_save_role").click().run()
    assert config(users_file)["credentials"]["usernames"]["kyotaku"]["roles"] == [users.COORDINATOR]
    at.checkbox(key="user_remove_sure_kyotaku").check().run()
    at.button(key="user_remove").click().run()
    assert "kyotaku" not in config(users_file)["credentials"]["usernames"]
    at.selectbox(key="user_target").set_value("admin").run()
    assert at.button(key="user_disable").disabled and at.button(key="user_remove").disabled   # not oneself
    changes = audit.read(signed_in_setup)
    assert list(changes[changes["event"] == "user_changed"]["change"]) == ["reset_password", "disable", "role", "remove"]


def test_everyone_changes_their_own_password_on_the_help_screen(users_file):
    elsewhere = open_page("screens/help.py", user="kyotaku")          # the same person on another PC
    at = open_page("screens/help.py", user="kyotaku")
    fields = {t.label: t for t in at.text_input}
    fields["いまのパスワード"].input("tsunagu-kyotaku-demo")
    fields["新しいパスワード（10文字以上）"].input("kyotaku-new-pass")
    fields["新しいパスワード（もう一度）"].input("kyotaku-new-pass")
    next(b for b in at.button if b.label == "パスワードを変える").click().run()
    from lib.access.sessions import password_matches
    assert password_matches(config(users_file)["credentials"]["usernames"]["kyotaku"]["password"], "kyotaku-new-pass")
    assert "ほかのパソコン・タブのサインインは終わりました" in at.success[0].value
    at.run()                                                          # this tab goes on, signed in
    assert "サインイン中: みどりの里 相談員（見本）（機関職員）" in [c.value for c in at.sidebar.caption]
    elsewhere.run()                                                   # the other sign-in has ended (#195)
    assert "ユーザー名" in [t.label for t in elsewhere.text_input] and not elsewhere.sidebar.caption


def test_staff_do_not_get_the_user_screen(users_file):
    at = open_page("screens/admin.py", user="kyodo")
    assert "この画面は管理者だけが使えます。" in [e.value for e in at.error]
    assert not [b for b in at.button if b.label == "追加する"]


def test_the_demo_users_never_change(monkeypatch):
    monkeypatch.delenv("TSUNAGU_USERS_FILE", raising=False)
    monkeypatch.delenv("TSUNAGU_COOKIE_KEY", raising=False)
    monkeypatch.delenv("TSUNAGU_WORKBOOK", raising=False)
    before = users.DEMO_USERS_FILE.read_bytes()
    at = open_page("screens/admin.py", user="admin")
    assert any("デモモード" in i.value for i in at.info) and not [b for b in at.button if b.label == "追加する"]
    helper = open_page("screens/help.py", user="kyodo")
    assert not [b for b in helper.button if b.label == "パスワードを変える"]
    assert users.DEMO_USERS_FILE.read_bytes() == before


def test_a_change_another_admin_made_after_the_screen_was_drawn_is_refused_and_audited_old_to_new(users_file, signed_in_setup):
    c = config(users_file)
    users.add(c, "second", name="二人目", role=users.ADMIN, agency=None, password="second-admin-1")
    users.save(c, users_file)
    mine, theirs = open_page("screens/admin.py", user="admin"), open_page("screens/admin.py", user="admin")
    for at in (mine, theirs):
        at.selectbox(key="user_target").set_value("kyotaku").run()
    theirs.selectbox(key="user_role_kyotaku").set_value(users.COORDINATOR).run()
    theirs.button(key="user_save_role").click().run()
    assert config(users_file)["credentials"]["usernames"]["kyotaku"]["roles"] == [users.COORDINATOR]
    mine.selectbox(key="user_agency_kyotaku").set_value("社会福祉協議会").run()
    mine.button(key="user_save_role").click().run()
    import html
    (error,) = [html.unescape(e.value) for e in mine.error]
    assert "ほかの管理者がこの画面を開いた後に kyotaku を変えました（役割: 機関職員 → 多機関協働）" in error
    entry = config(users_file)["credentials"]["usernames"]["kyotaku"]
    assert entry["roles"] == [users.COORDINATOR] and entry["agency"] != "社会福祉協議会"     # as the other left it
    mine.button(key="user_disable").click().run()       # the screen now shows the change: this press is allowed
    assert config(users_file)["credentials"]["usernames"]["kyotaku"]["disabled"] is True
    roles = audit.read(signed_in_setup)
    roles = roles[(roles["event"] == "user_changed") & (roles["change"] == "role")]
    assert list(roles["role"]) == ["機関職員 → 多機関協働"]
    assert list(roles["agency"]) == [f"{entry['agency']} → {entry['agency']}"]


def test_the_buttons_the_last_admin_may_not_use_say_why(users_file):
    at = open_page("screens/admin.py", user="admin")
    at.selectbox(key="user_target").set_value("admin").run()
    assert at.button(key="user_disable").disabled and at.button(key="user_remove").disabled
    assert "自分自身は止めたり削除したりできません" in at.button(key="user_disable").help
    assert any("自分自身は止めたり削除したりできません" in c.value for c in at.caption)
