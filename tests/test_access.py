"""Who sees what: the role scope on the sample town (pure), 支援会議 secrecy, sign-in settings,
the users command, the audit log and retention."""
import datetime as dt
import json
import subprocess
import sys

import pandas as pd
import pytest

from lib.access import audit, retention, scope, users
from lib.casework import indicators
from lib.access.scope import Viewer
from lib.access.users import User
from lib.workbook.validate import validate
from tests.conftest import ROOT

COORDINATOR = User("kyodo", "k", users.COORDINATOR, "福祉課 多機関協働係")
MEMBER_STAFF = User("houkatsu", "h", users.STAFF, "地域包括支援センター")
OTHER_STAFF = User("kyotaku", "t", users.STAFF, "居宅介護支援事業所 みどりの里")


def town():
    return validate({
        "世帯": [["世帯ID", "表示名", "同意", "段階", "主担当機関", "受付日"],
                ["H-1", "包括が主担当", "あり", "支援中", "包括", "2025/4/1"],
                ["H-2", "役割分担に居宅", "あり", "支援中", "社協", "2025/4/1"],
                ["H-3", "会議に居宅が出席", "あり", "支援中", "社協", "2025/4/1"],
                ["H-4", "同意なし・包括", "なし", "見守り", "包括", "2025/4/1"],
                ["H-5", "同意不明・居宅", "不明", "受付", "居宅", "2025/4/1"],
                ["H-6", "関係なし", "あり", "支援中", "社協", "2025/4/1"]],
        "支援プラン": [["世帯ID", "対象", "役割分担"], ["H-2", "その他", "主: 社協／副: 居宅"]],
        "会議": [["会議ID", "種別", "開催日", "対象世帯", "参加機関", "決定事項"],
               ["M-1", "重層的支援会議", "2025/5/1", "H-3", "社協、居宅", "H-3: 訪問を続ける"],
               ["M-2", "支援会議", "2025/5/1", "H-4、H-5", "包括、居宅", "H-4: 見守り\nH-5: 訪問"],
               ["M-3", "重層的支援会議", "2025/6/1", "H-2、H-6", "社協", "H-2: 居宅と連携\nH-6: 就労体験へ"]],
        "機関": [["機関名", "支援会議構成員"], ["包括", "はい"], ["社協", "はい"], ["居宅", "いいえ"]],
    })


@pytest.mark.parametrize("user, visible", [
    (User("a", "a", users.ADMIN, None), {"H-1", "H-2", "H-3", "H-4", "H-5", "H-6"}),
    (User("c", "c", users.COORDINATOR, None), {"H-1", "H-2", "H-3", "H-4", "H-5", "H-6"}),
    (User("v", "v", users.VIEWER, None), {"H-1", "H-2", "H-3", "H-4", "H-5", "H-6"}),
    (User("p", "p", users.STAFF, "包括"), {"H-1", "H-4", "H-5"}),     # lead; attended M-2; a 支援会議 member
    (User("k", "k", users.STAFF, "居宅"), {"H-2", "H-3"}),            # role in plan; attended M-1; H-4/H-5 secret
    (User("k", "k", users.STAFF, "ｷｮﾀｸ"), set()),                              # unknown 機関
    (User("x", "x", users.STAFF, None), set()),
    (User("n", "n", None, "包括"), set()),                                    # no role
])
def test_visible_households_by_role(user, visible):
    assert scope.visible_households(town(), user) == visible


def test_non_member_never_sees_shien_kaigi_anywhere():
    scoped = scope.scope_workbook(town(), Viewer(user=User("k", "k", users.STAFF, "居宅")))
    assert set(scoped["世帯"]["世帯ID"]) == {"H-2", "H-3"}
    assert list(scoped["会議"]["会議ID"]) == ["M-1", "M-3"]                   # the 支援会議 itself is gone
    assert scoped["会議"]["対象世帯"].tolist() == [["H-3"], ["H-2"]]
    assert scoped["会議"]["決定事項"].tolist() == ["H-3: 訪問を続ける", "H-2: 居宅と連携"]   # others' decisions cut
    assert indicators.count(scoped, "支援会議開催回数", (), 2025, dt.date(2026, 1, 1)) == 0
    assert indicators.count(scoped, "アウトリーチ対象世帯数", (), 2025, dt.date(2026, 1, 1)) == 0


def test_member_staff_sees_its_shien_kaigi_but_not_others_decisions():
    scoped = scope.scope_workbook(town(), Viewer(user=User("p", "p", users.STAFF, "包括")))
    meetings = scoped["会議"].set_index("会議ID")
    assert meetings.loc["M-2", "対象世帯"] == ["H-4", "H-5"]
    assert meetings.loc["M-2", "決定事項"] == "H-4: 見守り\nH-5: 訪問"
    assert meetings.loc["M-3", "対象世帯"] == [] and pd.isna(meetings.loc["M-3", "決定事項"])


