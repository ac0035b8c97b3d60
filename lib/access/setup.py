"""The first start of a real town: no users file yet and not the demo. A one-time setup code (printed
on the server's console and kept, 0600, in the state folder) lets the first person make the first
管理者; the cookie key is generated and kept (0600) when none is configured. No default password
ever exists outside the demo town."""
from __future__ import annotations

import datetime as dt
import hmac
import secrets

from lib import state

CODE_FILE = "setup_code.json"
KEY_FILE = "cookie_key.txt"
# A setup code works this long after it was made (a restart makes a new one when it has expired):
CODE_HOURS = 24
# The throttle's name for attempts at the setup code (counted like sign-in attempts):
THROTTLE_NAME = "（初期設定コード）"


def _in_force(kept, now: dt.datetime) -> tuple[str, dt.datetime] | None:
    try:
        expires = dt.datetime.fromisoformat(kept["expires"])
        if expires > now and isinstance(kept.get("code"), str):
            return kept["code"], expires
    except (KeyError, TypeError, ValueError):
        pass
    return None


def code(where: state.Where, now: dt.datetime) -> tuple[str, dt.datetime, bool]:
    """The setup code in force (made now when there is none or it expired): (code, expiry, new).
    Several server processes starting at once agree on one code (made in one change of the shared state)."""
    made = []

    def keep_or_make(kept):
        if _in_force(kept, now):
            return kept
        digits = f"{secrets.randbelow(10 ** 8):08d}"
        made.append(True)
        return {"code": f"{digits[:4]}-{digits[4:]}",
                "expires": (now + dt.timedelta(hours=CODE_HOURS)).isoformat(timespec="seconds")}
    kept = state.store(where).update(CODE_FILE, keep_or_make, {})
    found = _in_force(kept, now)
    return found[0], found[1], bool(made)


def announce(where: state.Where, now: dt.datetime) -> str:
    """The line the server prints on its console for the person setting the town up (a code is
    made when none is in force)."""
    made, expires, _ = code(where, now)
    kept = state.store(where)
    also = f"（{kept.where / CODE_FILE} にもあります）" if isinstance(kept, state.FolderStore) else ""
    return (f"つなぐボードの初期設定コード: {made}（{expires:%m月%d日 %H:%M} まで・一度だけ使えます）。"
            f"ブラウザでつなぐボードを開き、このコードで最初の管理者を作ってください。{also}")


def check(where: state.Where, typed: str, now: dt.datetime) -> bool:
    """Whether `typed` is the setup code in force (compared in constant time; an expired or used code is not)."""
    kept = state.store(where).read(CODE_FILE, {})
    try:
        if dt.datetime.fromisoformat(kept["expires"]) <= now:
            return False
        return hmac.compare_digest(str(kept["code"]).replace("-", ""), (typed or "").strip().replace("-", ""))
    except (KeyError, TypeError, ValueError):
        return False


def used(where: state.Where) -> None:
    """The code has made the first 管理者: it works no more."""
    state.store(where).update(CODE_FILE, lambda kept: {}, {})


def cookie_key(where: state.Where) -> str:
    """The cookie key kept in the shared state (so that every server process accepts the same
    sign-in cookie), made (48 random bytes; a file is 0600) the first time."""
    kept = state.store(where).text(KEY_FILE, lambda: secrets.token_urlsafe(48))
    if len(kept.encode()) < 32:
        raise OSError(f"クッキー鍵が短すぎます（{KEY_FILE}）。消してから起動し直すと作り直します")
    return kept
