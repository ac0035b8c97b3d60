"""会議: build the agenda within the meeting's length, run it from the operator's view (the wall
follows in another window), record decisions, minutes and attendance, and print the paperwork
(様式1–5, 議事録); the 支援会議 member register."""
import datetime as dt

import pandas as pd
import streamlit as st

from lib import ui
from lib.access import users
from lib.casework import agencies, indicators, resources
from lib.meetings import agenda, paperwork
from lib.meetings import writeback as wb
from lib.meetings.agenda import Agenda, Proposal
from lib.ui import meeting_forms
from lib.workbook import schema
from lib.workbook.cells import fiscal_label, fiscal_year

VIEWS = ("議題", "進行（操作）", "書類", "構成員名簿")
# Agenda rows drawn with their controls at first (a long meeting can hold many households):
AGENDA_ROWS = 30
DEFAULT_LENGTH = 120

st.title("会議")
viewer = ui.current_viewer()
if viewer.user.role == users.VIEWER:
    # The meeting-room PC: only the wall of a meeting an operator is running.
    ui.left_out_notice(ui.workbook_for_page(projection=True)[0])
    meeting_forms.wall(viewer)
    st.stop()

# Read the meeting settings:
today = ui.today()
every = agenda.cadence(ui.setting("meeting_cadence"))
st.session_state.setdefault("meeting_start", agenda.DEFAULT_START)
st.session_state.setdefault("meeting_minutes", agenda.DEFAULT_MINUTES)
st.session_state.setdefault("meeting_length", DEFAULT_LENGTH)
c1, c2, c3, c4 = st.columns(4)
kind = c1.selectbox("種別", schema.MEETING_TYPES[:4], key="meeting_kind")
whole = ui.write_workbook()
suggested, why = agenda.suggest_date(whole[schema.MEETINGS], kind, today, every)
st.session_state.setdefault("meeting_date", suggested)
day = c2.date_input("開催日", key="meeting_date", help=f"次回の目安: {suggested:%Y/%m/%d}（{why}）")
start = c3.time_input("開始", key="meeting_start", step=dt.timedelta(minutes=5))
length = c4.number_input("会議の長さ（分）", 15, 480, step=15, key="meeting_length",
                         help="この長さに入る世帯までを議題にし、残りは「次回へ」に回します")
minutes = c1.number_input("1世帯あたり（分）", 5, 90, step=5, key="meeting_minutes")
place = c2.text_input("場所", key="meeting_place", placeholder="例: 役場2階 会議室")
chair = c3.text_input("議長", key="meeting_chair", placeholder="例: 福祉課長")
if day != suggested:
    c4.caption(f"次回の目安: {suggested:%m/%d}（{why}）")
view = st.radio("画面", VIEWS, horizontal=True, key="meeting_view", label_visibility="collapsed")
workbook, viewer = ui.workbook_for_page(meeting_context=kind)
ui.left_out_notice(workbook)
ui.first_steps("機関", "世帯", stop=False)
if kind == agenda.SHIEN:
    st.warning(agenda.SECRECY_NOTICE, icon=":material/lock:")
    if meeting_forms.shien_closed_to(whole, viewer):
        st.info("支援会議の議題と書類は、構成員の機関の職員だけが見られます（社会福祉法第106条の6）。"
                "構成員名簿は事務局（多機関協働）にお問い合わせください。", icon=":material/lock:")
        st.stop()

# The agenda: proposed again whenever the kind or the date changes, then edited by staff; the
# meeting's length decides how many fit, the rest go to 次回へ:
basis = (kind, day.isoformat())
if st.session_state.get("_meeting_basis") != basis:
    st.session_state["_meeting_basis"] = basis
    st.session_state["_meeting_items"] = agenda.propose(workbook, kind, day, stale_days=ui.stale_days())
    st.session_state["_meeting_pos"] = 0
    st.session_state["_meeting_rows"] = AGENDA_ROWS
    st.session_state["_meeting_saved_id"] = ""