def test_viewer_role_is_always_projected():
    scoped = scope.scope_workbook(town(), Viewer(user=User("v", "v", users.VIEWER, None)))
    assert scoped["世帯"]["表示名"].str.fullmatch(r"[A-Z]+世帯").all()
    assert set(scoped["世帯"]["同意"]) == {"あり"}


def test_sample_town_demo_users(sample_raw):
    workbook = validate(sample_raw)
    config = users.load(users.DEMO_USERS_FILE)
    seen = {name: scope.scope_workbook(workbook, Viewer(user=users.user(config, name)))["世帯"]
            for name in ("admin", "kyodo", "houkatsu", "kyotaku", "eturan")}
    assert len(seen["admin"]) == len(seen["kyodo"]) == 60
    assert set(seen["kyotaku"]["同意"]) == {"あり"} and 0 < len(seen["kyotaku"]) < 60
    assert {"なし", "不明"} <= set(seen["houkatsu"]["同意"])
    assert seen["eturan"]["表示名"].str.fullmatch(r"[A-Z]+世帯").all()


# ---------------------------------------------------------------- sign-in settings and users

KEY = "k" * 40


@pytest.mark.parametrize("env, secrets, sample, expected", [
    ({}, {}, True, ("demo", users.DEMO_COOKIE_KEY)),
    ({"TSUNAGU_COOKIE_KEY": KEY}, {}, True, ("demo", KEY)),
    ({"TSUNAGU_USERS_FILE": "/x/users.yaml", "TSUNAGU_COOKIE_KEY": KEY}, {}, False, ("/x/users.yaml", KEY)),
    ({}, {"auth": {"users_file": "/y.yaml", "cookie_key": KEY}}, False, ("/y.yaml", KEY)),
])
def test_auth_settings(env, secrets, sample, expected):
    settings = users.auth_settings(env, secrets, sample)
    where = "demo" if settings.demo else str(settings.users_file)
    assert (where, settings.cookie_key) == expected
    assert KEY not in repr(settings)


@pytest.mark.parametrize("env, sample", [
    ({}, False),                                                                   # a real town with no users file
    ({"TSUNAGU_USERS_FILE": "/x.yaml"}, False),                                    # no key
    ({"TSUNAGU_USERS_FILE": "/x.yaml", "TSUNAGU_COOKIE_KEY": "short"}, False),     # too short
    ({"TSUNAGU_USERS_FILE": "/x.yaml", "TSUNAGU_COOKIE_KEY": users.DEMO_COOKIE_KEY}, True),   # the demo key
])
def test_outside_demo_mode_an_unsafe_setup_refuses_to_start(env, sample):
    with pytest.raises(users.AuthConfigError):
        users.auth_settings(env, {}, sample)


def run_users(*args, stdin=""):
    return subprocess.run([sys.executable, "-m", "lib.access.users", *args], cwd=ROOT, input=stdin, text=True,
                          capture_output=True, timeout=60)


def test_users_command_adds_changes_and_removes(tmp_path):
    path = tmp_path / "users.yaml"
    added = run_users("--file", str(path), "add", "tanaka", "--name", "田中", "--role", "機関職員",
                      "--agency", "社会福祉協議会", "--password-stdin", stdin="correct-horse-1\n")
    assert added.returncode == 0, added.stderr
    config = users.load(path)
    entry = config["credentials"]["usernames"]["tanaka"]
    assert entry["password"].startswith("$2b$") and "correct-horse-1" not in path.read_text(encoding="utf-8")
    import bcrypt
    assert bcrypt.checkpw(b"correct-horse-1", entry["password"].encode())
    assert users.user(config, "tanaka") == User("tanaka", "田中", "機関職員", "社会福祉協議会")
    assert run_users("--file", str(path), "passwd", "tanaka", "--password-stdin", stdin="another-pass-2\n").returncode == 0
    assert bcrypt.checkpw(b"another-pass-2", users.load(path)["credentials"]["usernames"]["tanaka"]["password"].encode())
    listed = run_users("--file", str(path), "list")
    assert listed.stdout.strip() == "tanaka\t田中\t機関職員\t社会福祉協議会"
    assert run_users("--file", str(path), "add", "x", "--name", "x", "--role", "閲覧", "--password-stdin",
                     stdin="short\n").returncode == 1
    assert run_users("--file", str(path), "remove", "tanaka").returncode == 0
    assert users.load(path)["credentials"]["usernames"] == {}


