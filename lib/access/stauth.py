"""A streamlit-authenticator `config.yaml` taken whole into the users file.

Its users keep their usernames and passwords (bcrypt hashes as they are; a password still in plain
text is hashed now and must be changed at the first sign-in). 名前 is made from `first_name` /
`last_name` (family name first, 「Smith John」, unless the town chooses otherwise) or its `name`.
A role or 所属機関 the app does not know is never dropped in silence: `plan` lists every user with
what they will become and what is still to be chosen; `apply` refuses until it is. Its `cookie:`
section is not used (our key is in the state folder), which `plan` says too.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from lib.access.users import ADMIN, COORDINATOR, ROLES, STAFF, VIEWER, UserChangeRefused, check_username, hash_password

# A role word of streamlit-authenticator's examples → the role it most likely means (proposed, asked):
PROPOSED = {"admin": ADMIN, "administrator": ADMIN, "editor": COORDINATOR, "viewer": VIEWER, "guest": VIEWER,
            "staff": STAFF, "user": STAFF}
LEAVE_OUT = "（取り込まない）"
FAMILY_FIRST, GIVEN_FIRST = "姓 名（Smith John）", "名 姓（John Smith）"
BCRYPT = ("$2a$", "$2b$", "$2y$")
# The library's own bookkeeping, which this app keeps elsewhere (lock-outs, sessions):
NOT_KEPT = ("logged_in", "failed_login_attempts", "password_hint")
IGNORED_SECTIONS = {
    "cookie": "cookie:（名前・鍵・日数）は使いません。サインインの鍵は状態フォルダにあり、続く時間は設定「サインインが続く時間」です。",
    "oauth2": "oauth2:（Google・Microsoft のサインイン）は使いません。",
    "pre-authorized": "pre-authorized:（自分で登録できるメール）は使いません。ユーザーは管理者が作ります。",
    "preauthorized": "preauthorized:（自分で登録できるメール）は使いません。ユーザーは管理者が作ります。",
    "api_key": "api_key: は使いません。",
}


@dataclass
class Incoming:
    """One user of the file and what they will become."""

    username: str
    name: str
    roles: tuple[str, ...]            # as the file gives them
    agency: str | None
    email: str | None
    password: str                     # as the file gives it (a hash, or plain text)
    role: str | None = None           # what they will be (None: still to choose)
    notes: list[str] = field(default_factory=list)

    @property
    def plain_password(self) -> bool:
        return not self.password.startswith(BCRYPT)


@dataclass
class Plan:
    users: list[Incoming]
    said: list[str]                   # what is not taken from the file, and why
    unknown_roles: list[str]          # role words to choose a role for (or LEAVE_OUT)
    unknown_agencies: list[str]       # 所属機関 the 機関 tab does not have


def name_of(entry: dict, order: str = FAMILY_FIRST) -> str:
    first, last = (str(entry.get(k) or "").strip() for k in ("first_name", "last_name"))
    if first or last:
        return " ".join(x for x in ((last, first) if order == FAMILY_FIRST else (first, last)) if x)
    return str(entry.get("name") or "").strip()


def plan(data: dict, existing: dict, agencies: list[str], order: str = FAMILY_FIRST) -> Plan:
    """What importing `data` (a streamlit-authenticator config) into the users file `existing` would do."""
    if not isinstance(data, dict) or not isinstance((data.get("credentials") or {}).get("usernames"), dict):
        raise UserChangeRefused("streamlit-authenticator の config.yaml ではありません（credentials: usernames: がありません）")
    said = [text for key, text in IGNORED_SECTIONS.items() if key in data]
    said += [f"{key}: は使いません。" for key in data if key not in IGNORED_SECTIONS and key != "credentials"]
    known = set(existing["credentials"]["usernames"])
    found, unknown_roles, unknown_agencies = [], [], []
    for username, entry in data["credentials"]["usernames"].items():
        username, entry = str(username), entry or {}
        roles = tuple(str(r) for r in (entry.get("roles") or []))
        one = Incoming(username, name_of(entry, order), roles, entry.get("agency") or None,
                       entry.get("email") or None, str(entry.get("password") or ""))
        ours = [r for r in roles if r in ROLES]
        if ours:
            one.role = ours[0]
        try:
            check_username(username)
        except ValueError as e:
            one.notes.append(f"取り込めません: {e}")
        if username in known:
            one.notes.append("同じユーザー名がもういます（取り込みません）")
        if not one.name:
            one.name = username
            one.notes.append("名前がないので、ユーザー名を名前にします")
        if not one.password:
            one.notes.append("パスワードがないので、仮のパスワードを出します")
        elif one.plain_password:
            one.notes.append("パスワードが暗号化されていないので、いま暗号化します（最初のサインインで変えてもらいます）")
        if one.agency and one.agency not in agencies and one.agency not in unknown_agencies:
            unknown_agencies.append(one.agency)
        if not one.role and not _taken_as_is(one) and _word(one) not in unknown_roles:
            unknown_roles.append(_word(one))        # asked only for users who will come in
        dropped = [k for k in NOT_KEPT if k in entry]
        if dropped:
            one.notes.append(f"{'・'.join(dropped)} は使いません")
        found.append(one)
    return Plan(found, said, unknown_roles, unknown_agencies)


NO_ROLE = "（役割なし）"


def _taken_as_is(one: Incoming) -> bool:
    """Whether a user stays out whatever is chosen (a username that cannot be used, or is taken)."""
    return any(n.startswith(("取り込めません", "同じユーザー名")) for n in one.notes)


def _word(one: Incoming) -> str:
    """The role word that decides a user's role when none of theirs is ours: their first, or （役割なし）."""
    return one.roles[0] if one.roles else NO_ROLE


