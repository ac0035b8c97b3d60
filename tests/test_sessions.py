"""Which re-login cookies sign someone in, sign-outs that end a cookie, and throttled attempts."""
import base64
import datetime as dt
import json

import jwt
import pytest

from lib.access import sessions

KEY = "test-cookie-key-0123456789-abcdefghijklmnopqrstuvwxyz"
NOW = dt.datetime(2026, 11, 25, 10, 0)
LATER = (NOW + dt.timedelta(hours=3)).timestamp()
CREDENTIALS = {"usernames": {"admin": {"name": "a"}, "gone": None, "off": {"name": "o", "disabled": True}}}
CREDENTIALS["usernames"].pop("gone")


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


GOOD = jwt.encode({"username": "admin", "exp_date": LATER}, KEY, algorithm="HS256")


@pytest.mark.parametrize("token, who, reason", [
    (GOOD, "admin", ""),
    (None, None, "no cookie"),
    (b64({"alg": "none", "typ": "JWT"}) + "." + b64({"username": "admin", "exp_date": LATER}) + ".", None,
     "not signed with the town's key (HS256)"),
    (jwt.encode({"username": "admin", "exp_date": LATER}, KEY, algorithm="HS512"), None,
     "not signed with the town's key (HS256)"),
    (jwt.encode({"username": "admin", "exp_date": LATER}, "another-key-0123456789-abcdefghijklmnop", algorithm="HS256"),
     None, "not signed with the town's key (HS256)"),
    (jwt.encode({"username": "gone", "exp_date": LATER}, KEY, algorithm="HS256"), None, "unknown user"),
    (jwt.encode({"username": "off", "exp_date": LATER}, KEY, algorithm="HS256"), None, "disabled user"),
    (jwt.encode({"username": "admin", "exp_date": "2099-01-01"}, KEY, algorithm="HS256"), None, "exp_date is not a time"),
    (jwt.encode({"username": "admin", "exp_date": True}, KEY, algorithm="HS256"), None, "exp_date is not a time"),
    (jwt.encode({"username": "admin", "exp_date": 1e20}, KEY, algorithm="HS256"), None, "exp_date out of range"),
    (jwt.encode({"username": "admin", "exp_date": NOW.timestamp() - 1}, KEY, algorithm="HS256"), None, "expired"),
    (jwt.encode({"username": ["admin"], "exp_date": LATER}, KEY, algorithm="HS256"), None, "unknown user"),
    ("not-a-jwt", None, "not signed with the town's key (HS256)"),
])
def test_only_a_good_cookie_signs_in(token, who, reason):
    check = sessions.check_cookie(token, KEY, CREDENTIALS, set(), NOW)
    assert (check.username, check.reason) == (who, reason)


def test_a_signed_out_cookie_is_refused_until_it_would_have_expired(tmp_path):
    assert sessions.revoke(tmp_path, GOOD, dt.datetime.fromtimestamp(LATER), NOW)
    revoked = sessions.revoked(tmp_path, NOW)
    assert sessions.check_cookie(GOOD, KEY, CREDENTIALS, revoked, NOW).reason == "signed out"
    assert sessions.revoked(tmp_path, dt.datetime.fromtimestamp(LATER + 1)) == set()      # pruned once expired
    assert GOOD not in (tmp_path / sessions.REVOKED).read_text()                           # only a fingerprint


@pytest.mark.parametrize("failures, delay", [(0, 0), (2, 0), (3, 2), (4, 4), (8, 64), (30, 900)])
def test_delays_grow_after_a_few_failures(failures, delay):
    assert sessions.delay_after(failures) == delay


def test_failures_from_one_address_do_not_hold_back_another(tmp_path):
    for _ in range(5):
        sessions.record_attempt(tmp_path, "admin", "10.0.0.66", ok=False, now=NOW)
    assert sessions.wait_seconds(tmp_path, "admin", "10.0.0.66", NOW) == 8
    assert sessions.wait_seconds(tmp_path, "admin", "127.0.0.1", NOW) == 0
    assert sessions.wait_seconds(tmp_path, "admin", "10.0.0.66", NOW + dt.timedelta(seconds=9)) == 0
    sessions.record_attempt(tmp_path, "admin", "10.0.0.66", ok=True, now=NOW)
    assert sessions.wait_seconds(tmp_path, "admin", "10.0.0.66", NOW) == 0