# ---------------------------------------------------------------- audit and retention

def test_audit_lines_are_appended_and_read_back(tmp_path):
    when = dt.datetime(2026, 11, 24, 9, 30)
    assert audit.record(tmp_path, "open_household", "houkatsu", now=when, household="H-001")
    assert audit.record(tmp_path, "download", "admin", now=when, what="会議書類", households=3)
    lines = (tmp_path / f"audit-2026-11-{audit.server_name()}.jsonl").read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[0]) == {"time": "2026-11-24T09:30:00", "user": "houkatsu", "event": "open_household",
                                    "household": "H-001"}
    log = audit.read(tmp_path)
    assert list(log["内容"]) == ["世帯を開いた", "ダウンロード"]


def test_servers_sharing_one_audit_folder_append_to_their_own_files_and_read_as_one_log(tmp_path, monkeypatch):
    """Two servers of a city write into one shared folder, each into a file named after its machine
    (two machines appending to one file on a network share can mix their lines); the 管理者 reads one
    log in time order, with the file an older version wrote (no server's name) included."""
    import socket
    (tmp_path / "audit-2026-11.jsonl").write_text(json.dumps(
        {"time": "2026-11-24T09:29:00", "user": "old", "event": "sign_in"}) + "\n", encoding="utf-8")
    for machine, minute, user in (("APP-A", 30, "a1"), ("app b.example", 31, "b1"), ("APP-A", 32, "a2"),
                                  ("app b.example", 60 * 24 * 7, "b-december")):
        monkeypatch.setattr(socket, "gethostname", lambda machine=machine: machine)
        when = dt.datetime(2026, 11, 24, 9, 0) + dt.timedelta(minutes=minute)
        assert audit.record(tmp_path, "sign_in", user, now=when)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "audit-2026-11-app-a.jsonl", "audit-2026-11-app_b.example.jsonl", "audit-2026-11.jsonl",
        "audit-2026-12-app_b.example.jsonl"]
    assert list(audit.read(tmp_path)["user"]) == ["old", "a1", "b1", "a2", "b-december"]
    assert [line["user"] for line in audit.lines(tmp_path, dt.date(2026, 11, 1))] == ["old", "a1", "b1", "a2"]