def role_for(one: Incoming, roles: dict[str, str]) -> str | None:
    """The role a user becomes: theirs if it is one of ours, else what was chosen for their role word."""
    if one.role:
        return one.role
    chosen = roles.get(_word(one))
    return None if chosen in (None, LEAVE_OUT) else chosen


def agency_for(one: Incoming, agencies: dict[str, str]) -> str | None:
    """A user's 所属機関: chosen for them (by username), or for the file's spelling, or the file's."""
    return agencies.get(one.username) or (agencies.get(one.agency, one.agency) if one.agency else None)


def outcome(p: Plan, roles: dict[str, str], agencies: dict[str, str]) -> list[dict]:
    """One row per user: what they will be (the list a person reads before saving)."""
    rows = []
    for one in p.users:
        role, agency = role_for(one, roles), agency_for(one, agencies)
        skipped = _taken_as_is(one) or (not one.role and roles.get(_word(one)) == LEAVE_OUT)
        missing = None if skipped else ("役割を選んでください" if role is None else
                                        "機関職員には所属機関が要ります" if role == STAFF and not agency else None)
        rows.append({"ユーザー名": one.username, "名前": one.name, "元の役割": "・".join(one.roles) or "（なし）",
                     "役割": "—" if skipped else (role or "（未定）"), "所属機関": agency or "",
                     "メール": one.email or "", "取り込む": "しない" if skipped else "する",
                     "メモ": "。".join([*one.notes, *([missing] if missing else [])])})
    return rows


def apply(existing: dict, p: Plan, roles: dict[str, str], agencies: dict[str, str]) -> dict[str, str]:
    """Add the plan's users to `existing` (the users file as read now); `roles`: role word → role (or
    LEAVE_OUT); `agencies`: the file's 所属機関, or a username, → 所属機関. Refused (nothing added) while
    any user still needs a choice, or when one of the usernames was added meanwhile. Returns the
    temporary passwords given (username → password), to be shown once."""
    rows = outcome(p, roles, agencies)
    open_ = [f"{r['ユーザー名']}: {r['メモ'].split('。')[-1]}" for r in rows
             if r["取り込む"] == "する" and (r["役割"] == "（未定）" or r["メモ"].endswith("所属機関が要ります"))]
    if open_:
        raise UserChangeRefused("まだ決まっていないところがあります（何も取り込んでいません）: " + "、".join(open_))
    taken = [r["ユーザー名"] for r in rows if r["取り込む"] == "する" and r["ユーザー名"] in existing["credentials"]["usernames"]]
    if taken:
        raise UserChangeRefused(f"{'・'.join(taken)} は、この画面を開いた後にほかの管理者が作りました（何も取り込んでいません）")
    given = {}
    from lib.access.users import temporary_password
    for one, row in zip(p.users, rows):
        if row["取り込む"] != "する":
            continue
        entry = {"name": one.name, "roles": [row["役割"]], "agency": row["所属機関"] or None}
        if one.email:
            entry["email"] = one.email
        if not one.password:
            given[one.username] = temporary_password()
            entry.update(password=_hash(given[one.username]), must_change=True)
        elif one.plain_password:
            entry.update(password=_hash(one.password), must_change=True)
        else:
            entry["password"] = one.password
        existing["credentials"]["usernames"][one.username] = entry
    return given


