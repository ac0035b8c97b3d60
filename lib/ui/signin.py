"""Sign-in: the authenticator, which cookies count (lib.access.sessions), absolute session
expiry, throttled attempts per user and address, and the sign-in form."""
from __future__ import annotations

import datetime as dt
import os
import time

import streamlit as st

from lib.access import sessions, users
from lib.ui.session import SIGN_IN_SETTLE_SECONDS, audit, secrets, state_folder
from lib.ui.widgets import esc
from lib.workbook import sources


@st.cache_resource(show_spinner=False)
def _user_store(path: str, mtime: float) -> dict:
    """The users file, loaded once per version of the file (shared by every session)."""
    return users.load(path)


def auth_settings() -> users.AuthSettings:
    try:
        sample_open = sources.resolve(secrets=secrets()).is_sample
    except sources.SourceError:        # the data page explains it after sign-in
        sample_open = False
    return users.auth_settings(os.environ, secrets(), sample_open)


def _authenticator():
    """The configured authenticator and its shared credentials (or the 始められません page)."""
    import streamlit_authenticator as stauth
    try:
        settings = auth_settings()
        path = settings.users_file
        config = _user_store(str(path), path.stat().st_mtime if path.exists() else 0.0)
    except (users.AuthConfigError, users.UsersFileError) as e:
        st.title("つなぐボードを始められません")
        st.error(str(e), icon=":material/lock:")
        st.markdown("サインインの設定（README「サインインとユーザー」）を確かめてください。")
        st.stop()
    st.session_state["_demo"] = settings.demo
    authenticator = stauth.Authenticate(config["credentials"], users.COOKIE_NAME, settings.cookie_key,
                                        cookie_expiry_days=settings.session_hours / 24, auto_hash=False)
    st.session_state["_authenticator"] = authenticator
    st.session_state["_auth_bundle"] = (authenticator, settings, config)
    return authenticator, settings, config


def _cookie() -> str | None:
    cookies = st.context.cookies or {}
    return cookies.get(users.COOKIE_NAME)


def end_session(expired: bool = False) -> None:
    """Sign out here and revoke this browser's re-login cookie on the server."""
    now = dt.datetime.now()
    sessions.revoke(state_folder(), _cookie(), st.session_state.get("_cookie_expires"), now)
    authenticator = st.session_state.get("_authenticator")
    if authenticator is not None and st.session_state.get("authentication_status"):
        authenticator.logout(location="unrendered")
    for key in ("_signed_in_at", "_cookie_expires"):
        st.session_state.pop(key, None)
    if expired:
        st.session_state["_expired"] = True


def current_user() -> users.User | None:
    """Who is signed in (this session, or a re-login cookie that lib.access.sessions accepts), or
    None. A session ends at sign-in time + session_hours, however many tabs were opened."""
    authenticator, settings, config = _authenticator()
    now = dt.datetime.now()
    if not st.session_state.get("authentication_status"):
        check = sessions.check_cookie(_cookie(), settings.cookie_key, config["credentials"],
                                      sessions.revoked(state_folder(), now), now)
        if check.username is None:
            st.session_state["logout"] = True          # the authenticator must not read this cookie
        else:
            st.session_state["_cookie_expires"] = check.expires
    authenticator.login(location="unrendered")
    if not st.session_state.get("authentication_status"):
        return None
    username = st.session_state.get("username") or ""
    user = users.user(config, username)
    if user is None or config["credentials"]["usernames"][username].get("disabled"):
        audit("sign_in_refused", user=username)
        end_session()
        return None
    if "_signed_in_at" not in st.session_state:
        expires = st.session_state.get("_cookie_expires")
        by_form = st.session_state.pop("_form_sign_in", False)
        st.session_state["_signed_in_at"] = (now if by_form or not expires
                                             else expires - dt.timedelta(hours=settings.session_hours))
    if (now - st.session_state["_signed_in_at"]).total_seconds() > settings.session_hours * 3600:
        end_session(expired=True)
        return None
    return user


