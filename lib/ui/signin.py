"""Sign-in: the form (the hold is checked before the password: lib.access.sessions.attempt), the
token each session lives on and checks again on every run (full reruns, fragment reruns and the
building of a download), the browser's re-login cookie, and sign-out.

A session is signed in while st.session_state holds its token (_token) and that token still passes
lib.access.sessions.check_cookie: not signed out anywhere, user neither removed nor disabled, not
expired. The browser keeps the same token as a cookie so that a reload or a second tab signs in
again (audited); signing out revokes the token itself, so every tab and session on it ends.
"""
from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path
from typing import Callable

import streamlit as st

from lib import settings as app_settings
from lib.access import clients, sessions, users
from lib.ui.session import SIGN_IN_SETTLE_SECONDS, audit, secrets, shared_state, state_folder
from lib.ui.widgets import PHONE_CSS, esc
from lib.workbook import sources

# Where this session keeps its sign-in (the token never leaves the server but as the cookie):
_TOKEN = "_token"
# What the rest of the app reads (the names streamlit-authenticator used):
SIGNED_IN_KEYS = ("authentication_status", "username", "name", "roles")
EXPIRED_TEXT = "サインインの有効期限が切れました。もう一度サインインしてください。"
ENDED_TEXT = "このサインインは終わりました（サインアウト、またはユーザーの停止・削除）。もう一度サインインしてください。"


@st.cache_resource(show_spinner=False)
def _user_store(path: str, mtime: float) -> dict:
    """The users file, loaded once per version of the file (shared by every session)."""
    return users.load(path)


def auth_settings() -> users.AuthSettings:
    try:
        sample_open = sources.resolve(secrets=secrets()).is_sample
    except sources.SourceError:        # the data page explains it after sign-in
        sample_open = False
    return users.auth_settings(os.environ, secrets(), sample_open, state_folder())


def _auth(stop: bool = True) -> tuple[users.AuthSettings, dict] | None:
    """The sign-in settings and the users file as it is now (or the 始められません page)."""
    try:
        settings = auth_settings()
        if settings.setup:
            if not stop:
                return None
            setup_page(settings)
            st.stop()
        path = settings.users_file
        config = _user_store(str(path), path.stat().st_mtime if path.exists() else 0.0)
    except (users.AuthConfigError, users.UsersFileError) as e:
        if not stop:
            return None
        st.title("つなぐボードを始められません")
        st.error(str(e), icon=":material/lock:")
        st.markdown("サインインの設定（README「サインインとユーザー」）を確かめてください。")
        st.stop()
    st.session_state["_demo"] = settings.demo
    return settings, config


def _cookie() -> str | None:
    """The re-login cookie the browser sent when this page's connection opened."""
    cookies = st.context.cookies or {}
    return cookies.get(users.COOKIE_NAME)


def _client() -> str:
    """The address a sign-in comes from (lib.access.clients: X-Forwarded-For only from a trusted proxy)."""
    try:
        remote, headers = st.context.ip_address, list((st.context.headers or {}).items())
    except Exception:       # noqa: BLE001 — no request context (AppTest): this machine
        remote, headers = None, []
    return clients.client_address(remote if isinstance(remote, str) else None, headers,
                                  app_settings.get("trusted_proxies", secrets=secrets()),
                                  os.environ.get("FORWARDED_ALLOW_IPS", clients.SERVER_DEFAULT_TRUST))


def _cookie_component(method: str, **kwargs) -> None:
    """Set or delete the re-login cookie in the browser (extra-streamlit-components' cookie
    component, the one streamlit-authenticator used; its getAll is not needed: cookies are read
    from the request)."""
    from extra_streamlit_components.CookieManager import _component_func
    _component_func(method=method, cookie=users.COOKIE_NAME, key=f"tsunagu_cookie_{method}", default=False,
                    **kwargs)


def _begin(username: str, config: dict, token: str) -> None:
    """This session is now signed in as `username` on `token`."""
    entry = config["credentials"]["usernames"][username]
    st.session_state.update({_TOKEN: token, "authentication_status": True, "username": username,
                             "name": entry.get("name") or username, "roles": list(entry.get("roles") or [])})


def _forget() -> None:
    for key in (_TOKEN, _COOKIE_TO_STORE, *SIGNED_IN_KEYS):
        st.session_state.pop(key, None)


