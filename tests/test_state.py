"""The shared state on both backends — the state folder (file locks) and PostgreSQL — with the same
tests: values, atomic changes from several processes at once, the save lock, and each kind of state
the app keeps there (running meetings, sign-outs, the throttle, the setup code, the cookie key, the
mail log)."""
from __future__ import annotations

import datetime as dt
import multiprocessing
import shutil
import time
import uuid

import pytest

from lib import state
from lib.access import sessions, setup
from lib.meetings import live

NOW = dt.datetime(2026, 12, 1, 13, 30)
BACKENDS = ["folder", "postgres"]
# Processes that change the state at once in the concurrency tests, and changes each makes:
PROCESSES, CHANGES = 4, 15


@pytest.fixture(params=BACKENDS)
def where(request, tmp_path):
    """How a second process reaches the same shared state: ("folder", path) or ("postgres", url)."""
    if request.param == "folder":
        return "folder", str(tmp_path / "state")
    import psycopg
    url = request.getfixturevalue("postgres_url")
    name = "t_" + uuid.uuid4().hex[:12]                          # a database of this test's own
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return "postgres", url.rsplit("/", 1)[0] + "/" + name


def open_store(where) -> state.Store:
    """A new Store object (as another process would make it) for the same shared state."""
    kind, place = where
    return state.FolderStore(place) if kind == "folder" else state.PostgresStore(place)


def in_processes(target, *args) -> None:
    """Run target(index, *args) in PROCESSES processes at once (fork) and wait for them all."""
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=target, args=(i, *args)) for i in range(PROCESSES)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    assert [w.exitcode for w in workers] == [0] * PROCESSES


# ---------------------------------------------------------------- the interface

@pytest.mark.parametrize("name, default, change, expected", [
    ("a.json", {}, lambda old: {**old, "x": 1}, {"x": 1}),
    ("b.json", [], lambda old: old + ["東部 70代男性"], ["東部 70代男性"]),
    ("c.json", {"n": 0}, lambda old: {"n": old["n"] + 1}, {"n": 1}),
    ("d.json", None, lambda old: "text", "text"),
])
def test_a_value_is_read_back_as_changed(where, name, default, change, expected):
    first = open_store(where)
    assert first.read(name, default) == default
    assert first.update(name, change, default) == expected
    assert open_store(where).read(name, default) == expected          # another process sees it
    assert first.read("missing.json", {"k": 1}) == {"k": 1}


def test_a_change_that_fails_writes_nothing(where):
    kept = open_store(where)
    kept.update("v.json", lambda old: {"kept": True}, {})

    def fails(old):
        raise ValueError("refused")
    with pytest.raises(ValueError):
        kept.update("v.json", fails, {})
    assert open_store(where).read("v.json", {}) == {"kept": True}


def test_the_default_is_never_changed_by_a_reader(where):
    default = {"items": []}
    found = open_store(where).read("none.json", default)
    found["items"].append(1)
    assert default == {"items": []}


def _count(index, where):
    kept = open_store(where)
    for _ in range(CHANGES):
        kept.update("counter.json", lambda old: {"n": old["n"] + 1}, {"n": 0})


def test_changes_from_several_processes_at_once_all_count(where):
    in_processes(_count, where)
    assert open_store(where).read("counter.json", {})["n"] == PROCESSES * CHANGES


def _unsafe_increment(index, where, path):
    kept = open_store(where)
    for _ in range(CHANGES):
        with kept.hold("save excel town.xlsx"):
            n = int(open(path).read())
            time.sleep(0.002)                                     # a read-check-write as a save does
            with open(path, "w") as out:
                out.write(str(n + 1))


def test_the_save_lock_lets_one_process_at_a_time(where, tmp_path):
    path = tmp_path / "counter.txt"
    path.write_text("0")
    in_processes(_unsafe_increment, where, str(path))
    assert int(path.read_text()) == PROCESSES * CHANGES


