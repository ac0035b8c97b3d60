"""管理: users, the audit trail (filter and download) and records past their keeping period."""
import datetime as dt

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

# Users (never their password hashes), and the changes a 管理者 makes:
st.subheader("ユーザー")
ui.users_panel(list(workbook["機関"]["機関名"]), viewer.user)
st.caption(f"ユーザーのファイル: {settings.users_file.name}（サーバーの `python -m lib.access.users` でも同じ変更ができます）。")
if not settings.demo:
    with st.expander("streamlit-authenticator の config.yaml を取り込む", icon=":material/upload_file:"):
        ui.import_panel(list(workbook["機関"]["機関名"]))

# Settings (the workbook, mail, the rules), written to the settings file and audited:
st.subheader("設定")
ui.settings_panel()

# The audit trail:
st.subheader("監査ログ")
log = audit.read(audit.folder(secrets=ui.secrets()))
log_all = log
c1, c2, c3 = st.columns(3)
who = c1.multiselect("ユーザー", sorted(log["user"].dropna().unique()), placeholder="すべて", key="admin_users")
what = c2.multiselect("内容", list(audit.EVENTS.values()), placeholder="すべて", key="admin_events")
st.session_state.setdefault("admin_since", ui.today() - dt.timedelta(days=30))   # (kept across pages: no second default)
since = c3.date_input("この日から", key="admin_since")
shown = log
if who:
    shown = shown[shown["user"].isin(who)]
if what:
    shown = shown[shown["内容"].isin(what)]
shown = shown[shown["time"].fillna("") >= since.isoformat()]
st.caption(f"{len(shown)}件（全{len(log)}件）")
st.dataframe(shown.iloc[::-1].astype(str).replace({"None": "", "nan": ""}).rename(columns=audit.COLUMN_LABELS),
             hide_index=True, width="stretch")
ui.audited_download("監査ログを Excel でダウンロード", lambda: export.to_xlsx({"監査ログ": shown.astype(str)}),
                    f"監査ログ_{dt.date.today():%Y%m%d}.xlsx", what="監査ログ", households=0,
                    icon=":material/download:", mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

# Records past their keeping period, wherever the app holds them, and their disposal:
def dispose(who: str) -> None:
    """Record the disposal of the chosen households and clean them from the app's backups
    (a callback: runs before the page is drawn, so the figures below already show the result)."""
    chosen = st.session_state.get("admin_dispose_ids") or []
    cleaned = retention.scrub_backups(ui.backups(), set(chosen))
    if retention.record_disposal(ui.state_folder(), who, chosen, cleaned):
        ui.audit("dispose", households=chosen, backups=cleaned)
        st.session_state["_disposed"] = ("success", f"{len(chosen)}世帯の廃棄を記録しました"
                                                    f"（バックアップ{len(cleaned)}ファイルから削除）。")
        st.session_state["admin_dispose_ids"], st.session_state["admin_dispose_confirm"] = [], False
    else:
        st.session_state["_disposed"] = ("error", "廃棄の記録を書き込めませんでした。記録の置き場所（TSUNAGU_STATE_DIR）を確かめてください。")


st.subheader(f"保存期間満了（終結・中断から{ui.retention_years()}年）")
outcome = st.session_state.pop("_disposed", None)
if outcome:
    (st.success if outcome[0] == "success" else st.error)(outcome[1])
due = retention.disposal_due(workbook, ui.today(), ui.retention_years())
ids = set(due["世帯ID"])
c1, c2, c3 = st.columns(3)
c1.metric("シート（ワークブック）", f"{len(due)}世帯")
in_backups = retention.in_backups(ui.backups(), ids)
c2.metric("アプリのバックアップ", f"{len(in_backups)}ファイル")
in_log = retention.in_audit_log(log_all, ids)
c3.metric("監査ログ（世帯IDのみ）", f"{len(in_log)}件")
if due.empty:
    st.caption("保存期間を過ぎた世帯はありません。")
else:
    st.dataframe(ui.dates(due), hide_index=True, width="stretch")
    if len(in_backups):
        st.dataframe(in_backups, hide_index=True, width="stretch")
    st.markdown("**廃棄を記録する**: シートの行は事務局が削除します。ここで記録すると、アプリのバックアップからも"
                "その世帯の行を消し、だれが・いつ・どの世帯を廃棄したかを残します。")
    chosen = st.multiselect("廃棄する世帯", sorted(ids), placeholder="世帯を選ぶ", key="admin_dispose_ids")
    confirmed = st.checkbox("シートからこれらの世帯の行を削除した（または削除する）ことを確かめました",
                            key="admin_dispose_confirm")
    st.button("廃棄を記録する", type="primary", disabled=not (chosen and confirmed), key="dispose_button",
              on_click=dispose, args=(viewer.user.username,))
records = retention.disposals(ui.state_folder())
if len(records):
    st.markdown("**廃棄の記録**")
    st.dataframe(records, hide_index=True, width="stretch")
