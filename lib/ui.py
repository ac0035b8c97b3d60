"""Shared Streamlit pieces: the workbook snapshot with its cache, the sidebar, notices.

The only lib module that imports streamlit. Pages call `workbook_for_page()` and never
read the source themselves.
"""
from __future__ import annotations

import datetime as dt
import html
import threading
from dataclasses import dataclass

import streamlit as st

from lib import sources
from lib.scope import Viewer, scope_workbook
from lib.validate import Workbook

CHECK_PAGE = "pages/check.py"
# Larger type and stronger contrast for a projector (no sheet values in this CSS):
PROJECTION_CSS = """
<style>
[data-testid="stAppViewContainer"] { font-size: 1.35rem; }
[data-testid="stAppViewContainer"] h1 { font-size: 2.6rem; }
[data-testid="stMetricValue"] { font-size: 3rem; }
[data-testid="stAppViewContainer"] p, [data-testid="stAppViewContainer"] li { color: #000; }
</style>
"""


def esc(value: object) -> str:
    """Escape a sheet value for HTML; every value shown with unsafe_allow_html goes through here."""
    return html.escape("" if value is None else str(value), quote=True)


@dataclass
class _Entry:
    snapshot: sources.Snapshot | None = None
    error: sources.SourceError | None = None   # the last refresh failed with this
    tried_at: dt.datetime | None = None


@st.cache_resource(show_spinner=False)
def _store() -> tuple[dict[str, _Entry], threading.Lock]:
    """Process-wide store of the last good read per source (shared by all sessions)."""
    return {}, threading.Lock()


def _secrets() -> dict:
    try:
        return st.secrets.to_dict()
    except Exception:   # no secrets.toml at all: streamlit raises its own not-found error
        return {}


def current_snapshot(force: bool = False) -> tuple[sources.SourceConfig, sources.Snapshot, sources.SourceError | None]:
    """The workbook as last read, re-read when older than the TTL or when `force` is set.

    If a re-read fails and an earlier read exists, that earlier read is returned with the
    error (the page shows a banner); with no earlier read the error is raised.
    """
    config = sources.resolve(secrets=_secrets())
    entries, lock = _store()
    with lock:
        entry = entries.setdefault(config.cache_key, _Entry())
        now = dt.datetime.now()
        fresh = entry.tried_at and (now - entry.tried_at).total_seconds() < config.ttl
        if entry.snapshot is None or force or not fresh:
            entry.tried_at = now
            try:
                entry.snapshot, entry.error = sources.load(config, now), None
            except sources.SourceError as e:
                entry.error = e
                if entry.snapshot is None:
                    raise
        return config, entry.snapshot, entry.error


def projection_on() -> bool:
    """投影モード: from the sidebar switch, or bookmarked as ?mode=projection."""
    if "projection" not in st.session_state:
        st.session_state["projection"] = st.query_params.get("mode") == "projection"
    return bool(st.session_state["projection"])


def _sync_projection_param() -> None:
    if st.session_state.get("projection"):
        st.query_params["mode"] = "projection"
    elif st.query_params.get("mode") == "projection":
        del st.query_params["mode"]


def sidebar() -> tuple[sources.Snapshot | None, Viewer]:
    """The shared sidebar: source, read time, refresh, 投影モード. Stops the page if nothing can be read."""
    projection = projection_on()
    with st.sidebar:
        st.toggle("投影モード", key="projection", on_change=_sync_projection_param,
                  help="会議で壁に映すときに。名前を仮名（A世帯…）にし、自由記述を隠します。"
                       "URL に ?mode=projection を付けても同じです。")
        refresh = st.button("最新の情報に更新", icon=":material/refresh:", width="stretch")
    _sync_projection_param()
    if projection:
        st.markdown(PROJECTION_CSS, unsafe_allow_html=True)
    try:
        config, snapshot, error = current_snapshot(force=refresh)
    except sources.SourceError as e:
        _error_page(e)
        st.stop()
    with st.sidebar:
        st.caption(f"データ: {snapshot.label}")
        st.caption(f"データ取得: {snapshot.read_at:%H:%M}")
    if error is not None:
        age = int((dt.datetime.now() - snapshot.read_at).total_seconds() // 60)
        st.warning(f"最新の情報を読めませんでした（{error}）。{snapshot.read_at:%m月%d日 %H:%M} に取得したデータ"
                   f"（{age}分前）を表示しています。{error.advice}", icon=":material/cloud_off:")
    return snapshot, Viewer(projection=projection)


def _error_page(error: sources.SourceError) -> None:
    st.title("データを読めませんでした")
    st.error(str(error), icon=":material/error:")
    st.markdown(f"**確かめること:** {error.advice}")
    st.markdown(
        "- Google スプレッドシートの場合: URL（またはキー）が正しいか、スプレッドシートの「共有」に"
        "サービスアカウントのメールアドレスが入っているか、`.streamlit/secrets.toml` の "
        "`[gcp_service_account]` が鍵ファイルの中身どおりか\n"
        "- Excel ファイルの場合: ファイルの場所（`TSUNAGU_WORKBOOK`）と、共有フォルダにつながっているか\n"
        "- 直したら「最新の情報に更新」を押してください。わからないときは「設定・ヘルプ」をご覧ください。")


def workbook_for_page() -> tuple[Workbook, Viewer]:
    """What every page starts with: the scoped workbook for this viewer (sidebar already drawn)."""
    snapshot, viewer = st.session_state["_snapshot"], st.session_state["_viewer"]
    return scope_workbook(snapshot.workbook, viewer), viewer


def left_out_notice(workbook: Workbook) -> None:
    """「N行を表示できませんでした → データ点検」 when rows were left out."""
    n = workbook.rows_left_out
    if n:
        cols = st.columns([5, 2])
        cols[0].warning(f"{n}行を表示できませんでした（シートの入力に誤りがあります）", icon=":material/warning:")
        cols[1].page_link(CHECK_PAGE, label="→ データ点検", icon=":material/fact_check:")


def problem_list(problems, viewer: Viewer) -> None:
    """The データ点検 list: severity/tab filters, one expander per tab, Excel download."""
    import datetime as dt

    from lib import export
    from lib.validate import SEVERITY_LABELS

    left, right = st.columns(2)
    labels = list(SEVERITY_LABELS.values())
    severities = left.multiselect("重要度", labels, default=labels[:2], key="check_severity")
    order = list(dict.fromkeys(problems["タブ"]))
    tabs = right.multiselect("タブ", order, key="check_tabs", placeholder="すべてのタブ")
    shown = problems[problems["重要度"].isin(severities or labels)]
    if tabs:
        shown = shown[shown["タブ"].isin(tabs)]
    if viewer.projection:
        st.info("投影モードのため、セルの値は表示しません。", icon=":material/visibility_off:")
        shown = shown.drop(columns=["値"])
    for tab, group in shown.groupby("タブ", sort=False):
        with st.expander(f"{tab}（{len(group)}件）", expanded=True):
            st.dataframe(group.drop(columns=["タブ"]), hide_index=True, width="stretch")
    if not viewer.projection:
        st.download_button("Excel でダウンロード", export.to_xlsx({"データ点検": problems}),
                           file_name=f"データ点検_{dt.date.today():%Y%m%d}.xlsx", icon=":material/download:",
                           mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
