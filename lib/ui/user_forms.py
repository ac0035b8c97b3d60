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
from lib.ui.signin import auth_settings, renew_after_password_change
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
        renew_after_password_change(user.username)     # this tab goes on; every other sign-in has ended
        st.session_state["_user_flash"] = "パスワードを変えました。ほかのパソコン・タブのサインインは終わりました。"
        st.rerun()
    if str(st.session_state.get("_user_flash", "")).startswith("パスワードを変えました。"):
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


def import_panel(agencies: list[str]) -> None:
    """A streamlit-authenticator config.yaml taken whole: each user with what they will become, the
    roles and 所属機関 the app does not know chosen here, then one press (lib.access.stauth)."""
    import yaml

    from lib.access import stauth
    st.caption("streamlit-authenticator の config.yaml をそのまま使えます。ユーザー名とパスワードはそのまま、"
               "名前は first_name・last_name から作ります。このアプリにない役割は、ここで選んでから取り込みます。")
    upload = st.file_uploader("config.yaml", type=["yaml", "yml"], key="user_import_file")
    if upload is None:
        return
    try:
        data = yaml.safe_load(upload.getvalue().decode("utf-8"))
        existing = users.load(auth_settings().users_file)
        order = st.radio("名前の順", (stauth.FAMILY_FIRST, stauth.GIVEN_FIRST), horizontal=True, key="user_import_order")
        p = stauth.plan(data, existing, agencies, order)
    except (UnicodeDecodeError, yaml.YAMLError):
        st.error("YAML のファイルとして読めません。streamlit-authenticator の config.yaml を選んでください。", icon=":material/block:")
        return
    except (users.UsersFileError, ValueError) as e:
        st.error(esc(e), icon=":material/block:")
        return
    for line in p.said:
        st.info(esc(line), icon=":material/info:")
    roles = {}
    for word in p.unknown_roles:
        who = "・".join(u.username for u in p.users if not u.role and stauth._word(u) == word)
        proposed = stauth.PROPOSED.get(word.lower())
        roles[word] = st.selectbox(f"役割「{word}」（{who}）はこのアプリにありません。どの役割にしますか"
                                   + (f"（候補: {proposed}）" if proposed else ""),
                                   [*users.ROLES, stauth.LEAVE_OUT], index=None, placeholder="選んでください",
                                   key=f"user_import_role_{word}")
    chosen = {}
    for agency in p.unknown_agencies:
        picked = st.selectbox(f"所属機関「{agency}」は機関タブにありません", [f"そのまま（{agency}）", *agencies],
                              key=f"user_import_agency_{agency}")
        if picked in agencies:
            chosen[agency] = picked
    for one in p.users:
        if stauth.role_for(one, roles) == users.STAFF and not stauth.agency_for(one, chosen):
            picked = st.selectbox(f"{one.username}（機関職員）の所属機関", agencies, index=None, placeholder="選んでください",
                                  key=f"user_import_for_{one.username}")
            if picked:
                chosen[one.username] = picked
    rows = stauth.outcome(p, {k: v for k, v in roles.items() if v}, chosen)
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    taking = sum(r["取り込む"] == "する" for r in rows)
    waiting = [r for r in rows if r["取り込む"] == "する" and (r["役割"] == "（未定）" or r["メモ"].endswith("所属機関が要ります"))]
    if st.button(f"取り込む（{taking}人）", type="primary", disabled=bool(waiting) or not taking, key="user_import_go",
                 help="役割と所属機関をすべて選ぶと押せます" if waiting else None):
        def take(config):
            given = stauth.apply(config, p, {k: v for k, v in roles.items() if v}, chosen)
            return (f"{taking}人を取り込みました。いままでのパスワードでサインインできます。"
                    + "".join(f"　{u} の仮のパスワード（一度だけ出します）: {pw}" for u, pw in given.items()))
        if _change(take, "import", count=taking, source=upload.name):
            st.session_state.pop("user_import_file", None)
            st.rerun()
