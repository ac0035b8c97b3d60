"""Users on screen: the 管理者's list and changes (add with a temporary password shown once, reset,
disable/enable, remove, role and 所属機関), and everyone's own password change — the same functions
as `python -m lib.access.users`, each change audited. The users file is read afresh before every
change and written atomically (0600)."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from lib.access import audit as audit_log
from lib.access import users
from lib.ui import session
from lib.ui.signin import auth_settings
from lib.ui.widgets import esc

NO_AGENCY = "（なし）"
# Session key: each user's standing as the 管理者's screen last showed it (users.standing):
DRAWN = "_user_drawn"


def _change(action, what: str, **details) -> bool:
    """Read the users file, apply `action(config)`, write it back, audit; False after saying why not."""
    path = auth_settings().users_file
    try:
        config = users.load(path)
        result = action(config)
        users.save(config, path)
    except (users.UsersFileError, ValueError, OSError) as e:
        st.error(f"変更していません。{esc(e)}", icon=":material/block:")
        return False
    session.audit("user_changed", change=what, **details)
    st.session_state["_user_flash"] = result if isinstance(result, str) else "変更しました。"
    return True


DEMO_TEXT = "デモモード（見本のユーザー）では、ユーザーとパスワードは変えられません（README のパスワードのまま使います）。"


def password_form(user: users.User, forced: bool) -> None:
    """Change one's own password: the current one, then the new one twice (the CLI's strength rule)."""
    if auth_settings().demo:
        st.info(DEMO_TEXT, icon=":material/science:")
        return
    if forced:
        st.warning("仮のパスワードでサインインしました。使い始める前に、自分だけのパスワードに変えてください。",
                   icon=":material/password:")
    with st.form("own_password", clear_on_submit=True):
        current = st.text_input("いまのパスワード", type="password", autocomplete="current-password")
        new = st.text_input(f"新しいパスワード（{users.MIN_PASSWORD_LENGTH}文字以上）", type="password",
                            autocomplete="new-password")
        again = st.text_input("新しいパスワード（もう一度）", type="password", autocomplete="new-password")
        pressed = st.form_submit_button("パスワードを変える", type="primary")
    if pressed and _change(lambda config: users.change_own_password(config, user.username, current, new, again),
                           "own_password", target=user.username):
        st.session_state["_user_flash"] = "パスワードを変えました。"
        st.rerun()
    if st.session_state.get("_user_flash") == "パスワードを変えました。":
        st.success(st.session_state.pop("_user_flash"), icon=":material/check_circle:")


def last_sign_ins() -> dict[str, str]:
    """Each user's last sign-in (form or cookie), from the audit log."""
    log = audit_log.read(audit_log.folder(secrets=session.secrets()))
    signed = log[log["event"].isin(["sign_in", "sign_in_cookie"])]
    return signed.groupby("user")["time"].max().to_dict() if len(signed) else {}


def users_panel(agencies: list[str], me: users.User) -> None:
    """The 管理者's user list and the forms that change it."""
    config = users.load(auth_settings().users_file)
    names = list(config["credentials"]["usernames"])
    last = last_sign_ins()
    st.dataframe(pd.DataFrame([{
        "ユーザー名": u.username, "名前": u.name, "役割": u.role or "（なし）", "所属機関": u.agency or "",
        "最後のサインイン": last.get(u.username, ""), "状態": "停止中" if e.get("disabled") else
        ("仮のパスワード" if e.get("must_change") else "")}
        for u, e in ((users.user(config, n), config["credentials"]["usernames"][n]) for n in names)]),
        hide_index=True, width="stretch")
    flash = st.session_state.pop("_user_flash", None)
    if flash:
        st.success(flash, icon=":material/key:")
    if auth_settings().demo:
        st.info(DEMO_TEXT, icon=":material/science:")
        return
    left, right = st.columns(2)
    with left.form("user_add", clear_on_submit=True):
        st.markdown("**ユーザーを追加**")
        username = st.text_input("ユーザー名（半角英数字。例: tanaka）")
        name = st.text_input("名前（例: 田中（包括））")
        role = st.selectbox("役割", users.ROLES, index=None, placeholder="選んでください")
        agency = st.selectbox("所属機関", [NO_AGENCY, *agencies])
        pressed = st.form_submit_button("追加する", icon=":material/person_add:")
    if pressed:
        chosen = None if agency == NO_AGENCY else agency
        if _change(lambda config: "仮のパスワード（この画面にだけ一度出します。本人に伝えてください）: "
                   + users.add(config, username.strip(), name=name, role=role, agency=chosen),
                   "add", target=username.strip(), role=role, agency=chosen):
            st.rerun()
    with right:
        st.markdown("**ユーザーを変える**")
        target = st.selectbox("ユーザー", names, index=None, placeholder="選んでください", key="user_target")
        if target is None:
            return
        entry = config["credentials"]["usernames"][target]
        now = users.user(config, target)
        # The user as this page first showed them (the choices below start from it): a change another
        # 管理者 made since refuses the press instead of being overwritten; once told, the page goes on
        # from the user as they are now.
        drawn = st.session_state.setdefault(DRAWN, {})
        before = drawn.setdefault(target, users.standing(config, target))

        def changed(action, what: str, **details) -> None:
            # (done or refused: the next run starts again from the user as the file has them)
            drawn.pop(target, None)
            if _change(action, what, **details):
                st.rerun()

        role = st.selectbox("役割", users.ROLES, index=users.ROLES.index(now.role) if now.role in users.ROLES else 0,
                            key=f"user_role_{target}")
        options = [NO_AGENCY, *dict.fromkeys([*agencies, *([now.agency] if now.agency else [])])]
        agency = st.selectbox("所属機関", options, index=options.index(now.agency) if now.agency else 0,
                              key=f"user_agency_{target}")
        chosen = None if agency == NO_AGENCY else agency
        c1, c2, c3, c4 = st.columns(4)
        if c1.button("役割・機関を保存", key="user_save_role"):
            changed(lambda config: users.change(config, target, role=role, agency=chosen, drawn=before), "role",
                    target=target, role=f"{users.shown(before[0])} → {users.shown(role)}",
                    agency=f"{users.shown(before[1])} → {users.shown(chosen)}")
        if c2.button("パスワードを再発行", key="user_reset"):
            changed(lambda config: f"{target} の仮のパスワード（一度だけ出します）: " + users.reset_password(config, target),
                    "reset_password", target=target)
        stop = not entry.get("disabled")
        last = users.is_last_admin(config, target)
        why_not = ("自分自身は止めたり削除したりできません（ほかの管理者に頼んでください）" if target == me.username
                   else users.LAST_ADMIN.format("は止めたり削除したりできません") if last else None)
        if c3.button("停止する" if stop else "停止をやめる", key="user_disable", disabled=why_not is not None and stop,
                     help=why_not):
            changed(lambda config: users.set_disabled(config, target, stop, drawn=before), "disable" if stop else "enable",
                    target=target)
        sure = st.checkbox(f"{target} を削除してよいことを確かめました", key=f"user_remove_sure_{target}")
        if c4.button("削除する", key="user_remove", disabled=not sure or why_not is not None,
                     help=why_not or (None if sure else "左のチェックを入れると押せます")):
            changed(lambda config: users.remove(config, target, drawn=before), "remove", target=target)
        if why_not:
            st.caption(why_not)