items: list[Proposal] = st.session_state["_meeting_items"]
kept, later = agenda.fit(items, int(length), int(minutes))
current = Agenda(kind, day, start, int(minutes), place, chair, kept, st.session_state["_meeting_saved_id"])
names = dict(zip(workbook["世帯"]["世帯ID"], workbook["世帯"]["表示名"]))


def set_items(new_items):
    st.session_state["_meeting_items"] = new_items
    st.rerun()


if view == VIEWS[0] and kind in agenda.CASE_MEETINGS:
    # Render the agenda with its controls:
    st.subheader(f"議題（{len(kept)}世帯・{current.when()}）")
    if current.past_midnight:
        st.warning(agenda.PAST_MIDNIGHT_NOTICE, icon=":material/schedule:")
    if not items:
        st.info("この日の会議で取り上げるべき世帯は見つかりませんでした。下から追加できます。")
    shown_rows = st.session_state.get("_meeting_rows", AGENDA_ROWS)
    for i, (item, begin, end) in enumerate(current.schedule()[:shown_rows]):
        row = st.columns([0.4, 1.2, 2.2, 5.2, 0.5, 0.5, 0.5], vertical_alignment="center")
        row[0].markdown(f"**{i + 1}**")
        row[1].markdown(agenda.clock_range(begin, end, current.date))
        ui.household_link(row[2], item.household_id, names.get(item.household_id, item.household_id))
        row[3].markdown(f"**{ui.esc('・'.join(item.reasons))}**　{ui.esc(item.words)}")
        if row[4].button("", icon=":material/arrow_upward:", key=f"up_{item.household_id}", help="上へ"):
            set_items(agenda.move(items, i, -1))
        if row[5].button("", icon=":material/arrow_downward:", key=f"down_{item.household_id}", help="下へ"):
            set_items(agenda.move(items, i, 1))
        if row[6].button("", icon=":material/close:", key=f"drop_{item.household_id}", help="議題から外す"):
            set_items([p for p in items if p.household_id != item.household_id])
    if len(kept) > shown_rows:
        st.caption(f"ここまで{shown_rows}世帯を表示。残り{len(kept) - shown_rows}世帯も議題に入っています。")
        if st.button(f"さらに{AGENDA_ROWS}世帯を表示", key="more_agenda_rows"):
            st.session_state["_meeting_rows"] = shown_rows + AGENDA_ROWS
            st.rerun()
    if later:
        st.subheader(f"次回へ（{len(later)}世帯）")
        st.caption(f"会議の長さ{int(length)}分に入らない世帯です（優先度の高い順）。議題から外すか会議を長くすると、上から順に議題に入ります。")
        ui.paged_table(pd.DataFrame({"世帯": [names.get(p.household_id, p.household_id) for p in later],
                                     "世帯ID": [p.household_id for p in later],
                                     "理由": ["・".join(p.reasons) for p in later]}), key="meeting_later_page")
    candidates = agenda.addable(workbook, kind, [p.household_id for p in items])
    add_col, button_col = st.columns([4, 1], vertical_alignment="bottom")
    extra = ui.household_choice("世帯を追加", {h: names.get(h, h) for h in candidates}, key="meeting_add",
                                placeholder="表示名か世帯ID", container=add_col)
    if button_col.button("議題に加える", disabled=extra is None):
        set_items([*kept, Proposal(extra, ("追加",)), *later])
elif view == VIEWS[0] and kind == schema.TEIREI_KAIGI:
    st.subheader("プランの進み具合（支援中の世帯）")
    ui.paged_table(agenda.plan_status(workbook, today), key="meeting_status_page")
    st.subheader("社会資源の充足状況")
    gaps = resources.gap_summary(workbook)
    st.markdown("\n".join(f"- {ui.esc(line)}" for line in gaps) or "足りない種別のある地区はありません。")
    st.dataframe(resources.coverage(workbook), hide_index=True, width="stretch")
    st.page_link(ui.RESOURCES_PAGE, label="社会資源マップで見る", icon=":material/map:")
