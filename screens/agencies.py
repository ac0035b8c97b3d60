"""機関一覧: the 機関 tab as a directory — contact details, 支援会議構成員, open つなぎ requests and
each agency's load (households led, plan items due) — counted within what this person may see."""
import streamlit as st

from lib import ui
from lib.casework import referrals

st.title("機関一覧")
workbook, viewer = ui.workbook_for_page()
ui.left_out_notice(workbook)
ui.first_steps("機関")
table = referrals.directory(workbook, ui.today())
st.caption(f"機関タブの{len(table)}機関。依頼の数・主担当の世帯・期限の近い取組（{referrals.DUE_SOON_DAYS}日以内か期限切れ）は、"
           "この画面を見ている人が見てよい世帯の分だけを数えています。")
name = st.text_input("機関名で絞り込み", key="agencies_filter")
if name:
    table = table[table["機関名"].str.contains(name, regex=False, na=False)]
st.dataframe(table, hide_index=True, width="stretch", column_config={
    "メール": st.column_config.TextColumn("メール"), "期限の近い取組": st.column_config.NumberColumn(
        "期限の近い取組", help="役割分担にこの機関の名前がある、未着手・実施中・見直しの取組")})