def test_a_new_address_for_every_try_still_meets_the_per_user_cap(tmp_path):
    for i in range(sessions.USER_FREE_ATTEMPTS + 2):
        sessions.record_attempt(tmp_path, "admin", f"203.0.113.{i}", ok=False, now=NOW)
    # every address has failed once only, yet a never-seen address waits: 12 failures → 2 × 2²
    assert sessions.wait_seconds(tmp_path, "admin", "198.51.100.99", NOW) == 8
    assert sessions.wait_seconds(tmp_path, "someone-else", "198.51.100.99", NOW) == 0


def test_throttle_entries_are_forgotten_after_a_day(tmp_path):
    sessions.record_attempt(tmp_path, "admin", "10.0.0.1", ok=False, now=NOW)
    sessions.record_attempt(tmp_path, "other", "10.0.0.2", ok=False, now=NOW + dt.timedelta(days=2))
    assert "admin" not in (tmp_path / sessions.THROTTLE).read_text()


def users_with(password="right-password-1", **extra):
    from lib.access import users
    return {"usernames": {"tanaka": {"name": "田中", "password": users.hash_password(password), **extra}}}


HELD_BACK = [("10.0.0.7", 0)] * sessions.FREE_ATTEMPTS          # three failures from this address


@pytest.mark.parametrize("history, username, password, outcome", [
    ([], "tanaka", "right-password-1", sessions.OK),
    ([], "tanaka", "wrong-password-1", sessions.WRONG),
    ([], "nobody", "right-password-1", sessions.WRONG),
    ([], "tanaka", "", sessions.EMPTY),
    ([], "", "right-password-1", sessions.EMPTY),
    ([], " tanaka ", "right-password-1", sessions.OK),
    (HELD_BACK, "tanaka", "right-password-1", sessions.HELD),      # the right password, too soon
    (HELD_BACK, "tanaka", "wrong-password-1", sessions.HELD),      # and a wrong one: the same answer
    (HELD_BACK, "nobody", "x" * 20, sessions.WRONG),               # another user is not held
])
def test_an_attempt_checks_the_hold_before_the_password(tmp_path, history, username, password, outcome):
    for address, _ in history:
        sessions.record_attempt(tmp_path, "tanaka", address, ok=False, now=NOW)
    credentials = users_with()
    result = sessions.attempt(tmp_path, credentials, username, password, "10.0.0.7", KEY, 8, NOW)
    assert result.outcome == outcome
    assert (result.token is not None) == (outcome == sessions.OK)
    if outcome == sessions.HELD:       # nothing in the answer tells a right password from a wrong one
        assert (result.token, result.expires, result.failures) == (None, None, 0) and result.wait > 0
    if outcome == sessions.OK:
        check = sessions.check_cookie(result.token, KEY, credentials, set(), NOW)
        assert check.username == "tanaka" and check.expires == NOW + dt.timedelta(hours=8)


def test_a_held_attempt_never_looks_at_the_password(tmp_path, monkeypatch):
    for _ in range(sessions.FREE_ATTEMPTS):
        sessions.record_attempt(tmp_path, "tanaka", "10.0.0.7", ok=False, now=NOW)
    looked = []
    monkeypatch.setattr(sessions, "password_matches", lambda *a: looked.append(a) or True)
    assert sessions.attempt(tmp_path, users_with(), "tanaka", "right-password-1", "10.0.0.7", KEY, 8, NOW).outcome \
        == sessions.HELD
    assert looked == []


def test_a_disabled_user_cannot_sign_in_with_the_right_password(tmp_path):
    result = sessions.attempt(tmp_path, users_with(disabled=True), "tanaka", "right-password-1", None, KEY, 8, NOW)
    assert result.outcome == sessions.WRONG and result.token is None


