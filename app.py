"""Tsunagu Board (つなぐボード): sign-in, the shared sidebar and the list of pages."""
import streamlit as st

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
# Only 管理者 see this one:
ADMIN_PAGES = [st.Page("pages/admin.py", title="管理", icon=":material/admin_panel_settings:", url_path="kanri")]

# Navigation comes before the sign-in form so that a bookmarked link (…/setai?id=H-001,
# …?mode=projection) still leads to its page once the person has signed in:
user = ui.current_user()
page = st.navigation(PAGES + (ADMIN_PAGES if user and user.role == users.ADMIN else []),
                     position="sidebar" if user else "hidden")
if user is None:
    ui.sign_in_form()
    st.stop()
ui.keep_widget_state()
snapshot, viewer = ui.sidebar(user)
st.session_state["_snapshot"], st.session_state["_viewer"] = snapshot, viewer
page.run()
