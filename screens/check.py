"""データ点検: what in the sheet could not be used, where, and what to type instead."""
import datetime as dt

import streamlit as st

from lib.workbook import check, export
from lib.access import retention, users
from lib import ui
from lib.workbook.validate import SEVERITY_LABELS

# Read data and widgets:
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
if viewer.user.role == users.ADMIN and ui.sheets_read_whole_each_time():
    st.info("Google Drive API が有効になっていないため、読み直すたびにスプレッドシート全体を読んでいます（世帯の多い町では遅くなります）。"
            "Google Cloud のコンソールで、サービスアカウントのプロジェクトの「Google Drive API」を有効にしてください"
            "（README「Google スプレッドシートにつなぐ」）。", icon=":material/speed:")

if problems.empty:
    st.success("問題は見つかりませんでした。", icon=":material/check_circle:")
else:
    # Filters:
    labels = list(SEVERITY_LABELS.values())
    left, right = st.columns(2)
    st.session_state.setdefault("check_severity", labels[:2])
    severities = left.multiselect("重要度", labels, placeholder="すべて", key="check_severity")
    tabs = right.multiselect("タブ", list(dict.fromkeys(problems["タブ"])), key="check_tabs",
                             placeholder="すべてのタブ")
    shown = problems[problems["重要度"].isin(severities or labels)]
    if tabs:
        shown = shown[shown["タブ"].isin(tabs)]
    if viewer.projection:
        st.info("投影モードのため、セルの値は表示しません。", icon=":material/visibility_off:")
        shown = shown.drop(columns=["値"])

    # Problems grouped by tab, and the download (not on a projector):
    for tab, group in shown.groupby("タブ", sort=False):
        with st.expander(f"{ui.esc(tab)}（{len(group)}件）", expanded=True):
            ui.paged_table(group.drop(columns=["タブ"]), key=f"check_page_{tab}")
    if not viewer.projection:
        ui.audited_download("Excel でダウンロード", lambda: export.to_xlsx({"データ点検": problems}),
                            f"データ点検_{dt.date.today():%Y%m%d}.xlsx", what="データ点検",
                            households=len({p.household for p in workbook.problems if p.household}),
                            icon=":material/download:",
                            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

# A town's Google spreadsheet without some tabs or headings: a 管理者 adds them in one go.
missing = ui.missing_sheet_parts()
if missing and (missing[0] or missing[1]) and viewer.user.role == users.ADMIN and not viewer.projection:
    tabs, headings = missing
    st.subheader("足りないタブと見出し")
    st.markdown("このスプレッドシートには、つなぐボードのタブや見出しが足りません。"
                + (f"タブ: {ui.esc('、'.join(tabs))}。" if tabs else "")
                + "".join(f"「{ui.esc(t)}」の見出し: {ui.esc('、'.join(n))}。" for t, n in headings.items())
                + "作ると、タブと1行目の見出し、選ぶ欄の一覧（▼）が足されます。入力済みのセルは変わりません。")
    if st.button("足りないタブと見出しを作る", icon=":material/add_box:", key="sheet_complete_button"):
        done = ui.complete_sheet()
        if done:
            st.session_state["_sheet_completed"] = done
            st.rerun()
if st.session_state.get("_sheet_completed"):
    st.success(st.session_state.pop("_sheet_completed"), icon=":material/check_circle:")

# Records past their keeping period (終結から5年):
due = retention.disposal_due(workbook, ui.today(), ui.retention_years())
st.subheader(f"保存期間満了（終結・中断から{ui.retention_years()}年）")
if due.empty:
    st.caption("保存期間を過ぎた世帯はありません。")
else:
    st.warning(f"{len(due)}世帯の記録が保存期間を過ぎています。個人情報の取扱規程に沿って廃棄してください。",
               icon=":material/auto_delete:")
    ui.paged_table(ui.dates(due), key="check_due_page")
