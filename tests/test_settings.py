"""Settings on screen (issue 27 §3): one table (lib/settings.py) read in the order environment →
secrets.toml → the settings file a 管理者 saved → default; saves checked, all or nothing, refused
on a change made meanwhile, written 0600 and audited old → new without passwords; 「接続を確かめる」
reads the workbook as the app would; 「テストメールを送る」 reaches a real local SMTP server."""
import json
import os
import shutil
import stat

import pytest

from lib import settings
from lib.access import audit, configure
from lib.notify import run as notify_run
from tests.conftest import SAMPLE, SHEET_KEY
from tests.test_pages import open_page


@pytest.fixture
def folder(tmp_path):
    where = tmp_path / "state"
    where.mkdir()
    return where


def env_for(folder, **more):
    return {"TSUNAGU_STATE_DIR": str(folder), "TSUNAGU_AUDIT_DIR": str(folder / "audit"), **more}


def write_file(folder, values):
    (folder / settings.FILE_NAME).write_text(json.dumps(values, ensure_ascii=False), encoding="utf-8")


@pytest.mark.parametrize("name, env, secrets, file, expected", [
    ("stale_contact_days", {}, {}, {}, "60"),                                                   # default
    ("stale_contact_days", {}, {}, {"stale_contact_days": "45"}, "45"),                         # screen
    ("stale_contact_days", {}, {"tsunagu": {"stale_contact_days": 30}}, {"stale_contact_days": "45"}, "30"),  # secrets win
    ("stale_contact_days", {"TSUNAGU_STALE_CONTACT_DAYS": "20"}, {"tsunagu": {"stale_contact_days": 30}},
     {"stale_contact_days": "45"}, "20"),                                                       # environment wins
    ("stale_contact_days", {"TSUNAGU_STALE_CONTACT_DAYS": ""}, {}, {"stale_contact_days": "45"}, "45"),  # empty variable: not set
    ("users_file", {}, {}, {"users_file": "/tmp/evil.yaml"}, ""),                                # not an on-screen setting
    ("cookie_key", {}, {}, {"cookie_key": "x" * 40}, ""),
    ("today", {}, {}, {"today": "2030-01-01"}, ""),
    ("demo", {}, {}, {"demo": "off"}, "on"),
    ("smtp_password", {}, {}, {"smtp_password": "pw-from-screen"}, "pw-from-screen"),
    ("service_account_file", {}, {"gcp_service_account": {"type": "service_account"}}, {"service_account_file": "/k.json"}, ""),
])
def test_the_order_settings_are_read_in(folder, name, env, secrets, file, expected):
    write_file(folder, file)
    assert settings.get(name, env_for(folder, **env), secrets) == expected


def test_a_changed_file_is_read_again_and_a_broken_one_counts_as_empty(folder):
    env = env_for(folder)
    write_file(folder, {"referral_days": "10"})
    assert settings.get("referral_days", env) == "10"
    write_file(folder, {"referral_days": "12", "extra": "x"})
    os.utime(folder / settings.FILE_NAME, ns=(1, 10**18))      # the same second on a coarse clock
    assert settings.get("referral_days", env) == "12"
    (folder / settings.FILE_NAME).write_text("{not json", encoding="utf-8")
    assert settings.get("referral_days", env) == "7"


@pytest.mark.parametrize("name, text, wrong", [
    ("stale_contact_days", "９０", None),                      # full-width digits are fine
    ("stale_contact_days", "0", "1〜3650"),
    ("stale_contact_days", "abc", "整数"),
    ("smtp_port", "70000", "1〜65535"),
    ("smtp_starttls", "ON", None),
    ("smtp_starttls", "yes", "on か off"),
    ("date_style", "西暦", None),
    ("date_style", "平成", "和暦・西暦"),
    ("app_url", "https://tsunagu.town.lg.jp", None),
    ("app_url", "tsunagu.town.lg.jp", "http:// か https://"),
    ("mail_from", "tsunagu@town.example.lg.jp", None),
    ("mail_from", "tsunagu", "メールアドレス"),
    ("trusted_proxies", "127.0.0.1, 10.0.0.0/8", None),
    ("trusted_proxies", "proxy.town", "IP アドレスではありません"),
    ("meeting_cadence", "重層的支援会議=隔月、支援会議=随時", None),
    ("meeting_cadence", "重層的支援会議=週1", "読めません"),
    ("workbook", r"\\fileserver\fukushi\町.xlsx", None),
    ("workbook", f"https://docs.google.com/spreadsheets/d/{SHEET_KEY}/edit", None),
    ("workbook", "/home/town/list.docx", "Excel ファイル"),
    ("mail_sender_name", "福祉課\n多機関協働係", "1行"),
    ("smtp_host", "", None),                                  # empty: back to the default
])
def test_what_a_value_must_look_like(name, text, wrong):
    found = configure.check(name, text)
    assert (found is None) if wrong is None else (wrong in found), found