def _client() -> str | None:
    """The address a sign-in attempt comes from (None where unknown, e.g. in tests)."""
    try:
        address = st.context.ip_address
    except Exception:       # noqa: BLE001 — no request context: one shared bucket
        return None
    return address if isinstance(address, str) else None


def _wait_text(seconds: int) -> str:
    return f"{seconds // 60}分{seconds % 60}秒" if seconds >= 60 else f"{seconds}秒"


def sign_in_form() -> None:
    """The sign-in form; reruns once someone signs in. Failed attempts slow down further ones for
    that user from that address (growing delays, kept across restarts); an attempt made while
    held back is refused even with the right password, and audited.
    Call after current_user() in the same run (the authenticator's cookie component is made once)."""
    authenticator, settings, config = st.session_state["_auth_bundle"]   # made by current_user()
    credentials = config["credentials"]
    before = {n: e.get("failed_login_attempts", 0) for n, e in credentials["usernames"].items()}
    where, address, now = state_folder(), _client(), dt.datetime.now()
    st.title("つなぐボード")
    if st.session_state.pop("_expired", False):
        st.info("一定の時間がたったので、サインアウトしました。もう一度サインインしてください。")
    if settings.demo:
        st.warning(DEMO_NOTICE, icon=":material/science:")
    authenticator.attrs["login_sleep_time"] = 0       # the cookie was already waited for in current_user()
    authenticator.login(location="main", fields={
        "Form name": "サインイン", "Username": "ユーザー名", "Password": "パスワード", "Login": "サインイン"})
    failed = [n for n, e in credentials["usernames"].items() if e.get("failed_login_attempts", 0) > before.get(n, 0)]
    tried = st.session_state.get("username") if st.session_state.get("authentication_status") else \
        (failed[0] if failed else None)
    held = sessions.wait_seconds(where, tried, address, now) if tried else 0
    if held:
        audit("sign_in_throttled", user=tried, address=address)
        if st.session_state.get("authentication_status"):
            authenticator.logout(location="unrendered")      # the right password, but too soon
        sessions.record_attempt(where, tried, address, ok=False, now=now)
        st.error(f"サインインに続けて失敗したため、しばらくサインインできません。あと{_wait_text(held)}ほど"
                 "待ってから、もう一度お試しください。", icon=":material/lock_clock:")
    elif st.session_state.get("authentication_status") is False:
        st.error("ユーザー名かパスワードが違います。", icon=":material/error:")
        for name in failed:
            audit("sign_in_failed", user=name, address=address)
            count = sessions.record_attempt(where, name, address, ok=False, now=now)
            if sessions.delay_after(count):
                st.warning(f"続けて間違えたため、次に試せるのは{_wait_text(sessions.delay_after(count))}後です。",
                           icon=":material/lock_clock:")
    if not st.session_state.get("authentication_status"):
        st.caption("パスワードを忘れたときは、つなぐボードの管理者（多機関協働の担当課）に連絡してください。")
        return
    # Signed in just now with the form: the one sign-in the audit records (cookie re-logins are
    # the same session going on). Give the browser a moment to store the re-login cookie (set by a
    # component in this run), then draw the page afresh without the form.
    username = st.session_state.get("username") or ""
    sessions.record_attempt(where, username, address, ok=True, now=now)
    audit("sign_in", user=username, address=address)
    st.session_state["_form_sign_in"] = True
    st.session_state.pop("_signed_in_at", None)
    time.sleep(SIGN_IN_SETTLE_SECONDS)
    st.rerun()


DEMO_NOTICE = ("デモモードです。見本の町（みどり町）と見本のユーザーで動いています。"
               "実際の世帯の情報は入れないでください（README「サインインとユーザー」）。")


def sign_out_button(user: users.User) -> None:
    """The signed-in user in the sidebar, and サインアウト (which revokes this browser's cookie)."""
    with st.sidebar:
        st.caption(f"サインイン中: {esc(user.name)}（{user.role or '役割なし'}）")
        if st.button("サインアウト", icon=":material/logout:", key="sign_out", width="stretch"):
            audit("sign_out", user=user.username)
            end_session()
            time.sleep(SIGN_IN_SETTLE_SECONDS)      # let the browser drop the re-login cookie
            st.rerun()
