"""世帯詳細: one household — summary, members, 家族構成図 and エコマップ, its アセスメント (別紙2-3),
plan sheet, contacts, meetings, problems, and the forms to record 経過記録, 段階, 同意, the plan and
the アセスメント (what this person may record).

Opened from a board card or by URL (?id=世帯ID), so a link can go into a meeting invitation.
"""
import streamlit as st

from lib.casework import entry, household, participation
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
right.image(detail.genogram, alt=detail.genogram_alt)
right.caption("□男性 ○女性 ◇不明、二重は本人、×は死亡。点線の枠は同居（枠の中の点線の図形は別居）。")
if st.toggle("エコマップ（この世帯にかかわる機関）を表示", key="detail_ecomap"):
    st.image(detail.ecomap, alt=detail.ecomap_alt)
    st.caption("太い線は主担当機関、細い線は支援プランの役割分担と受理されたつなぎ、破線は応答を待っているつなぎ、"
               "緑の線は参加支援の受入先です。")

hid = detail.household["世帯ID"]
done = entry.assessments(workbook, hid)
st.subheader("アセスメント（別紙2-3）")
if done.empty:
    st.caption("まだありません。主担当機関と多機関協働が「記録する」の「アセスメント」から記録します。")
elif viewer.projection:
    st.caption(f"{len(done)}件（最新 {to_wareki(done['実施日'].iloc[0].date())}）。投影モードのため内容は表示しません。")
else:
    latest = done.iloc[0]
    st.markdown(f"最新: **{to_wareki(latest['実施日'].date())}**　対象 {ui.esc(latest['対象'] or '世帯')}　"
                f"{ui.esc(latest['機関'] or '')}　{ui.esc(latest['記入者'] or '')}")
    st.markdown("\n".join(f"- **{ui.esc(heading)}**: {ui.esc(seen)}"
                           for heading, seen in household.assessment_items(latest)))
    if len(done) > 1:
        with st.expander(f"これまでのアセスメント（{len(done) - 1}件）"):
            st.dataframe(ui.dates(household.assessment_history(done.iloc[1:])), hide_index=True, width="stretch")

    ui.paper_downloads("別紙2-3", lambda: [paperwork.assessment_sheet(workbook, hid)], f"アセスメントシート_{hid}",
                       what="アセスメントシート", key="assessment")

matched = participation.of_household(workbook, hid)
if matched:
    st.subheader("参加支援（別紙2-5①）")
    st.markdown("\n".join(f"- **{ui.esc(m.target)} → {ui.esc(m.resource)}**（いま {ui.esc(m.step)}）　{ui.esc(m.history)}"
                           for m in matched))
    for m in participation.follow_ups_due(matched, ui.today()):
        st.warning(f"{ui.esc(m.target)} の {ui.esc(m.resource)}: 最後の記録（{to_wareki(m.last)}）から"
                   f"{participation.FOLLOW_UP_DAYS}日以上、定着支援の記録がありません。", icon=":material/event_busy:")

st.subheader("世帯支援プラン")
st.dataframe(ui.dates(detail.plan), hide_index=True, width="stretch")
st.subheader("経過記録（新しい順）")
st.dataframe(ui.dates(detail.contacts), hide_index=True, width="stretch")
if not viewer.projection and (workbook["支援プラン"]["世帯ID"] == hid).any():
    st.subheader("世帯支援プランシート（様式5）")

    ui.paper_downloads("様式5", lambda: [paperwork.plan_sheet(workbook, hid, f"{to_wareki(ui.today())} 現在")],
                       f"世帯支援プランシート_{hid}", what="世帯支援プランシート", key="plan_sheet")
if not viewer.projection and (workbook["評価"]["世帯ID"] == hid).any():
    st.subheader("評価シート（終結時）")
    ui.paper_downloads("評価シート", lambda: [paperwork.evaluation_sheet(workbook, hid)], f"評価シート_{hid}",
                       what="評価シート", key="evaluation_sheet")
st.subheader("この世帯を取り上げた会議")
st.dataframe(ui.dates(detail.meetings), hide_index=True, width="stretch")
st.subheader("この世帯のデータ点検")
if detail.problems:
    for p in detail.problems:
        st.markdown(f"- {ui.esc(p.tab)} {p.row or ''}行目 {ui.esc(p.column)}: {ui.esc(p.message)}")
    st.page_link(ui.CHECK_PAGE, label="データ点検で見る", icon=":material/fact_check:")
else:
    st.caption("問題はありません")
