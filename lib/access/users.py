"""Who may sign in: a YAML file of users (bcrypt-hashed passwords), and a command to manage it.

    python -m lib.access.users add tanaka --name "田中（包括）" --role 機関職員 --agency 地域包括支援センター
    python -m lib.access.users passwd tanaka
    python -m lib.access.users list
    python -m lib.access.users remove tanaka
    python -m lib.access.users import config.yaml      # a streamlit-authenticator file, whole (lib.access.stauth)

The file's path: --file, else TSUNAGU_USERS_FILE. Passwords are asked for without echo (or read
from standard input with --password-stdin) and stored only as bcrypt hashes.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from lib import settings

ROLES = ("管理者", "多機関協働", "機関職員", "閲覧")
ADMIN, COORDINATOR, STAFF, VIEWER = ROLES
DEMO_USERS_FILE = Path(__file__).resolve().parents[2] / "sample_data" / "demo_users.yaml"
MIN_PASSWORD_LENGTH = 10


class UsersFileError(Exception):
    """The users file is missing or not in the expected shape."""


@dataclass(frozen=True)
class User:
    username: str
    name: str
    role: str | None
    agency: str | None


def load(path: str | Path) -> dict:
    """The users file as streamlit-authenticator's config: {"credentials": {"usernames": {...}}}."""
    import yaml
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise UsersFileError(f"ユーザーのファイルが見つかりません: {path}") from None
    except yaml.YAMLError as e:
        raise UsersFileError(f"ユーザーのファイルを読めません: {path}（{e.__class__.__name__}）") from None
    users = (data.get("credentials") or {}).get("usernames")
    if not isinstance(users, dict):
        raise UsersFileError(f"ユーザーのファイルに credentials: usernames: がありません: {path}")
    return data


def user(config: dict, username: str) -> User | None:
    """One user's name, role and 機関 (first known role of the roles list)."""
    entry = config["credentials"]["usernames"].get(username)
    if entry is None:
        return None
    role = next((r for r in entry.get("roles") or [] if r in ROLES), None)
    return User(username, entry.get("name") or username, role, entry.get("agency") or None)


def save(config: dict, path: str | Path) -> None:
    import yaml
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(config, allow_unicode=True, sort_keys=False)
    temp = path.with_suffix(path.suffix + ".tmp")
    temp.write_text(text, encoding="utf-8")
    os.chmod(temp, 0o600)                   # password hashes: readable by the app's account only
    os.replace(temp, path)


def check_username(username: str) -> None:
    """Refuse a username the log or a cookie could be confused by (spaces, newlines, control characters)."""
    import unicodedata
    if not username or any(c.isspace() or unicodedata.category(c).startswith("C") for c in username):
        raise ValueError("ユーザー名に空白・改行・制御文字は使えません")
    if len(username) > 64:
        raise ValueError("ユーザー名は64文字までにしてください")


def hash_password(password: str) -> str:
    """bcrypt hash (the form streamlit-authenticator checks)."""
    import bcrypt
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"パスワードは{MIN_PASSWORD_LENGTH}文字以上にしてください")
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt()).decode()


# ---------------------------------------------------------------- managing users (the CLI and the 管理 screen)

class UserChangeRefused(ValueError):
    """A change to the users that may not be made (said in Japanese)."""


def _entry(config: dict, username: str) -> dict:
    entry = config["credentials"]["usernames"].get(username)
    if entry is None:
        raise UserChangeRefused(f"{username} というユーザーはいません")
    return entry


# Why the last 管理者 may not be stopped, removed or given another role:
LAST_ADMIN = "最後の管理者{}（先にほかの管理者を作ってください）"


def standing(config: dict, username: str) -> tuple:
    """What a 管理者's screen shows of a user and decides from: (役割, 所属機関, 停止中)."""
    entry = _entry(config, username)
    return ((entry.get("roles") or [None])[0], entry.get("agency") or None, bool(entry.get("disabled")))


def _unchanged_since(config: dict, username: str, drawn: tuple | None) -> None:
    """Refuse a change when another 管理者 changed the user after this screen was drawn (`drawn`: standing then)."""
    if drawn is None:
        return
    now = standing(config, username)
    if now != tuple(drawn):
        labels = ("役割", "所属機関", "停止中")
        what = "、".join(f"{label}: {shown(a)} → {shown(b)}" for label, a, b in zip(labels, drawn, now) if a != b)
        raise UserChangeRefused(f"ほかの管理者がこの画面を開いた後に {username} を変えました（{what}）。"
                                "いまの内容を確かめてから、もう一度してください")