def test_unwritable_audit_folder_is_reported_not_raised(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert audit.record(blocker / "audit", "sign_in", "admin") is False


@pytest.mark.parametrize("closed, today, due", [
    ("2020/3/31", dt.date(2025, 4, 1), True), ("2020/3/31", dt.date(2025, 3, 31), False),
    ("2020/2/29", dt.date(2025, 3, 1), True), ("", dt.date(2040, 1, 1), False)])
def test_retention_five_years_after_closing(closed, today, due):
    workbook = validate({"世帯": [["世帯ID", "表示名", "同意", "段階", "受付日", "終結日"],
                                 ["H-1", "a", "あり", "終結", "2019/4/1", closed]]})
    assert (len(retention.disposal_due(workbook, today)) == 1) is due


@pytest.mark.parametrize("stage, closed, stopped, today, due", [
    ("中断", "", "2020/3/31", dt.date(2025, 4, 1), True),
    ("中断", "", "2020/3/31", dt.date(2025, 3, 31), False),
    ("中断", "", "", dt.date(2040, 1, 1), False),                 # no 中断日: never due, データ点検 warns
    ("中断", "2010/1/1", "2024/1/1", dt.date(2026, 1, 1), False),  # a 中断 household counts from 中断日
    ("終結", "2020/3/31", "2010/1/1", dt.date(2025, 3, 31), False),  # a 終結 household counts from 終結日
    ("支援中", "2010/1/1", "2010/1/1", dt.date(2040, 1, 1), False),  # reopened: not due
])
def test_retention_counts_from_the_closing_or_stopping_day(stage, closed, stopped, today, due):
    workbook = validate({"世帯": [["世帯ID", "表示名", "同意", "段階", "受付日", "終結日", "中断日"],
                                 ["H-1", "a", "あり", stage, "2009/4/1", closed, stopped]]})
    assert (len(retention.disposal_due(workbook, today)) == 1) is due


def test_a_stopped_household_without_its_day_is_a_warning():
    workbook = validate({"世帯": [["世帯ID", "表示名", "同意", "段階", "受付日"], ["H-1", "a", "あり", "中断", "2020/4/1"]]})
    assert [(p.column, p.severity) for p in workbook.problems if p.household == "H-1"] == [("中断日", "warning")]
    assert len(workbook["世帯"]) == 1


def test_disposal_lists_and_scrubs_backups_and_is_recorded(tmp_path, sample_raw):
    import shutil
    from tests.conftest import SAMPLE
    from lib.workbook.sources import read_excel
    backups = tmp_path / "backups"
    backups.mkdir()
    for n in (1, 2):
        shutil.copy(SAMPLE, backups / f"town_2026110{n}.xlsx")
    gone = {"H-001", "H-023"}
    listed = retention.in_backups(backups, gone)
    assert list(listed["世帯数"]) == [2, 2]
    before = read_excel(backups / "town_20261101.xlsx")
    assert retention.scrub_backups(backups, gone) == ["town_20261101.xlsx", "town_20261102.xlsx"]
    after = read_excel(backups / "town_20261101.xlsx")
    for title in ("世帯", "世帯員", "支援プラン", "経過記録"):
        kept_before = [r for r in before[title] if not r or r[0 if title != "経過記録" else 1] not in gone]
        assert [r for r in after[title] if any(v not in (None, "") for v in r)] == \
            [r for r in kept_before if any(v not in (None, "") for v in r)]
    assert after["機関"] == before["機関"]
    assert retention.in_backups(backups, gone).empty
    assert retention.record_disposal(tmp_path, "admin", sorted(gone), ["town_20261101.xlsx"])
    record = retention.disposals(tmp_path)
    assert record.iloc[0]["記録した人"] == "admin" and record.iloc[0]["世帯"] == "H-001、H-023"


@pytest.mark.parametrize("name", ["bad\nname", "tab\tname", "del\x7f", "space name", "", "x" * 65, "bell\x07"])
def test_usernames_with_control_characters_are_refused(tmp_path, name):
    path = tmp_path / "users.yaml"
    result = run_users("--file", str(path), "add", name, "--name", "x", "--role", "閲覧", "--password-stdin",
                       stdin="long-enough-password\n")
    assert result.returncode != 0 and not path.exists()


def test_users_file_and_audit_log_are_private_to_the_app(tmp_path):
    import stat
    path = tmp_path / "users.yaml"
    assert run_users("--file", str(path), "add", "tanaka", "--name", "田中", "--role", "閲覧", "--password-stdin",
                     stdin="long-enough-password\n").returncode == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert audit.record(tmp_path / "audit", "sign_in", "tanaka")
    assert [stat.S_IMODE(p.stat().st_mode) for p in (tmp_path / "audit").iterdir()] == [0o600]


def test_a_disabled_user_cannot_use_a_cookie(tmp_path):
    import datetime as dt
    import jwt
    from lib.access import sessions
    path = tmp_path / "users.yaml"
    assert run_users("--file", str(path), "add", "tanaka", "--name", "田中", "--role", "閲覧", "--password-stdin",
                     stdin="long-enough-password\n").returncode == 0
    key = "k" * 40
    token = jwt.encode({"username": "tanaka", "exp_date": (dt.datetime.now() + dt.timedelta(hours=1)).timestamp()},
                       key, algorithm="HS256")
    assert sessions.check_cookie(token, key, users.load(path)["credentials"], set(), dt.datetime.now()).username == "tanaka"
    assert run_users("--file", str(path), "disable", "tanaka").returncode == 0
    assert sessions.check_cookie(token, key, users.load(path)["credentials"], set(), dt.datetime.now()).reason == "disabled user"


# ---------------------------------------------------------------- the guard in front of Streamlit

@pytest.mark.parametrize("path, base, page", [
    ("/setai", "", True), ("/setai/", "", True), ("/no-such-screen", "", True), ("/", "", False),
    ("/a/b", "", False), ("/_stcore/health", "", False), ("/static/js/index.js", "", False),
    ("/favicon.png", "", False), ("/manifest.json", "", False), ("/tsunagu/setai", "tsunagu", True),
    ("/tsunagu/setai", "/tsunagu/", True), ("/tsunagu", "tsunagu", False), ("/tsunagu/", "tsunagu", False),
    ("/setai", "tsunagu", False), ("/other/setai", "tsunagu", False)])
def test_a_page_address_is_one_part_after_the_apps_own_folder(path, base, page):
    from lib.access.web import is_page_address
    assert is_page_address(path, base) is page


@pytest.mark.parametrize("html, hinted", [
    (b"<!DOCTYPE html><html><head><script>a</script></head></html>",
     b"<!DOCTYPE html><html><head>%s<script>a</script></head></html>"),
    (b"<html><body>no head</body></html>", b"<html><body>no head</body></html>")])
def test_the_root_hint_comes_first_in_the_pages_head(html, hinted):
    from lib.access.web import ROOT_HINT, with_root_hint
    assert with_root_hint(html) == (hinted % ROOT_HINT if b"%s" in hinted else hinted)