def _verdict(token: str | None, key: str, credentials: dict, where: Path) -> sessions.CookieCheck:
    """Whether a token signs its user in now: the users as given and the sign-outs kept in `where`."""
    now = dt.datetime.now()
    return sessions.check_cookie(token, key, credentials, sessions.revoked(where, now), now)


def token_check(token: str | None = None, auth: tuple[users.AuthSettings, dict] | None = None) -> sessions.CookieCheck:
    """Whether this session's token (or `token`) still signs its user in, read afresh: the users
    file as it is now (or `auth`, this run's) and the sign-outs so far."""
    auth = auth or _auth(stop=False)
    if auth is None:
        return sessions.CookieCheck(None, reason="sign-in settings unreadable")
    settings, config = auth
    return _verdict(token if token is not None else st.session_state.get(_TOKEN), settings.cookie_key,
                    config["credentials"], shared_state())


def end_session(reason: str = "") -> None:
    """Sign out here: revoke this session's token (and the cookie its connection opened with) on the
    server for every tab, delete the browser's cookie, and forget the sign-in."""
    now = dt.datetime.now()
    try:
        hours = auth_settings().session_hours
    except users.AuthConfigError:
        hours = users.DEFAULT_SESSION_HOURS
    # Kept until any token issued so far would have expired anyway:
    until = now + dt.timedelta(hours=hours)
    for token in {st.session_state.get(_TOKEN), _cookie()} - {None}:
        sessions.revoke(shared_state(), token, until, now)
    if st.session_state.get(_TOKEN) or _cookie():
        _cookie_component("delete")
    _forget()
    if reason:
        st.session_state["_ended"] = reason


def sign_in_by_cookie(auth: tuple[users.AuthSettings, dict] | None = None) -> None:
    """A new session (a link opened, a reload, a second tab) signs in with the browser's re-login
    cookie when it still holds (audited). Draws nothing, so app.py calls it before the menu: the
    first run of a link opened from a mail already shows the menu. current_user() then checks the
    sign-in as on every run."""
    if _TOKEN in st.session_state or st.session_state.get("_ended"):
        return
    cookie = _cookie()
    auth = auth or (_auth(stop=False) if cookie else None)
    if not cookie or auth is None:
        return
    check = token_check(cookie, auth)
    if check.username is not None:
        _begin(check.username, auth[1], cookie)
        audit("sign_in_cookie", user=check.username, address=_client())
    elif check.reason == "expired":
        st.session_state["_ended"] = "expired"


def renew_after_password_change(username: str) -> None:
    """This person changed their own password: every sign-in made under the old one has ended
    (sessions.password_mark), this one goes on with a token issued under the new password, until
    the same time as before."""
    settings, config = _auth()
    now = dt.datetime.now()
    old = st.session_state.get(_TOKEN)
    try:
        import jwt
        ends = dt.datetime.fromtimestamp(jwt.decode(old, settings.cookie_key, algorithms=["HS256"])["exp_date"])
    except Exception:       # noqa: BLE001 — no token to follow: a sign-in's whole time
        ends = now + dt.timedelta(hours=settings.session_hours)
    hours = max((ends - now).total_seconds() / 3600, 0.01)
    token, expires = sessions.issue(username, settings.cookie_key, now, hours,
                                    config["credentials"]["usernames"][username]["password"])
    if old:
        sessions.revoke(shared_state(), old, ends, now)
    _begin(username, config, token)
    st.session_state[_COOKIE_TO_STORE] = (token, expires, time.monotonic())


def current_user() -> users.User | None:
    """Who is signed in, or None. Checked on every run: this session's token must still be good
    (not signed out anywhere, user present and enabled, not expired); a new session may sign in
    with the browser's re-login cookie (audited)."""
    auth = _auth()
    config = auth[1]
    if _TOKEN not in st.session_state:
        sign_in_by_cookie(auth)
        if _TOKEN not in st.session_state:
            return None
    check = token_check(auth=auth)
    if check.username is None or check.username != st.session_state.get("username"):
        audit("session_ended", user=st.session_state.get("username") or "", reason=check.reason)
        end_session("expired" if check.reason == "expired" else "ended")
        return None
    _store_cookie()
    return users.user(config, check.username)