def _make_text(index, where, out):
    made = open_store(where).text("cookie_key.txt", lambda: f"key-of-process-{index}-" + "x" * 40)
    with open(f"{out}/{index}", "w") as f:
        f.write(made)


def test_a_text_made_once_is_the_same_for_every_process(where, tmp_path):
    in_processes(_make_text, where, str(tmp_path))
    found = {(tmp_path / str(i)).read_text() for i in range(PROCESSES)}
    assert len(found) == 1 and found == {open_store(where).text("cookie_key.txt", lambda: "never")}


def test_the_state_chosen_by_the_setting(tmp_path, postgres_url):
    assert isinstance(state.store(tmp_path, env={}), state.FolderStore)
    chosen = state.store(tmp_path, env={"TSUNAGU_STATE_URL": postgres_url})
    assert isinstance(chosen, state.PostgresStore) and "postgres@127.0.0.1" in chosen.description
    assert state.store(chosen) is chosen
    assert isinstance(state.store(tmp_path, env={}, secrets={"tsunagu": {"state_url": postgres_url}}), state.PostgresStore)


def test_a_database_that_cannot_be_reached_is_said_in_japanese_without_its_password(monkeypatch):
    from tests.servers import free_port
    monkeypatch.setattr(state, "CONNECT_TIMEOUT", 1)
    gone = state.PostgresStore(f"postgresql://tsunagu:hidden-secret@127.0.0.1:{free_port()}/tsunagu")
    for act in (lambda: gone.read("x.json", {}), lambda: gone.update("x.json", lambda o: o, {}),
                lambda: gone.hold("x").__enter__()):
        with pytest.raises(state.StateUnavailable) as refused:
            act()
        assert "共有の状態" in str(refused.value) and "hidden-secret" not in str(refused.value)


def test_a_password_with_at_slash_and_colon_written_as_readme_says_reaches_the_database():
    """PostgreSQL on its own machine asks for the password (pg_hba.conf's scram-sha-256 line, as
    README gives it): a password with @ / : % # written %-encoded in TSUNAGU_STATE_URL connects; a
    wrong one is refused in Japanese without the password."""
    import subprocess
    from urllib.parse import quote

    import psycopg
    from tests.servers import Postgres
    database = Postgres()
    database.start()
    try:
        password = "ab@c/1:x%y#z"
        with psycopg.connect(database.url, autocommit=True) as conn:
            conn.execute(f"CREATE ROLE tsunagu LOGIN PASSWORD '{password}'")
            conn.execute("CREATE DATABASE tsunagu OWNER tsunagu")
        hba = database.folder / "data" / "pg_hba.conf"
        subprocess.run(["sh", "-c", f"printf 'host tsunagu tsunagu 127.0.0.1/32 scram-sha-256\\n' | cat - {hba} > {hba}.new"
                        f" && cat {hba}.new > {hba}"], check=True)
        with psycopg.connect(database.url, autocommit=True) as conn:
            conn.execute("SELECT pg_reload_conf()")
        url = f"postgresql://tsunagu:{quote(password, safe='')}@127.0.0.1:{database.port}/tsunagu"
        shared = state.PostgresStore(url)
        shared.update("x.json", lambda old: old + 1, 0)
        assert shared.read("x.json", 0) == 1
        wrong = state.PostgresStore(url.replace("ab%40c", "ab%40d"))
        with pytest.raises(state.StateUnavailable) as refused:
            wrong.read("x.json", 0)
        assert "共有の状態" in str(refused.value) and "ab@d" not in str(refused.value) and "ab%40d" not in str(refused.value)
    finally:
        database.stop()


# ---------------------------------------------------------------- what the app keeps there

