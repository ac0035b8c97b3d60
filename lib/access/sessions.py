"""Sessions: which re-login cookies the app accepts, sign-outs that end a cookie for good, and
throttled sign-in attempts per user and per address.

streamlit-authenticator signs a cookie {username, exp_date} (HS256) at sign-in and accepts it
until exp_date. The app checks every cookie here first: a cookie that does not decode as HS256
with the town's key, names a user who is not (or no longer) in the users file or is disabled,
carries an exp_date that is not a time in the future, or was signed out, is ignored, and the
person sees the sign-in form. exp_date is fixed at sign-in, so a session ends at an absolute time
whatever the number of tabs.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path

from lib.access import state

REVOKED = "revoked.json"
THROTTLE = "throttle.json"
# Failed attempts allowed before delays start, and how the delay grows (seconds):
FREE_ATTEMPTS = 3
FIRST_DELAY_SECONDS = 2
MAX_DELAY_SECONDS = 15 * 60


@dataclass(frozen=True)
class CookieCheck:
    """What a re-login cookie is worth: the user it signs in (None: ignore it) and when it ends."""

    username: str | None
    expires: dt.datetime | None = None
    reason: str = ""


def fingerprint(token: str) -> str:
    """A cookie as stored in the revocation list (never the cookie itself)."""
    return hashlib.sha256(token.encode()).hexdigest()


def check_cookie(token: str | None, key: str, credentials: dict, revoked: set[str], now: dt.datetime) -> CookieCheck:
    """Whether a re-login cookie may sign someone in (see the module docstring)."""
    import jwt
    if not token:
        return CookieCheck(None, reason="no cookie")
    try:
        payload = jwt.decode(token, key, algorithms=["HS256"])
    except (jwt.PyJWTError, ValueError, TypeError):
        return CookieCheck(None, reason="not signed with the town's key (HS256)")
    if not isinstance(payload, dict):
        return CookieCheck(None, reason="not a sign-in cookie")
    username, exp = payload.get("username"), payload.get("exp_date")
    if not isinstance(username, str) or username not in credentials.get("usernames", {}):
        return CookieCheck(None, reason="unknown user")
    if credentials["usernames"][username].get("disabled"):
        return CookieCheck(None, reason="disabled user")
    if isinstance(exp, bool) or not isinstance(exp, (int, float)):
        return CookieCheck(None, reason="exp_date is not a time")
    try:
        expires = dt.datetime.fromtimestamp(exp)
    except (OverflowError, OSError, ValueError):
        return CookieCheck(None, reason="exp_date out of range")
    if expires <= now:
        return CookieCheck(None, reason="expired")
    if fingerprint(token) in revoked:
        return CookieCheck(None, reason="signed out")
    return CookieCheck(username, expires)


def _revocations(where: Path, now: dt.datetime) -> dict[str, float]:
    """Fingerprint → expiry of signed-out cookies that have not expired yet."""
    return {f: until for f, until in state.read_json(where, REVOKED, {}).items()
            if isinstance(until, (int, float)) and until > now.timestamp()}


def revoked(where: Path, now: dt.datetime) -> set[str]:
    """Fingerprints of signed-out cookies that have not expired yet."""
    return set(_revocations(where, now))


def revoke(where: Path, token: str | None, expires: dt.datetime | None, now: dt.datetime) -> bool:
    """Add a cookie to the revocation list (until it would have expired anyway); prunes old ones."""
    if not token:
        return True
    kept = _revocations(where, now)
    kept[fingerprint(token)] = (expires or now + dt.timedelta(days=2)).timestamp()
    return state.write_json(where, REVOKED, kept)


# ---------------------------------------------------------------- throttling sign-in attempts

def delay_after(failures: int) -> int:
    """Seconds to wait before the next attempt after `failures` failed ones: none for the first
    few, then doubling (2, 4, 8 …) up to MAX_DELAY_SECONDS."""
    if failures < FREE_ATTEMPTS:
        return 0
    return min(MAX_DELAY_SECONDS, FIRST_DELAY_SECONDS * 2 ** (failures - FREE_ATTEMPTS))


def throttle_key(username: str, address: str | None) -> str:
    """Failures count per user *and* client address: a wrong password typed elsewhere does not
    hold back the real user at their desk."""
    return f"{username}\x00{address or '?'}"


def wait_seconds(where: Path, username: str, address: str | None, now: dt.datetime) -> int:
    """How long this user at this address must still wait before trying again (0: go ahead)."""
    entry = state.read_json(where, THROTTLE, {}).get(throttle_key(username, address))
    if not isinstance(entry, dict):
        return 0
    try:
        last = dt.datetime.fromisoformat(entry["last"])
        failures = int(entry["failures"])
    except (KeyError, TypeError, ValueError):
        return 0
    remaining = delay_after(failures) - (now - last).total_seconds()
    return max(0, int(remaining + 0.999))


def record_attempt(where: Path, username: str, address: str | None, ok: bool, now: dt.datetime) -> int:
    """Count a failed attempt (or clear the count on success); returns the failures so far."""
    data = state.read_json(where, THROTTLE, {})
    key = throttle_key(username, address)
    if ok:
        data.pop(key, None)
        failures = 0
    else:
        entry = data.get(key) if isinstance(data.get(key), dict) else {}
        failures = int(entry.get("failures", 0)) + 1
        data[key] = {"failures": failures, "last": now.isoformat(timespec="seconds")}
    state.write_json(where, THROTTLE, data)
    return failures
