"""アウトリーチ: people not yet in 受付 (often without a name or consent), their contacts and the
plan for building trust, and 「相談受付へ」 once they agree — for the outreach agency and 多機関協働
only, never projected."""
import streamlit as st

from lib import ui
from lib.casework import outreach

# Read data:
st.title("アウトリーチ")
workbook, viewer = ui.workbook_for_page()
ui.left_out_notice(workbook)
if viewer.projection:
    st.info("投影モードでは表示しません（まだ相談受付していない人の記録です）。", icon=":material/visibility_off:")
    st.stop()
if not ui.sees_outreach(viewer):
    st.error("この画面は、アウトリーチを担当する機関（機関タブの事業が「アウトリーチ等継続的支援」）と"
             "多機関協働・管理者だけが使えます。", icon=":material/block:")
    st.stop()
ui.audit_once("view_outreach")
ui.first_steps("機関", "地区", stop=False)
people = ui.shared(outreach.of_workbook, workbook)

# Render:
c1, c2, c3 = st.columns(3)
c1.metric("接触中", sum(p.state == outreach.CONTACTING for p in people))
c2.metric("見守り", sum(p.state == outreach.WATCHING for p in people))
c3.metric("相談受付へ進んだ", sum(p.state == outreach.TO_INTAKE for p in people))
ui.flash()
if people:
    st.dataframe(ui.dates(outreach.table(people)), hide_index=True, width="stretch")
else:
    st.caption("まだアウトリーチの記録はありません。下の「記録する」で、最初の人への接触を記録します。")
st.subheader("記録する")
ui.outreach_panel(workbook, viewer.user, people)
