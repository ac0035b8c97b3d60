"""世帯詳細: one household — summary, members and 家族構成図, plan sheet, contacts, meetings, problems,
and the forms to record 経過記録, 段階, 同意 and the plan (what this person may record).

Opened from a board card or by URL (?id=世帯ID), so a link can go into a meeting invitation.
"""
import streamlit as st

from lib.casework import household
from lib.meetings import paperwork
from lib import ui
from lib.workbook.cells import to_wareki

# Read data and the household asked for:
workbook, viewer = ui.workbook_for_page()
wanted = st.query_params.get("id", "")
detail = household.build_detail(workbook, wanted, ui.today(), projection=viewer.projection) if wanted else None

# Render:
st.title(ui.esc(detail.household["表示名"]) if detail else "世帯詳細")
ui.left_out_notice(workbook)
ui.first_steps("世帯")
if not wanted:
    names = dict(zip(workbook["世帯"]["世帯ID"], workbook["世帯"]["表示名"]))
    picked = ui.household_choice("世帯を選ぶ", names, key="detail_pick", placeholder="表示名か世帯IDを入力")
    if picked:
        st.query_params["id"] = picked
        st.rerun()
    st.stop()
if detail is None:
    if ui.household_exists(wanted):
        ui.audit("refused_household", household=wanted)
    st.warning(f"世帯ID「{ui.esc(wanted)}」の世帯は、表示できる世帯の中にありません。"
               "世帯IDのつづりを確かめるか、ケースボードから選んでください。", icon=":material/search_off:")
    st.page_link(ui.BOARD_PAGE, label="ケースボードへ戻る", icon=":material/view_kanban:")
    st.stop()
opened = st.session_state.setdefault("_opened_households", set())
if detail.household["世帯ID"] not in opened:
    opened.add(detail.household["世帯ID"])
    ui.audit("open_household", household=detail.household["世帯ID"], projection=viewer.projection)
st.markdown(ui.household_summary_html(detail), unsafe_allow_html=True)
ui.household_entries(ui.write_workbook(), detail.household["世帯ID"], viewer)

left, right = st.columns([3, 2])
left.subheader("世帯員")
left.dataframe(detail.members, hide_index=True, width="stretch")
right.subheader("家族構成図")
right.graphviz_chart(detail.genogram, width="content")

st.subheader("世帯支援プラン")
st.dataframe(ui.dates(detail.plan), hide_index=True, width="stretch")
st.subheader("経過記録（新しい順）")
st.dataframe(ui.dates(detail.contacts), hide_index=True, width="stretch")
hid = detail.household["世帯ID"]
if not viewer.projection and (workbook["支援プラン"]["世帯ID"] == hid).any():
    st.subheader("世帯支援プランシート（様式5）")

    def plan_sheet():
        return [paperwork.plan_sheet(workbook, hid, f"{to_wareki(ui.today())} 現在")]

    left, right = st.columns(2)
    with left:
        ui.audited_download("様式5（Excel）", lambda: paperwork.to_xlsx(plan_sheet()), f"世帯支援プランシート_{hid}.xlsx",
                            what="世帯支援プランシート", households=1, icon=":material/table:", key="plan_sheet_xlsx")
    with right:
        ui.audited_download("様式5（PDF）", lambda: paperwork.to_pdf(plan_sheet()), f"世帯支援プランシート_{hid}.pdf",
                            what="世帯支援プランシート", households=1, icon=":material/picture_as_pdf:",
                            key="plan_sheet_pdf")
if not viewer.projection and (workbook["評価"]["世帯ID"] == hid).any():
    st.subheader("評価シート（終結時）")
    sheet = [paperwork.evaluation_sheet(workbook, hid)]
    left, right = st.columns(2)
    with left:
        ui.audited_download("評価シート（Excel）", lambda: paperwork.to_xlsx(sheet), f"評価シート_{hid}.xlsx",
                            what="評価シート", households=1, icon=":material/table:")
    with right:
        ui.audited_download("評価シート（PDF）", lambda: paperwork.to_pdf(sheet), f"評価シート_{hid}.pdf",
                            what="評価シート", households=1, icon=":material/picture_as_pdf:")
st.subheader("この世帯を取り上げた会議")
st.dataframe(ui.dates(detail.meetings), hide_index=True, width="stretch")
st.subheader("この世帯のデータ点検")
if detail.problems:
    for p in detail.problems:
        st.markdown(f"- {ui.esc(p.tab)} {p.row or ''}行目 {ui.esc(p.column)}: {ui.esc(p.message)}")
    st.page_link(ui.CHECK_PAGE, label="データ点検で見る", icon=":material/fact_check:")
else:
    st.caption("問題はありません")
