"""Sessions: signing in (the hold is checked before the password), the sign-in token each session
lives on, sign-outs that end a token for good, and throttled attempts per user and address.

A sign-in issues one token {username, exp_date, jti} (HS256 with the town's cookie key), stored as
the browser's re-login cookie and kept by the session that signed in. Every rerun of every session
checks its token here again: a token that does not decode as HS256 with the town's key, names a
user who is not (or no longer) in the users file or is disabled, carries an exp_date that is not a
time in the future, was signed out, or was issued under a password since changed (by its owner in
another tab, or reset by a 管理者), ends the session and the person sees the sign-in form.
exp_date is fixed at sign-in, so a session ends at an absolute time whatever the number of tabs.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from dataclasses import dataclass

from lib import state

REVOKED = "revoked.json"
THROTTLE = "throttle.json"
# Failed attempts allowed before delays start, and how the delay grows (seconds):
FREE_ATTEMPTS = 3
FIRST_DELAY_SECONDS = 2
MAX_DELAY_SECONDS = 15 * 60
# Failed attempts for one user from all addresses together before that user is held everywhere
# (a cap no change of address resets; the same growing delays follow):
USER_FREE_ATTEMPTS = 10
# Throttle entries untouched for this long are forgotten (the file stays small):
FORGET_AFTER = dt.timedelta(days=1)


@dataclass(frozen=True)
class CookieCheck:
    """What a re-login cookie is worth: the user it signs in (None: ignore it) and when it ends."""

    username: str | None
    expires: dt.datetime | None = None
    reason: str = ""


def fingerprint(token: str) -> str:
    """A cookie as stored in the revocation list (never the cookie itself)."""
    return hashlib.sha256(token.encode()).hexdigest()


def password_mark(stored_hash: str | None) -> str:
    """What a token carries of the password it was issued under: a short digest of the stored bcrypt
    hash (never the hash), so that a new password ends every sign-in made with the old one."""
    return hashlib.sha256((stored_hash or "").encode()).hexdigest()[:16]


def issue(username: str, key: str, now: dt.datetime, hours: float, stored_hash: str | None = None) -> tuple[str, dt.datetime]:
    """A new sign-in token for `username`, valid until now + hours (a random jti makes every
    sign-in's token its own, so signing out one never ends another), marked with the password it
    was issued under (`stored_hash`, the users file's)."""
    import jwt
    expires = now + dt.timedelta(hours=hours)
    token = jwt.encode({"username": username, "exp_date": expires.timestamp(), "jti": secrets.token_urlsafe(16),
                        "pw": password_mark(stored_hash)}, key, algorithm="HS256")
    return token, expires


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
    if "pw" in payload and payload["pw"] != password_mark(credentials["usernames"][username].get("password")):
        return CookieCheck(None, reason="password changed")       # (a token of before this mark: until it expires)
    return CookieCheck(username, expires)


def _revocations(found, now: dt.datetime) -> dict[str, float]:
    """Fingerprint → expiry of signed-out cookies that have not expired yet."""
    return {f: until for f, until in (found if isinstance(found, dict) else {}).items()
            if isinstance(until, (int, float)) and until > now.timestamp()}


def revoked(where: state.Where, now: dt.datetime) -> set[str]:
    """Fingerprints of signed-out cookies that have not expired yet (shared by every server process)."""
    return set(_revocations(state.store(where).read(REVOKED, {}), now))


def revoke(where: state.Where, token: str | None, expires: dt.datetime | None, now: dt.datetime) -> bool:
    """Add a cookie to the revocation list (until it would have expired anyway); prunes old ones.
    False when the shared state cannot be written."""
    if not token:
        return True

    def add(found):
        kept = _revocations(found, now)
        kept[fingerprint(token)] = (expires or now + dt.timedelta(days=2)).timestamp()
        return kept
    try:
        state.store(where).update(REVOKED, add, {})
    except state.StateUnavailable:
        return False
    return True


# ---------------------------------------------------------------- throttling sign-in attempts

def delay_after(failures: int, free: int = FREE_ATTEMPTS) -> int:
    """Seconds to wait before the next attempt after `failures` failed ones: none for the first
    `free`, then doubling (2, 4, 8 …) up to MAX_DELAY_SECONDS."""
    if failures < free:
        return 0
    return min(MAX_DELAY_SECONDS, FIRST_DELAY_SECONDS * 2 ** min(failures - free, 20))


# The throttle's address for the bucket that counts one user's failures from every address:
EVERYWHERE = "*"


def throttle_key(username: str, address: str | None) -> str:
    """Failures count per user *and* client address (a wrong password typed elsewhere does not
    hold back the real user at their desk), and per user from everywhere (EVERYWHERE)."""
    return json.dumps([username, address or "?"])     # any typed name is safe as a key (no NUL in PostgreSQL)


def _entry_wait(entry, free: int, now: dt.datetime) -> int:
    if not isinstance(entry, dict):
        return 0
    try:
        last = dt.datetime.fromisoformat(entry["last"])
        failures = int(entry["failures"])
    except (KeyError, TypeError, ValueError):
        return 0
    remaining = delay_after(failures, free) - (now - last).total_seconds()
    return max(0, int(remaining + 0.999))


def wait_seconds(where: state.Where, username: str, address: str | None, now: dt.datetime) -> int:
    """How long this user at this address must still wait before trying again (0: go ahead): the
    longer of this address's hold and the user's hold from all addresses together."""
    data = state.store(where).read(THROTTLE, {})
    data = data if isinstance(data, dict) else {}
    return max(_entry_wait(data.get(throttle_key(username, address)), FREE_ATTEMPTS, now),
               _entry_wait(data.get(throttle_key(username, EVERYWHERE)), USER_FREE_ATTEMPTS, now))


def record_attempt(where: state.Where, username: str, address: str | None, ok: bool, now: dt.datetime) -> int:
    """Count a failed attempt for this address and for the user everywhere (or clear this
    address's count on success; the user's count from everywhere is cleared too, since the right
    password was given without a hold); returns this address's failures so far. The count is one
    atomic change of the shared state: attempts on several server processes at once all count."""
    counted = [0]

    def count(found):
        data = {k: v for k, v in (found if isinstance(found, dict) else {}).items()
                if isinstance(v, dict) and _recent(v, now)}
        counted[0] = 0
        for key in (throttle_key(username, address), throttle_key(username, EVERYWHERE)):
            if ok:
                data.pop(key, None)
                continue
            failures = int((data.get(key) or {}).get("failures", 0)) + 1
            data[key] = {"failures": failures, "last": now.isoformat(timespec="seconds")}
            counted[0] = counted[0] or failures
        return data
    state.store(where).update(THROTTLE, count, {})
    return counted[0]


def _recent(entry: dict, now: dt.datetime) -> bool:
    try:
        return now - dt.datetime.fromisoformat(entry["last"]) < FORGET_AFTER
    except (KeyError, TypeError, ValueError):
        return False


# ---------------------------------------------------------------- one sign-in attempt

HELD, WRONG, OK, EMPTY = "held", "wrong", "ok", "empty"


@dataclass(frozen=True)
class Attempt:
    """What one press of サインイン came to: OK (with the new token), WRONG, HELD (with the seconds
    still to wait; the password was not looked at) or EMPTY (nothing typed; not counted)."""

    outcome: str
    username: str
    wait: int = 0
    failures: int = 0
    token: str | None = None
    expires: dt.datetime | None = None


def attempt(where: state.Where, credentials: dict, username: str, password: str, address: str | None,
            key: str, hours: float, now: dt.datetime) -> Attempt:
    """One sign-in attempt. The hold is checked first: while a user is held back, the password is
    never checked and no token is made, so the answer is the same for a right and a wrong one (it is
    counted as a failure). Unknown users are checked against a dummy hash (same time as a real one)."""
    username = (username or "").strip()
    if not username or not password:
        return Attempt(EMPTY, username)
    held = wait_seconds(where, username, address, now)
    if held:
        record_attempt(where, username, address, ok=False, now=now)
        return Attempt(HELD, username, wait=held)
    entry = (credentials.get("usernames") or {}).get(username)
    if not (password_matches(entry.get("password") if isinstance(entry, dict) else None, password)
            and not entry.get("disabled")):
        failures = record_attempt(where, username, address, ok=False, now=now)
        return Attempt(WRONG, username, failures=failures, wait=wait_seconds(where, username, address, now))
    record_attempt(where, username, address, ok=True, now=now)
    token, expires = issue(username, key, now, hours, entry.get("password"))
    return Attempt(OK, username, token=token, expires=expires)


_DUMMY_HASH: list[bytes] = []


def password_matches(stored: str | None, password: str) -> bool:
    """bcrypt check of a typed password against a stored hash; a missing or malformed hash is
    checked against a dummy one so that the time taken says nothing about the user."""
    import bcrypt
    typed = password.encode("utf-8")[:72]          # bcrypt reads at most 72 bytes
    try:
        hashed = stored.encode() if isinstance(stored, str) and stored.startswith("$2") else None
        if hashed is not None:
            return bcrypt.checkpw(typed, hashed)
    except ValueError:
        pass
    if not _DUMMY_HASH:
        _DUMMY_HASH.append(bcrypt.hashpw(b"tsunagu-dummy", bcrypt.gensalt()))
    bcrypt.checkpw(typed, _DUMMY_HASH[0])
    return False
