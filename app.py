"""Tsunagu Board (つなぐボード): sign-in, the shared sidebar and the list of pages."""
import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from lib import ui, users

st.set_page_config(page_title="つなぐボード", page_icon="🤝", layout="wide")

# Pages, in the order staff use them (auto-discovery of pages/ is off with st.navigation).
# Each url_path differs from its file name on purpose: on a server's first run (and in every
# AppTest run) Streamlit still treats pages/ as a legacy folder, and a URL equal to a file name
# would run that page file alone, without this script's sidebar and data.
PAGES = [
    st.Page("pages/home.py", title="ホーム", icon=":material/home:", url_path="top", default=True),
    st.Page("pages/board.py", title="ケースボード", icon=":material/view_kanban:", url_path="case-board"),
    st.Page("pages/household.py", title="世帯詳細", icon=":material/home_work:", url_path="setai"),
    st.Page("pages/plans.py", title="プラン進捗", icon=":material/checklist:", url_path="shinchoku"),
    st.Page("pages/resources.py", title="社会資源マップ", icon=":material/map:", url_path="shigen"),
    st.Page("pages/meeting.py", title="会議", icon=":material/groups:", url_path="kaigi"),
    st.Page("pages/check.py", title="データ点検", icon=":material/fact_check:", url_path="tenken"),
    st.Page("pages/help.py", title="設定・ヘルプ", icon=":material/help:", url_path="settei"),
]
# Only 管理者 see this one in the menu (the page itself checks the role again):
ADMIN_PAGE = st.Page("pages/admin.py", title="管理", icon=":material/admin_panel_settings:", url_path="kanri",
                     visibility="visible" if users.ADMIN in (st.session_state.get("roles") or []) else "hidden")

# Streamlit runs a server's very first script run in its legacy pages/-folder mode; widgets
# drawn in that run (the sign-in form) would not survive the switch to st.navigation. Such a
# run is redone at once, before anyone can type into it.
legacy_first_run = PagesManager.uses_pages_directory and "_started" not in st.session_state
st.session_state["_started"] = True

# Navigation comes before the sign-in form so that a bookmarked link (…/setai?id=H-001,
# …?mode=projection) still leads to its page once the person has signed in:
page = st.navigation(PAGES + [ADMIN_PAGE], position="sidebar" if st.session_state.get("authentication_status")
                     else "hidden")
user = ui.current_user()
if legacy_first_run:
    st.rerun()
if user is None:
    # Remember the page and parameters asked for, to go there once signed in:
    st.session_state.setdefault("_wanted", (page.url_path, st.query_params.to_dict()))
    ui.sign_in_form()
    st.stop()
if "_wanted" in st.session_state:
    wanted_path, wanted_params = st.session_state.pop("_wanted")
    if wanted_path != page.url_path or wanted_params != st.query_params.to_dict():
        target = next((p for p in [*PAGES, ADMIN_PAGE] if p.url_path == wanted_path), page)
        st.switch_page(target, query_params=wanted_params)
ui.keep_widget_state()
snapshot, viewer = ui.sidebar(user)
st.session_state["_snapshot"], st.session_state["_viewer"] = snapshot, viewer
page.run()