def test_a_save_writes_only_changes_0600_and_audits_old_to_new_without_the_password(folder):
    env = env_for(folder)
    write_file(folder, {"smtp_host": "mail.old.example"})
    outcome = configure.save({"smtp_host": "mail.town.example", "smtp_password": "very-secret-pw", "smtp_port": "25",
                              "referral_days": ""}, drawn={"smtp_host": "mail.old.example"}, who="admin", env=env)
    assert outcome.saved and sorted(n for n, _, _ in outcome.changed) == ["smtp_host", "smtp_password", "smtp_port"]
    path = folder / settings.FILE_NAME
    assert json.loads(path.read_text()) == {"smtp_host": "mail.town.example", "smtp_password": "very-secret-pw",
                                           "smtp_port": "25"}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert settings.get("smtp_host", env) == "mail.town.example"
    log = audit.read(folder / "audit")
    line = log[log["event"] == "settings_changed"].iloc[0]
    assert line["user"] == "admin"
    assert "メールサーバー: mail.old.example → mail.town.example" in line["change"]
    assert "メールサーバーのパスワード: （空） → （設定あり）" in line["change"]
    assert "very-secret-pw" not in (folder / "audit").joinpath(os.listdir(folder / "audit")[0]).read_text()


def test_an_empty_value_goes_back_to_the_default(folder):
    env = env_for(folder)
    write_file(folder, {"referral_days": "10"})
    assert configure.save({"referral_days": ""}, {"referral_days": "10"}, "admin", env).saved
    assert settings.get("referral_days", env) == "7" and settings.saved(env) == {}


def test_one_bad_value_writes_nothing(folder):
    env = env_for(folder)
    outcome = configure.save({"smtp_host": "mail.town.example", "smtp_port": "port"}, {}, "admin", env)
    assert not outcome.saved and "ポート" in outcome.errors[0]
    assert not (folder / settings.FILE_NAME).exists()
    assert "settings_changed" not in set(audit.read(folder / "audit")["event"])


def test_a_change_made_meanwhile_by_another_admin_is_refused_by_name(folder):
    env = env_for(folder)
    drawn = {"stale_contact_days": "60"}
    write_file(folder, {"stale_contact_days": "60"})
    assert configure.save({"stale_contact_days": "45"}, drawn, "kanri2", env).saved       # the other 管理者
    outcome = configure.save({"stale_contact_days": "30", "referral_days": "10"}, drawn, "admin", env)
    assert not outcome.saved and "接触なしとする日数" in outcome.conflicts[0] and "60 → 45" in outcome.conflicts[0]
    assert settings.saved(env) == {"stale_contact_days": "45"}                             # nothing of ours written


def test_a_setting_fixed_by_the_environment_is_not_saved(folder):
    env = env_for(folder, TSUNAGU_SMTP_HOST="mail.fixed.example")
    assert configure.fixed_by("smtp_host", env) == "環境変数 TSUNAGU_SMTP_HOST"
    assert configure.fixed_by("smtp_host", env_for(folder), {"smtp": {"host": "x"}}) == "secrets.toml"
    outcome = configure.save({"smtp_host": "mail.screen.example"}, {}, "admin", env)
    assert outcome.saved and outcome.changed == [] and not (folder / settings.FILE_NAME).exists()


