"""The first start of a real town: no users file yet and not the demo. A one-time setup code (printed
on the server's console and kept, 0600, in the state folder) lets the first person make the first
管理者; the cookie key is generated and kept (0600) when none is configured. No default password
ever exists outside the demo town."""
from __future__ import annotations

import datetime as dt
import hmac
import secrets
from pathlib import Path

from lib.access import state

CODE_FILE = "setup_code.json"
KEY_FILE = "cookie_key.txt"
# A setup code works this long after it was made (a restart makes a new one when it has expired):
CODE_HOURS = 24
# The throttle's name for attempts at the setup code (counted like sign-in attempts):
THROTTLE_NAME = "（初期設定コード）"


def code(where: Path, now: dt.datetime) -> tuple[str, dt.datetime, bool]:
    """The setup code in force (made now when there is none or it expired): (code, expiry, new)."""
    kept = state.read_json(where, CODE_FILE, {})
    try:
        expires = dt.datetime.fromisoformat(kept["expires"])
        if expires > now and isinstance(kept.get("code"), str):
            return kept["code"], expires, False
    except (KeyError, TypeError, ValueError):
        pass
    digits = f"{secrets.randbelow(10 ** 8):08d}"
    made, expires = f"{digits[:4]}-{digits[4:]}", now + dt.timedelta(hours=CODE_HOURS)
    state.write_json(where, CODE_FILE, {"code": made, "expires": expires.isoformat(timespec="seconds")})
    return made, expires, True


def announce(where: Path, now: dt.datetime) -> str:
    """The line the server prints on its console for the person setting the town up (a code is
    made when none is in force)."""
    made, expires, _ = code(where, now)
    return (f"つなぐボードの初期設定コード: {made}（{expires:%m月%d日 %H:%M} まで・一度だけ使えます）。"
            f"ブラウザでつなぐボードを開き、このコードで最初の管理者を作ってください。（{where / CODE_FILE} にもあります）")


def check(where: Path, typed: str, now: dt.datetime) -> bool:
    """Whether `typed` is the setup code in force (compared in constant time; an expired or used code is not)."""
    kept = state.read_json(where, CODE_FILE, {})
    try:
        if dt.datetime.fromisoformat(kept["expires"]) <= now:
            return False
        return hmac.compare_digest(str(kept["code"]).replace("-", ""), (typed or "").strip().replace("-", ""))
    except (KeyError, TypeError, ValueError):
        return False


def used(where: Path) -> None:
    """The code has made the first 管理者: it works no more."""
    try:
        (where / CODE_FILE).unlink()
    except OSError:
        state.write_json(where, CODE_FILE, {})


def cookie_key(where: Path) -> str:
    """The cookie key kept in the state folder, made (48 random bytes, 0600) the first time."""
    try:
        kept = (where / KEY_FILE).read_text(encoding="utf-8").strip()
        if len(kept.encode()) >= 32:
            return kept
    except OSError:
        pass
    made = secrets.token_urlsafe(48)
    if not state.write_text(where, KEY_FILE, made):
        raise OSError(f"クッキー鍵を書き込めません（{where / KEY_FILE}）")
    return made