elif view == VIEWS[0]:
    year = fiscal_year(day)
    st.subheader(f"{fiscal_label(year)}の計画指標")
    ui.indicator_table(ui.shared(indicators.indicator_table, workbook, year, today))

elif view == VIEWS[2]:
    # The paperwork, from the desk view of the workbook (built only when someone asks for a file):
    recorded = workbook[schema.MEETINGS]
    recorded = recorded[recorded["種別"] == kind].sort_values("開催日", ascending=False)
    saved_ids = list(recorded["会議ID"])
    default = saved_ids.index(current.meeting_id) + 1 if current.meeting_id in saved_ids else 0
    source = st.selectbox("もとにする会議", ["", *saved_ids], index=default, key="meeting_paper_source",
                          placeholder="会議を選ぶ",
                          format_func=lambda m: "いま準備中の議題（会議の前）" if not m else
                          f"{m}（{recorded.set_index('会議ID').loc[m, '開催日']:%Y/%m/%d} に開催・記録済み）")
    saved = wb.saved_meeting(workbook, source) if source else None
    paper = wb.agenda_of(saved) if saved else current
    reporter = (viewer.user.agency or "", viewer.user.name or "")

    def forms():
        return paperwork.forms(workbook, paper, today, saved=saved, reporter=reporter)

    def plan_sheets():
        return paperwork.plan_sheets(workbook, paper)

    stem = paperwork.file_stem(paper)
    st.subheader("会議の書類")
    st.caption("開催通知（様式1）・会次第（様式2）・世帯支援プラン検討シート（様式3、世帯ごと）・会議報告シート（様式4）"
               + ("・議事録（記録した会議から）" if saved else ""))
    left, right = st.columns(2)
    with left:
        ui.audited_download("Excel でダウンロード", lambda: paperwork.to_xlsx(forms()), f"{stem}.xlsx", what="会議書類",
                            households=len(paper.items), icon=":material/table_view:", width="stretch",
                            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    with right:
        ui.audited_download("PDF でダウンロード", lambda: paperwork.to_pdf(forms()), f"{stem}.pdf", what="会議書類",
                            households=len(paper.items), icon=":material/picture_as_pdf:", width="stretch",
                            mime="application/pdf")
    if kind == agenda.JUSOU:
        st.markdown("**世帯支援プランシート（様式5）** 会議の全世帯の、いまのプラン")
        left, right = st.columns(2)
        with left:
            ui.audited_download("様式5を Excel で", lambda: paperwork.to_xlsx(plan_sheets()), f"{stem}_様式5.xlsx",
                                what="世帯支援プランシート", households=len(paper.items), icon=":material/table_view:",
                                width="stretch", key="plan_sheets_xlsx",
                                mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        with right:
            ui.audited_download("様式5を PDF で", lambda: paperwork.to_pdf(plan_sheets()), f"{stem}_様式5.pdf",
                                what="世帯支援プランシート", households=len(paper.items), icon=":material/picture_as_pdf:",
                                width="stretch", key="plan_sheets_pdf", mime="application/pdf")
    st.markdown("**宛先**: " + ui.esc("、".join(agenda.agencies_to_notify(workbook, paper)) or "（機関タブがありません）"))

elif view == VIEWS[3]:
    st.subheader("支援会議の構成員名簿")
    st.caption("社会福祉法第106条の6の支援会議の構成員です。構成員には守秘義務（同法第159条）があります。"
               "機関タブの「支援会議構成員」と、構成員名簿タブ（氏名・守秘義務確認日）から作っています。"
               "所管課が税務の機関は構成員にしません。")
    st.dataframe(agencies.register(whole), hide_index=True, width="stretch")
    if whole[schema.MEMBER_REGISTER].empty:
        st.info("構成員名簿タブに、構成員の氏名と守秘義務を確認した日を入れてください。", icon=":material/info:")

elif not kept:
    st.info("進行する世帯がありません。「議題」で世帯を選んでください。")
else:
    meeting_forms.operator(workbook, whole, current, viewer)
