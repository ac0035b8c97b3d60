"""Sign-in: the authenticator, lock-out, session expiry and the sign-in form."""
from __future__ import annotations

import datetime as dt
import os
import time

from pathlib import Path

import streamlit as st

from lib.access import users
from lib.access import state
from lib.ui.session import SIGN_IN_SETTLE_SECONDS, audit, secrets, state_folder
from lib.workbook import sources

@st.cache_resource(show_spinner=False)
def _user_store(path: str, mtime: float, state_dir: str) -> tuple[dict, dict]:
    """The users file loaded once per version (shared by sessions so failed sign-ins add up),
    and the lock-out times per username, both as saved before the last restart."""
    config, locks = users.load(path), {}
    for name, (failed, since) in state.load_lockouts(Path(state_dir)).items():
        entry = config["credentials"]["usernames"].get(name)
        if entry is not None:
            entry["failed_login_attempts"] = failed
            if since is not None:
                locks[name] = since
    return config, locks


def _save_lockouts(credentials: dict, locks: dict) -> None:
    """Keep failed attempts and lock-outs across a server restart."""
    state.save_lockouts(state_folder(), {name: (entry.get("failed_login_attempts", 0), locks.get(name))
                                         for name, entry in credentials["usernames"].items()})


def auth_settings() -> users.AuthSettings:
    try:
        sample_open = sources.resolve(secrets=secrets()).is_sample
    except sources.SourceError:        # the data page explains it after sign-in
        sample_open = False
    return users.auth_settings(os.environ, secrets(), sample_open)


def _release_lockouts(credentials: dict, locks: dict) -> None:
    """Start the lock-out clock for users at the attempt limit; unlock those whose time is up."""
    now = dt.datetime.now()
    for name, entry in credentials["usernames"].items():
        if entry.get("failed_login_attempts", 0) >= users.MAX_LOGIN_ATTEMPTS:
            since = locks.setdefault(name, now)
            if (now - since).total_seconds() >= users.LOCKOUT_MINUTES * 60:
                entry["failed_login_attempts"] = 0
                locks.pop(name, None)


def _authenticator():
    """The configured authenticator and its shared credentials (or the 始められません page)."""
    import streamlit_authenticator as stauth
    try:
        settings = auth_settings()
        path = settings.users_file
        config, locks = _user_store(str(path), path.stat().st_mtime if path.exists() else 0.0, str(state_folder()))
    except (users.AuthConfigError, users.UsersFileError) as e:
        st.title("つなぐボードを始められません")
        st.error(str(e), icon=":material/lock:")
        st.markdown("サインインの設定（README「サインインとユーザー」）を確かめてください。")
        st.stop()
    st.session_state["_demo"] = settings.demo
    authenticator = stauth.Authenticate(config["credentials"], users.COOKIE_NAME, settings.cookie_key,
                                        cookie_expiry_days=settings.session_hours / 24, auto_hash=False)
    st.session_state["_authenticator"] = authenticator
    st.session_state["_auth_bundle"] = (authenticator, settings, config, locks)
    return authenticator, settings, config, locks


def current_user() -> users.User | None:
    """Who is signed in (from this session or the re-login cookie), or None; ends sessions
    older than the session_hours setting."""
    authenticator, settings, config, _ = _authenticator()
    started = st.session_state.get("_signed_in_at")
    if st.session_state.get("authentication_status") and started and \
            (dt.datetime.now() - started).total_seconds() > settings.session_hours * 3600:
        authenticator.logout(location="unrendered")
        st.session_state.pop("_signed_in_at", None)
        st.session_state["_expired"] = True
    authenticator.login(location="unrendered")        # signs in from the cookie when there is one
    if not st.session_state.get("authentication_status"):
        return None
    username = st.session_state.get("username") or ""
    if "_signed_in_at" not in st.session_state:
        st.session_state["_signed_in_at"] = dt.datetime.now()
        audit("sign_in", user=username)
    return users.user(config, username) or users.User(username, username, None, None)


def sign_in_form() -> None:
    """The sign-in form (with lock-out after repeated failures); reruns once someone signs in.
    Call after current_user() in the same run (the authenticator's cookie component is made once)."""
    from streamlit_authenticator.utilities.exceptions import LoginError
    authenticator, settings, config, locks = st.session_state["_auth_bundle"]   # made by current_user()
    credentials = config["credentials"]
    _release_lockouts(credentials, locks)
    before = {n: e.get("failed_login_attempts", 0) for n, e in credentials["usernames"].items()}
    st.title("つなぐボード")
    if st.session_state.pop("_expired", False):
        st.info("一定の時間がたったので、サインアウトしました。もう一度サインインしてください。")
    if settings.demo:
        st.warning(DEMO_NOTICE, icon=":material/science:")
    authenticator.attrs["login_sleep_time"] = 0       # the cookie was already waited for in current_user()
    try:
        authenticator.login(location="main", max_login_attempts=users.MAX_LOGIN_ATTEMPTS, fields={
            "Form name": "サインイン", "Username": "ユーザー名", "Password": "パスワード", "Login": "サインイン"})
    except LoginError:
        st.error(f"サインインに続けて失敗したため、{users.LOCKOUT_MINUTES}分間サインインできません。"
                 "時間をおいてから、もう一度お試しください。", icon=":material/lock_clock:")
    if st.session_state.get("authentication_status") is False:
        st.error("ユーザー名かパスワードが違います。", icon=":material/error:")
        for name, entry in credentials["usernames"].items():
            if entry.get("failed_login_attempts", 0) > before.get(name, 0):
                audit("sign_in_failed", user=name)
    _release_lockouts(credentials, locks)
    _save_lockouts(credentials, locks)
    if not st.session_state.get("authentication_status"):
        st.caption("パスワードを忘れたときは、つなぐボードの管理者（多機関協働の担当課）に連絡してください。")
        return
    # Signed in just now: give the browser a moment to store the re-login cookie (set by a
    # component in this run), then draw the page afresh without the form.
    time.sleep(SIGN_IN_SETTLE_SECONDS)
    st.rerun()


DEMO_NOTICE = ("デモモードです。見本の町（みどり町）と見本のユーザーで動いています。"
               "実際の世帯の情報は入れないでください（README「サインインとユーザー」）。")


