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
    for _ in range(10):
        sessions.record_attempt(tmp_path, "admin", "10.0.0.66", ok=False, now=NOW)
    assert sessions.wait_seconds(tmp_path, "admin", "10.0.0.66", NOW) == 256
    assert sessions.wait_seconds(tmp_path, "admin", "127.0.0.1", NOW) == 0
    assert sessions.wait_seconds(tmp_path, "admin", "10.0.0.66", NOW + dt.timedelta(seconds=300)) == 0
    sessions.record_attempt(tmp_path, "admin", "10.0.0.66", ok=True, now=NOW)
    assert sessions.wait_seconds(tmp_path, "admin", "10.0.0.66", NOW) == 0
