"""`python -m lib.access.users`: the users file from a terminal (lib.access.users says what each
command does; `import` takes a streamlit-authenticator config.yaml whole, lib.access.stauth)."""
from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from lib import settings
from lib.access.users import (ROLES, UsersFileError, add, load, remove, save, set_disabled, set_password, user)


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
    adding = sub.add_parser("add", help="ユーザーを追加（同じ名前なら上書き）")
    adding.add_argument("username")
    adding.add_argument("--name", required=True)
    adding.add_argument("--role", required=True, choices=ROLES)
    adding.add_argument("--agency", default="")
    adding.add_argument("--password-stdin", action="store_true")
    pw = sub.add_parser("passwd", help="パスワードを変更")
    pw.add_argument("username")
    pw.add_argument("--password-stdin", action="store_true")
    rm = sub.add_parser("remove", help="ユーザーを削除")
    rm.add_argument("username")
    sub.add_parser("list", help="ユーザーの一覧（パスワードは出しません）")
    taking = sub.add_parser("import", help="streamlit-authenticator の config.yaml のユーザーを取り込む")
    taking.add_argument("config", type=Path)
    taking.add_argument("--role", action="append", default=[], metavar="元の役割=役割",
                        help="このアプリにない役割をどうするか（例: viewer=閲覧。取り込まないなら viewer=-）")
    taking.add_argument("--agency", action="append", default=[], metavar="元の機関=所属機関",
                        help="所属機関の読み替え（ユーザー名=所属機関 でもよい）")
    taking.add_argument("--given-name-first", action="store_true", help="名前を「名 姓」にする（既定は「姓 名」）")
    taking.add_argument("--yes", action="store_true", help="確かめずに保存する")
    for command, words in (("disable", "使えなくする（サインイン中の人もすぐに切れます）"), ("enable", "使えるように戻す")):
        sub.add_parser(command, help=f"ユーザーを{words}").add_argument("username")
    args = parser.parse_args(argv)
    if not args.file:
        print("ユーザーのファイルを --file か TSUNAGU_USERS_FILE で指定してください", file=sys.stderr)
        return 2
    path = Path(args.file)
    if args.command == "import":
        return _import(path, args)
    try:
        config = load(path) if path.exists() else {"credentials": {"usernames": {}}}
        users = config["credentials"]["usernames"]
        if args.command == "list":
            for name in users:
                u = user(config, name)
                print(f"{u.username}\t{u.name}\t{u.role or '（役割なし）'}\t{u.agency or ''}")
            return 0
        if args.command == "remove":
            remove(config, args.username)
        elif args.command in ("disable", "enable"):
            set_disabled(config, args.username, args.command == "disable")
        elif args.command == "add":
            add(config, args.username, name=args.name, role=args.role, agency=args.agency or None,
                password=_read_password(args.password_stdin), replace=True)   # the CLI's add replaces
        elif args.command == "passwd":
            set_password(config, args.username, _read_password(args.password_stdin))
        save(config, path)
    except (UsersFileError, ValueError) as e:
        print(str(e), file=sys.stderr)
        return 1
    print(f"{path} を更新しました")
    return 0


def _import(path: Path, args) -> int:
    from lib.access import stauth

    def ask(question: str) -> str | None:
        if not sys.stdin.isatty():
            return None
        try:
            return input(question)
        except EOFError:
            return None
    try:
        return stauth.run_import(path, args.config, roles=args.role, agencies=args.agency,
                                 order=stauth.GIVEN_FIRST if args.given_name_first else stauth.FAMILY_FIRST,
                                 yes=args.yes, known_agencies=_town_agencies(), ask=ask, out=print)
    except (UsersFileError, ValueError) as e:
        print(str(e), file=sys.stderr)
        return 1


def _town_agencies() -> list[str] | None:
    """The 機関 tab of the configured workbook (None when it cannot be read here)."""
    try:
        from lib.workbook import sources
        return list(sources.load(sources.resolve()).workbook["機関"]["機関名"])
    except Exception:       # noqa: BLE001 — the import goes on without the check, and says so
        return None


if __name__ == "__main__":
    sys.exit(main())