def guard() -> Callable[[], sessions.CookieCheck]:
    """A check of this session's sign-in that works outside the script run (a download built when
    clicked has no session state): the token is taken now, the users file and sign-outs are read
    when the check runs."""
    token, where = st.session_state.get(_TOKEN), shared_state()
    try:
        settings = auth_settings()
    except users.AuthConfigError:
        return lambda: sessions.CookieCheck(None, reason="sign-in settings unreadable")

    def check() -> sessions.CookieCheck:
        try:
            credentials = users.load(settings.users_file)["credentials"]
        except users.UsersFileError:
            return sessions.CookieCheck(None, reason="users file unreadable")
        return _verdict(token, settings.cookie_key, credentials, where)
    return check


def must_change_password(user: users.User) -> bool:
    """Whether the user signed in with a temporary password (set by a 管理者) not yet changed."""
    settings, config = _auth()
    return users.must_change(config, user.username)


def still_signed_in() -> bool:
    """For fragment reruns (app.py does not run then): whether this session's sign-in still holds.
    When it does not, the whole page is run again, which shows the sign-in form."""
    if _TOKEN in st.session_state and token_check().username == st.session_state.get("username"):
        return True
    if _TOKEN in st.session_state:
        st.rerun(scope="app")
    return False


def _wait_text(seconds: int) -> str:
    return f"{seconds // 60}分{seconds % 60}秒" if seconds >= 60 else f"{seconds}秒"


def sign_in_form() -> None:
    """The sign-in form; reruns once someone signs in. Failed attempts slow down further ones for
    that user from that address and, past a cap, from every address (growing delays, kept across
    restarts); an attempt made while held back is refused before the password is looked at, the
    same for a right and a wrong one, and audited."""
    settings, config = _auth()
    st.title("つなぐボード")
    st.html(PHONE_CSS)
    ended = st.session_state.pop("_ended", None)
    if ended == "expired":
        st.info(EXPIRED_TEXT, icon=":material/timer_off:")
    elif ended == "ended":
        st.info(ENDED_TEXT, icon=":material/logout:")
    if settings.demo:
        st.warning(DEMO_NOTICE, icon=":material/science:")
    with st.form("sign_in"):
        st.subheader("サインイン")
        username = st.text_input("ユーザー名", autocomplete="username")
        password = st.text_input("パスワード", type="password", autocomplete="current-password")
        pressed = st.form_submit_button("サインイン")
    st.caption("パスワードを忘れたときは、つなぐボードの管理者（多機関協働の担当課）に連絡してください。")
    if not pressed:
        return
    address, now = _client(), dt.datetime.now()
    result = sessions.attempt(shared_state(), config["credentials"], username, password, address,
                              settings.cookie_key, settings.session_hours, now)
    if result.outcome == sessions.EMPTY:
        st.error("ユーザー名とパスワードを入れてください。", icon=":material/error:")
        return
    if result.outcome == sessions.HELD:
        audit("sign_in_throttled", user=result.username, address=address)
        st.error(f"サインインに続けて失敗したため、しばらくサインインできません。あと{_wait_text(result.wait)}ほど"
                 "待ってから、もう一度お試しください。", icon=":material/lock_clock:")
        return
    if result.outcome == sessions.WRONG:
        audit("sign_in_failed", user=result.username, address=address)
        st.error("ユーザー名かパスワードが違います。", icon=":material/error:")
        if result.wait:
            st.warning(f"続けて間違えたため、次に試せるのは{_wait_text(result.wait)}後です。", icon=":material/lock_clock:")
        return
    # Signed in with the form: the page is drawn afresh without the form, and that one drawing
    # also has the browser store the same token as its re-login cookie (_store_cookie).
    _begin(result.username, config, result.token)
    audit("sign_in", user=result.username, address=address)
    st.session_state[_COOKIE_TO_STORE] = (result.token, result.expires, time.monotonic())
    st.rerun()


# A sign-in's token to be stored as the browser's re-login cookie by the pages drawn in the first
# seconds after it (a page the sign-in forwards to is drawn again at once, and would drop it):
_COOKIE_TO_STORE = "_cookie_to_store"
STORE_COOKIE_SECONDS = 10


def _store_cookie() -> None:
    """Store a new sign-in's token as the browser's re-login cookie, from a static HTML element of
    the pages drawn just after the sign-in (it sends nothing back, so the page is not drawn again a
    moment later the way a component with a value would make it: a click then is never lost)."""
    pending = st.session_state.get(_COOKIE_TO_STORE)
    if pending is None:
        return
    token, expires, since = pending
    if time.monotonic() - since > STORE_COOKIE_SECONDS:
        st.session_state.pop(_COOKIE_TO_STORE, None)
        return
    import json
    cookie = f"{users.COOKIE_NAME}={token}; path=/; SameSite=Strict"
    script = (f"<script>window.parent.document.cookie = {json.dumps(cookie)} + '; expires=' + "
              f"new Date({json.dumps(expires.isoformat())}).toUTCString();</script>")
    with st.sidebar:
        # (st.iframe: Streamlit's same-origin HTML frame, now that components.v1.html is going away;
        # the script is ours, never a sheet value; it draws nothing, so the frame takes no height)
        st.iframe(script, height="content")


