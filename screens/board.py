"""ケースボード: households by 段階, for daily work and for the wall in meetings."""
import streamlit as st

from lib.casework import board
from lib import ui
from lib.casework.board import Filters
from lib.access.scope import allowed_entries
from lib.casework import entry
from lib.workbook import schema

# Cards shown per column at first, and how many more 「さらに表示」 adds:
CARDS_PER_COLUMN = 10

# Read data and widgets:
st.title("ケースボード")
workbook, viewer = ui.workbook_for_page()
options = board.filter_options(workbook["世帯"])
with st.expander("絞り込み", icon=":material/filter_alt:", expanded=False):
    c1, c2, c3 = st.columns(3)
    filters = Filters(
        areas=tuple(c1.multiselect("地区", options["地区"], placeholder="すべて", key="board_areas")),
        issues=tuple(c2.multiselect("課題（どれかを含む）", options["課題"], placeholder="すべて", key="board_issues")),
        tracks=tuple(c3.multiselect("会議", options["track"], placeholder="すべて", key="board_tracks")),
        agencies=tuple(c1.multiselect("主担当機関", options["主担当機関"], placeholder="すべて", key="board_agencies")),
        staff=tuple(c2.multiselect("担当者", options["担当者"], placeholder="すべて", key="board_staff")),
        urgencies=tuple(c3.multiselect("緊急度", options["緊急度"], placeholder="すべて", key="board_urgencies")),
        text=c1.text_input("表示名・世帯IDで検索", key="board_text"))
table_view = st.toggle("一覧表で表示", key="board_table_view", help="世帯が多いときは一覧表が軽くて見やすいです")

# Build the board:
stale = ui.stale_days()
result = ui.shared(board.build_board, workbook, ui.today(), filters, stale_days=stale, referral_days=ui.referral_days())
figures = result.figures

# Render the figures, then the columns (each card with its 「記録」 menu for those who may record):
ui.left_out_notice(workbook)
ui.first_steps("世帯")
ui.flash()
menu = None if viewer.projection or entry.CONTACT not in allowed_entries(workbook, viewer.user) else ui.open_card_menu
cols = st.columns(6)
cols[0].metric("支援中の世帯", figures.active, help="終結・中断を除く")
cols[1].metric("見直し期限切れ", figures.overdue)
cols[2].metric(f"{stale}日以上接触なし", figures.stale)
cols[3].metric("今月の新規受付", figures.new_this_month)
cols[4].metric("重層的支援会議へ", figures.by_track[schema.JUSOU_KAIGI])
cols[5].metric("支援会議へ", figures.by_track[schema.SHIEN_KAIGI])
if result.shown != result.total:
    st.caption(f"絞り込み中: {result.total}世帯のうち {result.shown}世帯を表示")
st.markdown(ui.CARD_CSS, unsafe_allow_html=True)

if table_view:
    ui.paged_table(ui.dates(board.board_table(result)), key="board_table_page")
else:
    for stage, column in zip(board.OPEN_STAGES, st.columns(len(board.OPEN_STAGES))):
        ui.board_column(column, stage, result.columns[stage], CARDS_PER_COLUMN, menu=menu)
    for stage in (s for s in result.columns if s not in board.OPEN_STAGES):
        with st.expander(f"{stage}（{len(result.columns[stage])}）", expanded=False):
            ui.board_column(st.container(), stage, result.columns[stage], CARDS_PER_COLUMN, header=False, menu=menu)
if menu is not None:
    ui.card_menu()
