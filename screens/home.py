"""ホーム: what is in the workbook at a glance (counts only, safe to project)."""
import streamlit as st

from lib.casework import households as home
from lib.access import retention, users
from lib import ui
from lib.workbook import schema

# Read what the sidebar loaded, scoped for this viewer:
workbook, viewer = ui.workbook_for_page()
summary = home.summary(workbook)

# Render:
st.title("つなぐボード")
st.caption("重層的支援体制整備事業の世帯・会議・プラン・社会資源を、いつものスプレッドシートから見える化します。")
ui.left_out_notice(workbook)
ui.first_steps("機関", "世帯")
cols = st.columns(4)
cols[0].metric("支援中の世帯", summary.active, help="終結・中断を除いた世帯の数")
cols[1].metric("重層的支援会議へ", summary.by_track[schema.JUSOU_KAIGI], help="本人同意ありの世帯（終結・中断を除く）")
cols[2].metric("支援会議へ", summary.by_track[schema.SHIEN_KAIGI], help="同意なし・不明の世帯（終結・中断を除く）")
cols[3].metric("データ点検のエラー", summary.errors)
if viewer.user.role == users.ADMIN:
    due = retention.disposal_due(workbook, ui.today(), ui.retention_years())
    st.metric("保存期間満了の世帯（管理者のみ表示）", f"{len(due)}世帯", help="終結・中断から5年を過ぎた記録。データ点検と管理画面に一覧があります")
ui.inbox_panel(viewer, workbook)
st.subheader("段階ごとの世帯数")
st.dataframe(summary.by_stage, hide_index=True, width="stretch")
st.subheader("シートの行数")
st.dataframe(summary.rows_per_tab, hide_index=True, width="stretch")