def setup_page(settings: users.AuthSettings) -> None:
    """A real town's first start: the setup code (from the server's console) makes the first 管理者,
    who is then signed in. Wrong codes are throttled like sign-in attempts; the code works once."""
    from lib.access import setup
    where, now = shared_state(), dt.datetime.now()
    _, _, new = setup.code(where, now)
    if new:                                    # also on the console, for the person at the server
        print(setup.announce(where, now), flush=True)
    st.title("つなぐボードの初期設定")
    st.markdown("まだユーザーがいません。サーバーを起動した画面（コンソール）に出た **初期設定コード** と、"
                "最初の管理者のユーザー名・名前・パスワードを入れてください。コードは一度だけ使えます"
                f"（サーバーの状態フォルダの `{setup.CODE_FILE}` にもあります）。")
    with st.form("setup"):
        typed = st.text_input("初期設定コード（例: 1234-5678）")
        username = st.text_input("管理者のユーザー名（半角英数字）")
        name = st.text_input("管理者の名前（例: 森田（福祉課））")
        password = st.text_input(f"パスワード（{users.MIN_PASSWORD_LENGTH}文字以上）", type="password",
                                 autocomplete="new-password")
        again = st.text_input("パスワード（もう一度）", type="password", autocomplete="new-password")
        pressed = st.form_submit_button("最初の管理者を作る", type="primary")
    if not pressed:
        return
    address = _client()
    held = sessions.wait_seconds(where, setup.THROTTLE_NAME, address, now)
    if held:
        sessions.record_attempt(where, setup.THROTTLE_NAME, address, ok=False, now=now)
        audit("setup_refused", user="", address=address, reason="held")
        st.error(f"続けて間違えたため、しばらく試せません。あと{_wait_text(held)}ほど待ってください。", icon=":material/lock_clock:")
        return
    if not setup.check(where, typed, now):
        sessions.record_attempt(where, setup.THROTTLE_NAME, address, ok=False, now=now)
        audit("setup_refused", user="", address=address, reason="wrong or expired code")
        st.error("初期設定コードが違うか、期限が切れています。サーバーの画面のコードを確かめてください"
                 "（期限が切れたら、サーバーを起動し直すと新しいコードが出ます）。", icon=":material/error:")
        return
    config = {"credentials": {"usernames": {}}}
    try:
        if password != again:
            raise ValueError("パスワードが2回で同じではありません")
        users.add(config, (username or "").strip(), name=name, role=users.ADMIN, agency=None, password=password)
        if settings.users_file.exists():
            raise ValueError("もう初期設定が済んでいます。サインインしてください")
        users.save(config, settings.users_file)
    except (ValueError, OSError) as e:
        st.error(f"作っていません。{esc(e)}", icon=":material/edit_off:")
        return
    setup.used(where)
    sessions.record_attempt(where, setup.THROTTLE_NAME, address, ok=True, now=now)
    username = username.strip()
    audit("setup", user=username, address=address)
    token, expires = sessions.issue(username, settings.cookie_key, now, settings.session_hours,
                                    config["credentials"]["usernames"][username]["password"])
    _begin(username, config, token)
    st.session_state[_COOKIE_TO_STORE] = (token, expires, time.monotonic())
    st.rerun()


DEMO_NOTICE = ("デモモードです。見本の町（みどり町）と見本のユーザーで動いています。"
               "実際の世帯の情報は入れないでください（README「サインインとユーザー」）。")


def sign_out_button(user: users.User) -> None:
    """The signed-in user in the sidebar, and サインアウト (which revokes this sign-in everywhere)."""
    with st.sidebar:
        st.caption(f"サインイン中: {esc(user.name)}（{user.role or '役割なし'}）")
        if st.button("サインアウト", icon=":material/logout:", key="sign_out", width="stretch"):
            audit("sign_out", user=user.username)
            end_session()
            time.sleep(SIGN_IN_SETTLE_SECONDS)      # let the browser drop the re-login cookie
            st.rerun()
