"""Tsunagu Board (つなぐボード): sign-in, the shared sidebar and the list of pages."""
import streamlit as st

from lib import ui
from lib.access import users

st.set_page_config(page_title="つなぐボード", page_icon="🤝", layout="wide")
# Tables offer no CSV download or copy of their own (also in .streamlit/config.toml, for any working folder):
st.set_option("client.disableDataExport", True)

# Screens, in the order staff use them. They live in screens/, not pages/: Streamlit runs a
# fresh server's first request in its legacy pages/-folder mode when a folder of that name exists
# (streamlit PR #10276), which broke the first deep link after a restart.
PAGES = [
    st.Page("screens/home.py", title="ホーム", icon=":material/home:", url_path="top"),
    st.Page("screens/board.py", title="ケースボード", icon=":material/view_kanban:", url_path="case-board"),
    st.Page("screens/household.py", title="世帯詳細", icon=":material/home_work:", url_path="setai"),
    st.Page("screens/intake.py", title="相談受付", icon=":material/person_add:", url_path="uketsuke"),
    st.Page("screens/plans.py", title="プラン進捗", icon=":material/checklist:", url_path="shinchoku"),
    st.Page("screens/resources.py", title="社会資源マップ", icon=":material/map:", url_path="shigen"),
    st.Page("screens/outreach.py", title="アウトリーチ", icon=":material/directions_walk:", url_path="outreach"),
    st.Page("screens/agencies.py", title="機関一覧", icon=":material/apartment:", url_path="kikan"),
    st.Page("screens/meeting.py", title="会議", icon=":material/groups:", url_path="kaigi"),
    st.Page("screens/wall.py", title="会議の壁用画面", icon=":material/cast:", url_path="kabe"),
    st.Page("screens/check.py", title="データ点検", icon=":material/fact_check:", url_path="tenken"),
    st.Page("screens/help.py", title="設定・ヘルプ", icon=":material/help:", url_path="settei"),
]
# Only 管理者 and 多機関協働 see 取り込み, only 管理者 see 管理 in the menu (the pages check the role again):
IMPORT_PAGE = st.Page("screens/imports.py", title="取り込み", icon=":material/upload_file:", url_path="torikomi",
                      visibility="visible" if {users.ADMIN, users.COORDINATOR} & set(st.session_state.get("roles") or [])
                      else "hidden")
ADMIN_PAGE = st.Page("screens/admin.py", title="管理", icon=":material/admin_panel_settings:", url_path="kanri",
                     visibility="visible" if users.ADMIN in (st.session_state.get("roles") or []) else "hidden")



def _go(target: st.Page):
    """A hidden page that only forwards to `target`, keeping the link's parameters."""
    def forward():
        st.switch_page(target, query_params=st.query_params.to_dict())
    return forward


# Old links (v1 file names) forward to their screen; any other unknown path forwards to ホーム
# instead of Streamlit's English "Page not found" dialog:
OLD_NAMES = {"home": "top", "board": "case-board", "household": "setai", "plans": "shinchoku",
             "resources": "shigen", "meeting": "kaigi", "check": "tenken", "help": "settei", "admin": "kanri"}
by_path = {p.url_path: p for p in [*PAGES, IMPORT_PAGE, ADMIN_PAGE]}
asked = ui.requested_path()
aliases = {**OLD_NAMES, **({asked: "top"} if asked and asked not in by_path and asked not in OLD_NAMES else {})}
# The app's root forwards to /top (Streamlit serves a default page only at the root, so ホーム
# itself is not the default: that keeps /top a working link):
FORWARDS = [st.Page(_go(by_path["top"]), title="ホーム", url_path="index", default=True, visibility="hidden"),
            *(st.Page(_go(by_path[to]), title=by_path[to].title, url_path=name, visibility="hidden")
              for name, to in aliases.items() if name != "index")]

# Navigation comes before the sign-in form so that a bookmarked link (…/setai?id=H-001,
# …?mode=projection) still leads to its page once the person has signed in; a new session is
# signed in by its re-login cookie before it, so that a link opened from a mail shows the menu:
# The whole run: a shared state that cannot be reached is one calm page, never a traceback:
with ui.when_state_down():
    ui.sign_in_by_cookie()
    page = st.navigation(PAGES + [IMPORT_PAGE, ADMIN_PAGE] + FORWARDS, position="sidebar" if st.session_state.get("authentication_status")
                         else "hidden")
    user = ui.current_user()
    if user is None:
        # Remember the page and parameters asked for, to go there once signed in:
        st.session_state.setdefault("_wanted", (page.url_path, st.query_params.to_dict()))
        ui.sign_in_form()
        st.stop()
    if "_wanted" in st.session_state:
        wanted_path, wanted_params = st.session_state.pop("_wanted")
        if wanted_path != page.url_path or wanted_params != st.query_params.to_dict():
            target = next((p for p in [*PAGES, IMPORT_PAGE, ADMIN_PAGE] if p.url_path == wanted_path), page)
            st.switch_page(target, query_params=wanted_params)
    ui.keep_widget_state()
    ui.sidebar(user, account=ui.sign_out_button, repair=ui.workbook_settings)
    if ui.must_change_password(user):
        # A temporary password from a 管理者 is changed before anything else:
        st.title("パスワードを変える")
        ui.password_form(user, forced=True)
        st.stop()
    page.run()