def test_the_wall_on_another_process_follows_the_operator(where):
    operator, wall = open_store(where), open_store(where)
    key = live.meeting_key("重層的支援会議", NOW.date(), "kyodo")
    items = [("H-001", ("緊急",)), ("H-004", ("新規",))]
    live.publish(operator, key, "重層的支援会議", NOW.date(), dt.time(13, 30), items, 0, 15, "協働 花子", NOW)
    assert live.get(wall, key, NOW).current == ("H-001", ("緊急",))
    later = NOW + dt.timedelta(minutes=4, seconds=5)
    live.publish(operator, key, "重層的支援会議", NOW.date(), dt.time(13, 30), items, 0, 15, "協働 花子", later)
    assert live.elapsed(live.get(wall, key, later), later) == "経過 4:05 / 15分"     # same item: the clock runs on
    live.publish(operator, key, "重層的支援会議", NOW.date(), dt.time(13, 30), items, 1, 15, "協働 花子", later)
    moved = live.get(wall, key, later)
    assert moved.current[0] == "H-004" and live.elapsed(moved, later) == "経過 0:00 / 15分"
    assert [m.key for m in live.running(wall, later)] == [key]
    assert live.running(wall, later + live.IDLE + dt.timedelta(seconds=1)) == []    # an abandoned meeting ends
    live.stop(operator, key)
    assert live.get(wall, key, later) is None


def test_a_sign_out_on_one_process_ends_the_cookie_on_another(where):
    token = "header.payload.signature"
    assert sessions.revoke(open_store(where), token, NOW + dt.timedelta(hours=8), NOW)
    assert sessions.fingerprint(token) in sessions.revoked(open_store(where), NOW)
    assert sessions.revoked(open_store(where), NOW + dt.timedelta(hours=9)) == set()   # kept until it would expire


def _fail_sign_in(index, where):
    kept = open_store(where)
    for _ in range(CHANGES):
        sessions.record_attempt(kept, "admin", "192.0.2.7", ok=False, now=NOW)


def test_failed_sign_ins_on_several_processes_all_count(where):
    in_processes(_fail_sign_in, where)
    data = open_store(where).read(sessions.THROTTLE, {})
    assert data[sessions.throttle_key("admin", "192.0.2.7")]["failures"] == PROCESSES * CHANGES
    assert sessions.wait_seconds(open_store(where), "admin", "192.0.2.7", NOW) == sessions.MAX_DELAY_SECONDS


def _setup_code(index, where, out):
    made, _, _ = setup.code(open_store(where), NOW)
    with open(f"{out}/{index}", "w") as f:
        f.write(made)


def test_servers_starting_at_once_agree_on_one_setup_code(where, tmp_path):
    in_processes(_setup_code, where, str(tmp_path))
    codes = {(tmp_path / str(i)).read_text() for i in range(PROCESSES)}
    assert len(codes) == 1
    code = codes.pop()
    assert setup.check(open_store(where), code, NOW)
    setup.used(open_store(where))
    assert not setup.check(open_store(where), code, NOW)


def test_every_process_signs_cookies_with_one_key(where):
    first, second = setup.cookie_key(open_store(where)), setup.cookie_key(open_store(where))
    assert first == second and len(first.encode()) >= 32


def _save_a_record(index, where, town):
    from lib.casework import entry
    from lib.workbook import sources
    config = sources.SourceConfig("excel", town)
    snapshot = sources.load(config)
    plan = entry.contact(snapshot.workbook, "H-004", day=NOW.date(), method="電話", agency="地域包括支援センター",
                         staff=f"記入者{index}", text=f"同時保存 {index}", today=NOW.date())
    sources.write(config, snapshot, plan, open_store(where))


def test_saves_started_at_once_on_several_processes_all_land(where, tmp_path):
    from lib.workbook import sources
    from tests.conftest import SAMPLE
    town = tmp_path / "town.xlsx"
    shutil.copy(SAMPLE, town)
    before = len(sources.read_excel(town)["経過記録"])
    in_processes(_save_a_record, where, str(town))
    rows = sources.read_excel(town)["経過記録"]
    assert len(rows) == before + PROCESSES
    texts = [cell for row in rows[before:] for cell in row if str(cell).startswith("同時保存")]
    assert sorted(texts) == [f"同時保存 {i}" for i in range(PROCESSES)]