def shown(value) -> str:
    """A user's field as the 管理者's screen and the audit log show it."""
    return "はい" if value is True else "いいえ" if value is False else value or "（なし）"


def is_last_admin(config: dict, username: str) -> bool:
    """Whether `username` is the only usable (enabled) 管理者 left (who may not be stopped, removed
    or given another role)."""
    admins = [n for n, e in config["credentials"]["usernames"].items()
              if ADMIN in (e.get("roles") or []) and not e.get("disabled")]
    return admins == [username]


def temporary_password() -> str:
    """A password to hand over once (12 letters and digits, no look-alikes); changed at first sign-in."""
    import secrets
    letters = "abcdefghjkmnpqrstuvwxyzACDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(letters) for _ in range(12))


def add(config: dict, username: str, *, name: str, role: str, agency: str | None, password: str | None = None,
        replace: bool = False) -> str:
    """Add a user (refused when the name is taken, unless `replace`: the CLI's add); returns the
    password to hand over (a temporary one, to be changed at the first sign-in, when none is given)."""
    check_username(username)
    if username in config["credentials"]["usernames"] and not replace:
        raise UserChangeRefused(f"{username} というユーザーはもういます")
    if role not in ROLES:
        raise UserChangeRefused(f"役割は {'・'.join(ROLES)} から選んでください")
    if role == STAFF and not agency:
        raise UserChangeRefused("機関職員には所属機関が要ります")
    if not (name or "").strip():
        raise UserChangeRefused("名前を入れてください")
    given = password or temporary_password()
    config["credentials"]["usernames"][username] = {
        "name": name.strip(), "password": hash_password(given), "roles": [role], "agency": agency or None,
        **({} if password else {"must_change": True})}
    return given


def reset_password(config: dict, username: str) -> str:
    """A new temporary password for a user (to be changed at the next sign-in); returns it."""
    entry = _entry(config, username)
    given = temporary_password()
    entry.update(password=hash_password(given), must_change=True)
    return given


def set_password(config: dict, username: str, password: str) -> None:
    """A password the user chose (the strength rule of hash_password)."""
    entry = _entry(config, username)
    entry["password"] = hash_password(password)
    entry.pop("must_change", None)
    entry.pop("failed_login_attempts", None)


def change_own_password(config: dict, username: str, current: str, new: str, again: str) -> None:
    """A signed-in user's own change: the current password, then the new one twice."""
    from lib.access.sessions import password_matches
    entry = _entry(config, username)
    if not password_matches(entry.get("password"), current or ""):
        raise UserChangeRefused("いまのパスワードが違います")
    if new != again:
        raise UserChangeRefused("新しいパスワードが2回で同じではありません")
    if new == current:
        raise UserChangeRefused("いまと違うパスワードにしてください")
    set_password(config, username, new)


def set_disabled(config: dict, username: str, disabled: bool, drawn: tuple | None = None) -> None:
    """Disable (every session of the user ends at its next move) or enable a user."""
    entry = _entry(config, username)
    _unchanged_since(config, username, drawn)
    if disabled and is_last_admin(config, username):
        raise UserChangeRefused(LAST_ADMIN.format("は止められません"))
    entry["disabled"] = disabled


def remove(config: dict, username: str, drawn: tuple | None = None) -> None:
    """Remove a user (their sessions end at their next move); never the last 管理者."""
    _entry(config, username)
    _unchanged_since(config, username, drawn)
    if is_last_admin(config, username):
        raise UserChangeRefused(LAST_ADMIN.format("は削除できません"))
    del config["credentials"]["usernames"][username]


