"""Tsunagu Board (つなぐボード): the shared sidebar and the list of pages."""
import streamlit as st

from lib import ui

st.set_page_config(page_title="つなぐボード", page_icon=":material/diversity_3:", layout="wide")

# Pages, in the order staff use them (auto-discovery of pages/ is off with st.navigation):
PAGES = [
    st.Page("pages/home.py", title="ホーム", icon=":material/home:", url_path="home", default=True),
    st.Page("pages/check.py", title="データ点検", icon=":material/fact_check:", url_path="check"),
    st.Page("pages/help.py", title="設定・ヘルプ", icon=":material/help:", url_path="help"),
]

page = st.navigation(PAGES)
snapshot, viewer = ui.sidebar()
st.session_state["_snapshot"], st.session_state["_viewer"] = snapshot, viewer
page.run()