def test_an_unwritable_folder_says_so(tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the state folder should be")          # root can write anywhere else
    outcome = configure.save({"referral_days": "9"}, {}, "admin", env_for(blocked))
    assert not outcome.saved and "書き込めませんでした" in outcome.failed


@pytest.mark.parametrize("make, ok, said", [
    (lambda d: shutil.copy(SAMPLE, d / "町.xlsx"), True, "世帯 60件"),
    (lambda d: None, False, "ファイルが見つかりません"),
    (lambda d: (d / "町.xlsx").write_bytes(b"PK\x03\x04 not really a zip"), False, "Excel ファイルとして読めません"),
])
def test_checking_the_connection_reads_the_workbook_as_the_app_would(folder, make, ok, said):
    make(folder)
    found = configure.try_workbook(str(folder / "町.xlsx"), env_for(folder))
    assert found.ok is ok and said in found.message, found.message


def test_a_blank_workbook_connects_and_says_nothing_is_missing(folder):
    from lib.workbook import new
    (folder / "新しい町.xlsx").write_bytes(new.blank("つなぎ町"))
    found = configure.try_workbook(str(folder / "新しい町.xlsx"), env_for(folder))
    assert found.ok and "世帯 0件" in found.message and not [n for n in found.notes if "足りない" in n]


def test_checking_a_google_sheet_uses_the_uploaded_key_and_the_fake_api(folder, fake_sheets):
    _, root = fake_sheets
    found = configure.try_workbook(f"https://docs.google.com/spreadsheets/d/{SHEET_KEY}/edit",
                                   env_for(folder, TSUNAGU_SHEETS_API_ROOT=root))
    assert found.ok and "世帯 60件" in found.message
    found = configure.try_workbook(f"https://docs.google.com/spreadsheets/d/{SHEET_KEY}/edit", env_for(folder))
    assert not found.ok and "サービスアカウント" in found.message


@pytest.mark.parametrize("data, wrong", [
    (b"not json", "JSON ファイル"),
    (json.dumps({"type": "authorized_user"}).encode(), "サービスアカウントの鍵ではありません"),
    (json.dumps({"type": "service_account", "client_email": "a@b.iam.gserviceaccount.com",
                 "private_key": "-----BEGIN PRIVATE KEY-----"}).encode(), None),
])
def test_an_uploaded_key_is_kept_0600_only_when_it_is_one(folder, data, wrong):
    path, problem = configure.store_key_file(data, env_for(folder))
    if wrong:
        assert path is None and wrong in problem
    else:
        assert problem is None and stat.S_IMODE(os.stat(path).st_mode) == 0o600


# ---------------------------------------------------------------- mail

def mail_values(smtp, **more):
    return {"smtp_host": "127.0.0.1", "smtp_port": str(smtp.port), "smtp_starttls": "off",
            "mail_from": "tsunagu@town.example", **more}


from tests.test_notify import smtp  # noqa: E402,F401 - the local SMTP server (aiosmtpd) as a fixture


def test_a_test_mail_reaches_the_server(smtp):
    assert notify_run.test_mail(mail_values(smtp), "kanri@town.example") is None
    message = smtp.messages[-1]
    assert message["To"] == "kanri@town.example" and "テストメール" in message["Subject"]


@pytest.mark.parametrize("values, to, said", [
    ({"smtp_host": ""}, "a@town.example", "メールサーバーが空"),
    ({"smtp_host": "127.0.0.1", "smtp_port": "1", "smtp_starttls": "off"}, "a@town.example", "につながりません"),
    ({"smtp_host": "127.0.0.1", "smtp_port": "x"}, "a@town.example", "整数"),
    ({"smtp_host": "127.0.0.1"}, "not-an-address", "送り先"),
])
def test_a_test_mail_that_cannot_go_says_why(values, to, said):
    assert said in notify_run.test_mail(values, to)


def test_starttls_on_a_server_without_it_is_explained(smtp):
    assert "STARTTLS" in notify_run.test_mail(mail_values(smtp, smtp_starttls="on"), "a@town.example")


# ---------------------------------------------------------------- the screen

@pytest.fixture
def town(tmp_path, monkeypatch):
    """A real town (its own users file) whose state folder is empty; the sample copied as its workbook."""
    state = tmp_path / "state"
    monkeypatch.setenv("TSUNAGU_STATE_DIR", str(state))
    monkeypatch.delenv("TSUNAGU_WORKBOOK", raising=False)
    workbook = tmp_path / "町.xlsx"
    shutil.copy(SAMPLE, workbook)
    return state, workbook


def field(at, label):
    return next(t for t in at.text_input if t.label == label)


def press(at, label, nth=0):
    [b for b in at.button if b.label == label][nth].click().run()
    assert not at.exception, at.exception
    return at


def test_the_admin_connects_the_workbook_after_checking_it(town):
    state, workbook = town
    at = open_page("screens/admin.py")
    field(at, "ワークブックの場所").input(str(workbook.parent / "ない.xlsx"))
    press(at, "保存する")
    assert any("読めませんでした" in e.value and "保存していません" in e.value for e in at.error)
    assert not (state / settings.FILE_NAME).exists()
    field(at, "ワークブックの場所").input(str(workbook))
    press(at, "接続を確かめる")
    assert any("読めました" in s.value and "世帯 60件" in s.value for s in at.success)
    assert not (state / settings.FILE_NAME).exists()                       # only tried
    press(at, "保存する")
    assert any("保存しました" in s.value for s in at.success)
    assert json.loads((state / settings.FILE_NAME).read_text()) == {"workbook": str(workbook)}
    from lib.ui.widgets import esc
    assert any(esc(f"Excel: {workbook.name}") in c.value for c in at.sidebar.caption)   # the app reads it now
    log = audit.read(state.parent / "audit")
    assert f"ワークブックの場所: （空） → {workbook}" in list(log[log["event"] == "settings_changed"]["change"])


def test_the_admin_sends_a_test_mail_then_saves_the_mail_settings(town, smtp):
    state, _ = town
    at = open_page("screens/admin.py")
    field(at, "メールサーバー").input("127.0.0.1")
    field(at, "ポート").input(str(smtp.port))
    next(c for c in at.checkbox if c.label == "STARTTLS で暗号化").uncheck()
    field(at, "差出人のアドレス").input("tsunagu@town.example")
    field(at, "メールサーバーのパスワード").input("mail-password-1")
    field(at, "テストメールの宛先").input("kanri@town.example")
    press(at, "テストメールを送る")
    assert any("テストメールを送りました" in s.value for s in at.success), [e.value for e in at.error]
    assert smtp.messages[-1]["To"] == "kanri@town.example"
    assert not (state / settings.FILE_NAME).exists()                       # tested, not saved
    press(at, "保存する", nth=1)
    saved = json.loads((state / settings.FILE_NAME).read_text())
    assert saved == {"smtp_host": "127.0.0.1", "smtp_port": str(smtp.port), "smtp_starttls": "off",
                     "smtp_password": "mail-password-1", "mail_from": "tsunagu@town.example"}
    assert field(at, "メールサーバーのパスワード").value == ""              # never shown again
    log = audit.read(state.parent / "audit")
    assert set(log["event"]) >= {"test_mail", "settings_changed"}
    assert "mail-password-1" not in log.to_string()


def test_other_settings_are_checked_and_reach_the_screens(town):
    state, _ = town
    at = open_page("screens/admin.py")
    field(at, "保存期間（年）").input("abc")
    press(at, "保存する", nth=2)
    assert any("保存期間（年）" in e.value and "整数" in e.value for e in at.error)
    assert not (state / settings.FILE_NAME).exists()
    field(at, "保存期間（年）").input("3")
    next(s for s in at.selectbox if s.label == "重層的支援会議").set_value("隔月")
    press(at, "保存する", nth=2)
    saved = json.loads((state / settings.FILE_NAME).read_text())
    assert saved["retention_years"] == "3"
    assert saved["meeting_cadence"].startswith("支援会議=随時、重層的支援会議=隔月")
    assert "date_style" not in saved and "map_tiles" not in saved           # untouched defaults stay unset
    assert any("保存期間満了（終結・中断から3年）" in h.value for h in at.subheader)


def test_a_setting_fixed_by_the_environment_is_shown_but_cannot_be_changed(town, monkeypatch):
    monkeypatch.setenv("TSUNAGU_SMTP_HOST", "mail.fixed.example")
    at = open_page("screens/admin.py")
    host = field(at, "メールサーバー")
    assert host.disabled and host.value == "mail.fixed.example"


def test_only_a_kanrisha_sees_settings_and_the_demo_changes_none(monkeypatch, tmp_path):
    monkeypatch.setenv("TSUNAGU_STATE_DIR", str(tmp_path / "state"))
    at = open_page("screens/admin.py", user="kyodo")
    assert not [t for t in at.text_input if t.label == "ワークブックの場所"]
    monkeypatch.delenv("TSUNAGU_USERS_FILE")
    monkeypatch.delenv("TSUNAGU_WORKBOOK", raising=False)
    at = open_page("screens/admin.py")                                     # the demo town
    assert any("デモモード" in i.value and "設定は変えられません" in i.value for i in at.info)
    assert not [t for t in at.text_input if t.label == "ワークブックの場所"]


def test_an_unreadable_workbook_can_be_put_right_on_screen_by_the_admin(town, tmp_path):
    state, workbook = town
    write_file_state = state
    write_file_state.mkdir(parents=True)
    write_file(state, {"workbook": str(tmp_path / "消えた.xlsx")})
    at = open_page("screens/home.py")
    assert [t.value for t in at.title] == ["データを読めませんでした"]
    field(at, "ワークブックの場所").input(str(workbook))
    press(at, "保存する")
    at.run()
    assert [t.value for t in at.title] == ["つなぐボード"]
    staff = open_page("screens/home.py", user="kyodo")
    assert not [t for t in staff.text_input if t.label == "ワークブックの場所"]