def test_every_sign_in_has_its_own_token_and_signing_one_out_leaves_the_other(tmp_path):
    stored = CREDENTIALS["usernames"]["admin"].get("password")
    first, _ = sessions.issue("admin", KEY, NOW, 8, stored)
    second, _ = sessions.issue("admin", KEY, NOW, 8, stored)
    assert first != second
    sessions.revoke(tmp_path, first, NOW + dt.timedelta(hours=8), NOW)
    revoked = sessions.revoked(tmp_path, NOW)
    assert sessions.check_cookie(first, KEY, CREDENTIALS, revoked, NOW).reason == "signed out"
    assert sessions.check_cookie(second, KEY, CREDENTIALS, revoked, NOW).username == "admin"


def test_a_new_password_ends_every_sign_in_made_with_the_old_one():
    """streamlit-authenticator #195: still signed in after a password change. Here the token carries a
    mark of the password it was issued under."""
    from lib.access import users
    stored = users.hash_password("the-old-password-1")
    credentials = {"usernames": {"admin": {"name": "a", "password": stored}}}
    token, _ = sessions.issue("admin", KEY, NOW, 8, stored)
    assert sessions.check_cookie(token, KEY, credentials, set(), NOW).username == "admin"
    changed = {"usernames": {"admin": {"name": "a", "password": users.hash_password("a-new-password-1")}}}
    assert sessions.check_cookie(token, KEY, changed, set(), NOW).reason == "password changed"
    assert stored not in jwt.decode(token, KEY, algorithms=["HS256"]).values()        # never the hash itself


def test_state_files_are_private(tmp_path):
    import stat
    where = tmp_path / "state"
    sessions.record_attempt(where, "admin", "10.0.0.1", ok=False, now=NOW)
    sessions.revoke(where, GOOD, None, NOW)
    assert stat.S_IMODE(where.stat().st_mode) == 0o700
    for name in (sessions.THROTTLE, sessions.REVOKED):
        assert stat.S_IMODE((where / name).stat().st_mode) == 0o600, name


# ---------------------------------------------------------------- the client address

FORWARDED = [("X-Forwarded-For", "203.0.113.7")]


@pytest.mark.parametrize("remote, headers, trusted, server_trust, expected", [
    (None, [], "", "127.0.0.1,::1", "127.0.0.1"),                              # on this machine, no proxy
    ("10.0.0.5", [], "", "127.0.0.1,::1", "10.0.0.5"),                          # a PC on the office network
    # uvicorn believed a header sent straight to it on 127.0.0.1: the town trusts no proxy → the peer
    ("203.0.113.7", FORWARDED, "", "127.0.0.1,::1", "127.0.0.1"),
    ("203.0.113.7", [("x-forwarded-for", "1.2.3.4, 203.0.113.7")], "", "127.0.0.1,::1", "127.0.0.1"),
    # a PC on the network sending the header itself: uvicorn did not believe it, nor do we
    ("10.0.0.5", FORWARDED, "", "127.0.0.1,::1", "10.0.0.5"),
    # nginx on this machine, configured as trusted: the address it wrote
    ("203.0.113.7", FORWARDED, "127.0.0.1", "127.0.0.1,::1", "203.0.113.7"),
    ("203.0.113.7", [("X-Forwarded-For", "6.6.6.6, 203.0.113.7")], "127.0.0.1", "127.0.0.1,::1", "203.0.113.7"),
    # a proxy on another machine that uvicorn does not trust but the town does
    ("10.0.0.2", FORWARDED, "10.0.0.0/24", "127.0.0.1,::1", "203.0.113.7"),
    ("10.0.0.2", [("X-Forwarded-For", "10.0.0.9:5000")], "10.0.0.2", "127.0.0.1,::1", "10.0.0.9"),
    # uvicorn told to trust everyone (FORWARDED_ALLOW_IPS=*), the town nobody
    ("6.6.6.6", [("X-Forwarded-For", "6.6.6.6")], "", "*", "*"),
])
def test_the_client_address_believes_only_a_configured_proxy(remote, headers, trusted, server_trust, expected):
    from lib.access.clients import client_address
    assert client_address(remote, headers, trusted, server_trust) == expected