def _hash(password: str) -> str:
    """bcrypt, as hash_password, without its length rule (an old short password is kept only until
    the first sign-in, where it must be changed)."""
    import bcrypt
    try:
        return hash_password(password)
    except ValueError:
        return bcrypt.hashpw(password.encode(), bcrypt.gensalt()).decode()


# ---------------------------------------------------------------- python -m lib.access.users import

def _pairs(given: list[str], what: str) -> dict[str, str]:
    out = {}
    for item in given or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise UserChangeRefused(f"{what} は「元の値=新しい値」の形で書いてください（例: viewer=閲覧）: {item}")
        out[key.strip()] = value.strip()
    return out


def _table(rows: list[dict], out) -> None:
    for r in rows:
        out(f"  {r['ユーザー名']}\t{r['名前']}\t{r['元の役割']} → {r['役割']}\t{r['所属機関'] or '（所属機関なし）'}\t"
            f"{'取り込む' if r['取り込む'] == 'する' else '取り込まない'}" + (f"\t{r['メモ']}" if r["メモ"] else ""))


def run_import(users_file, source, *, roles: list[str], agencies: list[str], order: str, yes: bool,
               known_agencies: list[str] | None, ask, out) -> int:
    """The command: read, show what each user becomes, ask what is not known, confirm, save."""
    import yaml

    from lib.access.users import load, save, UsersFileError
    try:
        data = yaml.safe_load(source.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
        out(f"{source} を読めません（{e.__class__.__name__}）")
        return 1
    existing = load(users_file) if users_file.exists() else {"credentials": {"usernames": {}}}
    role_map, agency_map = _pairs(roles, "--role"), _pairs(agencies, "--agency")
    bad = [v for v in role_map.values() if v not in (*ROLES, LEAVE_OUT, "-")]
    if bad:
        raise UserChangeRefused(f"--role の役割は {'・'.join(ROLES)} か「-」（取り込まない）です: {'・'.join(bad)}")
    role_map = {k: LEAVE_OUT if v == "-" else v for k, v in role_map.items()}
    p = plan(data, existing, known_agencies or [], order)
    for line in p.said:
        out(line)
    if known_agencies is None:
        out("（町のワークブックを読めないため、所属機関が機関タブにあるかは確かめていません）")
    for agency in p.unknown_agencies if known_agencies is not None else []:
        out(f"所属機関「{agency}」は機関タブにありません（そのまま入れます。変えるには --agency \"{agency}=機関名\"）")
    out("ファイルのユーザー（いまのところ）:")
    _table(outcome(p, role_map, agency_map), out)
    for word in p.unknown_roles:
        if word in role_map:
            continue
        users_of = [u.username for u in p.users if not u.role and _word(u) == word]
        question = (f"役割「{word}」（{'・'.join(users_of)}）はこのアプリにありません。"
                    f"{'・'.join(ROLES)}・-（取り込まない）のどれにしますか"
                    + (f"（Enter で {PROPOSED[word.lower()]}）" if word.lower() in PROPOSED else "") + ": ")
        answer = ask(question)
        if answer is None:
            out(f"役割「{word}」をどうするか決まっていません。--role \"{word}=閲覧\" のように付けてください（取り込まないなら {word}=-）。")
            return 1
        answer = answer.strip() or PROPOSED.get(word.lower(), "")
        if answer not in (*ROLES, "-"):
            out(f"「{answer}」は役割ではありません。何も取り込んでいません。")
            return 1
        role_map[word] = LEAVE_OUT if answer == "-" else answer
    rows = outcome(p, role_map, agency_map)
    out("取り込むとこうなります:")
    _table(rows, out)
    if not yes:
        answer = ask(f"{users_file} に保存しますか？ [y/N]: ")
        if answer is None:
            out("確かめてから保存するため、--yes を付けてもう一度実行してください。何も取り込んでいません。")
            return 1
        if answer.strip().lower() not in ("y", "yes", "はい"):
            out("何も取り込んでいません。")
            return 1
    try:
        fresh = load(users_file) if users_file.exists() else {"credentials": {"usernames": {}}}
        given = apply(fresh, p, role_map, agency_map)
        save(fresh, users_file)
    except (UsersFileError, OSError) as e:
        out(f"保存していません。{e}")
        return 1
    added = sum(r["取り込む"] == "する" for r in rows)
    out(f"{users_file} に {added}人を取り込みました。いままでのパスワードでサインインできます。")
    for username, password in given.items():
        out(f"  {username} の仮のパスワード（一度だけ出します。本人に伝えてください）: {password}")
    return 0
