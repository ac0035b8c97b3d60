"""管理: users, the audit trail (filter and download) and records past their keeping period."""
import datetime as dt

import pandas as pd
import streamlit as st

from lib.access import audit, retention, users
from lib.workbook import export
from lib import ui

# Read data (管理者 only):
st.title("管理")
workbook, viewer = ui.workbook_for_page()
if viewer.user.role != users.ADMIN:
    st.error("この画面は管理者だけが使えます。", icon=":material/block:")
    st.stop()
settings = ui.auth_settings()
config = users.load(settings.users_file)

# Users (never their password hashes):
st.subheader("ユーザー")
st.dataframe(pd.DataFrame([{"ユーザー名": u.username, "名前": u.name, "役割": u.role or "（なし）", "所属機関": u.agency or ""}
                           for u in (users.user(config, n) for n in config["credentials"]["usernames"])]),
             hide_index=True, width="stretch")
st.caption(f"ユーザーの追加・パスワードの変更は、サーバーで `python -m lib.access.users add …` / `passwd …` を使います"
           f"（ファイル: {settings.users_file.name}）。")

# Records past their keeping period:
due = retention.disposal_due(workbook, ui.today())
st.metric(f"保存期間満了（終結から{retention.RETENTION_YEARS}年）", f"{len(due)}世帯")

# The audit trail:
st.subheader("監査ログ")
log = audit.read(audit.folder(secrets=ui.secrets()))
c1, c2, c3 = st.columns(3)
who = c1.multiselect("ユーザー", sorted(log["user"].dropna().unique()), key="admin_users")
what = c2.multiselect("内容", list(audit.EVENTS.values()), key="admin_events")
since = c3.date_input("この日から", value=ui.today() - dt.timedelta(days=30), key="admin_since")
shown = log
if who:
    shown = shown[shown["user"].isin(who)]
if what:
    shown = shown[shown["内容"].isin(what)]
shown = shown[shown["time"].fillna("") >= since.isoformat()]
st.caption(f"{len(shown)}件（全{len(log)}件）")
st.dataframe(shown.iloc[::-1].astype(str), hide_index=True, width="stretch")
ui.audited_download("監査ログを Excel でダウンロード", export.to_xlsx({"監査ログ": shown.astype(str)}),
                    f"監査ログ_{dt.date.today():%Y%m%d}.xlsx", what="監査ログ", households=0,
                    icon=":material/download:", mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
