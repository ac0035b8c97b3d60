"""会議の壁用画面: projected in the meeting room, it follows the operator's current item (no inputs)."""
import streamlit as st

from lib import ui
from lib.ui import meeting_forms

st.title("会議")
workbook, viewer = ui.workbook_for_page(projection=True)
ui.left_out_notice(workbook)
meeting_forms.wall(viewer)
