"""Who may sign in: a YAML file of users (bcrypt-hashed passwords), and a command to manage it.

    python -m lib.access.users add tanaka --name "田中（包括）" --role 機関職員 --agency 地域包括支援センター
    python -m lib.access.users passwd tanaka
    python -m lib.access.users list
    python -m lib.access.users remove tanaka

The file's path: --file, else TSUNAGU_USERS_FILE. Passwords are asked for without echo (or read
from standard input with --password-stdin) and stored only as bcrypt hashes.
"""
from __future__ import annotations

import argparse
import getpass
import os
import sys
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


def _read_password(stdin: bool) -> str:
    if stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("パスワード: ")
    if getpass.getpass("もう一度: ") != first:
        raise ValueError("パスワードが一致しません")
    return first


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lib.access.users", description="つなぐボードのユーザー管理")
    parser.add_argument("--file", default=settings.get("users_file") or None, help="ユーザーのファイル（YAML）")
    sub = parser.add_subparsers(dest="command", required=True)
    add = sub.add_parser("add", help="ユーザーを追加（同じ名前なら上書き）")
    add.add_argument("username")
    add.add_argument("--name", required=True)
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--agency", default="")
    add.add_argument("--password-stdin", action="store_true")
    pw = sub.add_parser("passwd", help="パスワードを変更")
    pw.add_argument("username")
    pw.add_argument("--password-stdin", action="store_true")
    rm = sub.add_parser("remove", help="ユーザーを削除")
    rm.add_argument("username")
    sub.add_parser("list", help="ユーザーの一覧（パスワードは出しません）")
    for command, words in (("disable", "使えなくする（サインイン中の人もすぐに切れます）"), ("enable", "使えるように戻す")):
        sub.add_parser(command, help=f"ユーザーを{words}").add_argument("username")
    args = parser.parse_args(argv)
    if not args.file:
        print("ユーザーのファイルを --file か TSUNAGU_USERS_FILE で指定してください", file=sys.stderr)
        return 2
    path = Path(args.file)
    try:
        config = load(path) if path.exists() else {"credentials": {"usernames": {}}}
        users = config["credentials"]["usernames"]
        if args.command == "list":
            for name in users:
                u = user(config, name)
                print(f"{u.username}\t{u.name}\t{u.role or '（役割なし）'}\t{u.agency or ''}")
            return 0
        if args.command in ("passwd", "disable", "enable") and args.username not in users:
            print(f"{args.username} というユーザーはいません", file=sys.stderr)
            return 1
        if args.command == "remove":
            users.pop(args.username, None)
        elif args.command in ("disable", "enable"):
            users[args.username]["disabled"] = args.command == "disable"
        elif args.command == "add":
            check_username(args.username)
            users[args.username] = {"name": args.name, "password": hash_password(_read_password(args.password_stdin)),
                                    "roles": [args.role], "agency": args.agency or None}
        elif args.command == "passwd":
            users[args.username]["password"] = hash_password(_read_password(args.password_stdin))
            users[args.username].pop("failed_login_attempts", None)
        save(config, path)
    except (UsersFileError, ValueError) as e:
        print(str(e), file=sys.stderr)
        return 1
    print(f"{path} を更新しました")
    return 0


if __name__ == "__main__":
    sys.exit(main())


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


class AuthConfigError(Exception):
    """Sign-in is not set up safely; the app must not start outside demo mode."""


def auth_settings(env, secrets, sample_open: bool) -> AuthSettings:
    """Where users are and the cookie key: TSUNAGU_USERS_FILE / TSUNAGU_COOKIE_KEY, or secrets
    [auth] users_file / cookie_key. Demo mode = the sample town with no users file configured."""
    users_file = settings.get("users_file", env, secrets)
    key = settings.get("cookie_key", env, secrets)
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
    return AuthSettings(Path(users_file), key, False, hours)
