"""データ点検: what in the sheet could not be used, where, and what to type instead."""
import datetime as dt

import streamlit as st

from lib import check, export, ui
from lib.validate import SEVERITY_LABELS

# Read widgets and data:
workbook, viewer = ui.workbook_for_page()
problems = check.problems_frame(workbook)
counts = workbook.counts()

# Render the counts:
st.title("データ点検")
st.caption("シートで直すところの一覧です。行番号はシートの左端の番号です。直したら「最新の情報に更新」を押してください。")
cols = st.columns(4)
cols[0].metric("エラー", f"{counts['error']}件")
cols[1].metric("注意", f"{counts['warning']}件")
cols[2].metric("情報", f"{counts['info']}件")
cols[3].metric("表示できない行", f"{workbook.rows_left_out}行")
if problems.empty:
    st.success("問題は見つかりませんでした。", icon=":material/check_circle:")
else:
    ui.problem_list(problems, viewer)
