"""相談受付 (美咲町 別紙2-2 相談受付・申込票): a new household, its members and consent, at 段階 受付."""
import streamlit as st

from lib import ui
from lib.access.scope import allowed_entries
from lib.casework import entry

st.title("相談受付")
workbook, viewer = ui.workbook_for_page()
ui.left_out_notice(workbook)
ui.first_steps("機関", stop=False)
if viewer.projection:
    st.info("投影モードでは受け付けできません（入力した内容が壁に映るため）。サイドバーで投影モードを切ってください。",
            icon=":material/visibility_off:")
    st.stop()
full = ui.write_workbook()
if entry.INTAKE not in allowed_entries(full, viewer.user):
    st.warning("相談受付を記録できるのは、管理者・多機関協働・機関職員です。", icon=":material/block:")
    st.stop()
ui.flash()
saved = st.session_state.get("_intake_saved")
if saved:
    ui.household_link(st, saved, f"受け付けた世帯（{saved}）を開く")
st.caption("新しい世帯を「受付」の段階で登録します。世帯IDは自動で付きます。同じ地区に似た表示名があるときはお知らせします。")
ui.intake_form(full, viewer)