def change(config: dict, username: str, *, role: str, agency: str | None, name: str | None = None,
           drawn: tuple | None = None) -> None:
    """Change a user's role, 所属機関 (and name); the last 管理者 keeps the role. With `drawn` (the
    user's standing as the screen showed it), refused when another 管理者 changed it meanwhile."""
    entry = _entry(config, username)
    _unchanged_since(config, username, drawn)
    if role not in ROLES:
        raise UserChangeRefused(f"役割は {'・'.join(ROLES)} から選んでください")
    if role != ADMIN and is_last_admin(config, username):
        raise UserChangeRefused(LAST_ADMIN.format("の役割は変えられません"))
    if role == STAFF and not agency:
        raise UserChangeRefused("機関職員には所属機関が要ります")
    entry.update(roles=[role], agency=agency or None)
    if name and name.strip():
        entry["name"] = name.strip()


def must_change(config: dict, username: str) -> bool:
    """Whether the user signed in with a temporary password that must be changed first."""
    entry = config["credentials"]["usernames"].get(username) or {}
    return bool(entry.get("must_change"))


if __name__ == "__main__":          # python -m lib.access.users: the command, in lib/access/users_command.py
    import runpy
    runpy.run_module("lib.access.users_command", run_name="__main__")


# ---------------------------------------------------------------- sign-in settings

# Used only in demo mode (the sample town with its demo users); refused anywhere else:
DEMO_COOKIE_KEY = "tsunagu-board-demo-cookie-key-not-for-real-use"
MIN_COOKIE_KEY_BYTES = 32
COOKIE_NAME = "tsunagu_board_auth"
# Failed sign-ins before a user is locked out, and for how long:
# A sign-in lasts this long (the re-login cookie and the session both):
DEFAULT_SESSION_HOURS = 8


@dataclass(frozen=True)
class AuthSettings:
    users_file: Path
    cookie_key: str = field(repr=False)
    demo: bool
    session_hours: float = DEFAULT_SESSION_HOURS
    setup: bool = False          # a real town's first start: no users file yet (lib.access.setup)


class AuthConfigError(Exception):
    """Sign-in is not set up safely; the app must not start outside demo mode."""


# The users file of a town that configured none, in its state folder:
STATE_USERS_FILE = "users.yaml"


def auth_settings(env, secrets, sample_open: bool, state_dir: Path | None = None) -> AuthSettings:
    """Where users are and the cookie key: TSUNAGU_USERS_FILE / TSUNAGU_COOKIE_KEY, or secrets
    [auth] users_file / cookie_key. Demo mode = the sample town with no users file configured (and,
    for the running app, none made in the state folder and the demo setting not `off`).
    With `state_dir` (the running app), a real town that configured neither keeps them there: the
    users file `users.yaml` (its absence is the first start: `setup`) and a generated cookie key."""
    users_file = settings.get("users_file", env, secrets)
    key = settings.get("cookie_key", env, secrets)
    if sample_open and not users_file and state_dir is not None and (
            settings.get("demo", env, secrets) == "off" or (Path(state_dir) / STATE_USERS_FILE).exists()):
        sample_open = False         # a town set up before its workbook is connected: never the demo users
    if state_dir is not None and not (sample_open and not users_file):
        users_file = users_file or str(Path(state_dir) / STATE_USERS_FILE)
        if not key:
            from lib.access import setup
            from lib import state
            key = setup.cookie_key(state.store(Path(state_dir), env, secrets))
    hours_text = settings.get("session_hours", env, secrets)
    try:
        hours = float(hours_text)
    except (TypeError, ValueError):
        raise AuthConfigError(f"TSUNAGU_SESSION_HOURS は時間数で指定してください（今: {hours_text}）") from None
    if not users_file:
        if sample_open:
            return AuthSettings(DEMO_USERS_FILE, key or DEMO_COOKIE_KEY, True, hours)
        raise AuthConfigError("ユーザーのファイルが設定されていません（TSUNAGU_USERS_FILE または secrets.toml の [auth] users_file）。")
    if len(key.encode()) < MIN_COOKIE_KEY_BYTES or key == DEMO_COOKIE_KEY:
        raise AuthConfigError(
            f"サインインのクッキー鍵が設定されていないか、短すぎます（{MIN_COOKIE_KEY_BYTES}バイト以上のでたらめな文字列が必要）。"
            "TSUNAGU_COOKIE_KEY または secrets.toml の [auth] cookie_key に設定してください。"
            "作り方: python -c \"import secrets; print(secrets.token_urlsafe(48))\"")
    return AuthSettings(Path(users_file), key, False, hours, setup=not Path(users_file).exists())
