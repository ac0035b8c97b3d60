"""会議: build the agenda, print its paperwork (様式1–4), run it in presenter mode and record it."""
import datetime as dt

import streamlit as st

from lib.meetings import agenda, paperwork
from lib.casework import household, indicators, resources
from lib.workbook import schema
from lib import ui
from lib.access import users
from lib.meetings import writeback as wb
from lib.meetings.agenda import Agenda, Proposal
from lib.workbook.cells import fiscal_label, fiscal_year
from lib.workbook.sources import SourceError
from lib.workbook.writeplan import describe

VIEWS = ("議題", "書類", "進行（プレゼンター）")
# Agenda rows drawn with their controls at first (a large town proposes hundreds of households):
AGENDA_ROWS = 30
KEEP = "（変えない）"

# Read the meeting settings:
st.title("会議")
today = ui.today()
st.session_state.setdefault("meeting_date", agenda.next_business_day(today))
st.session_state.setdefault("meeting_start", agenda.DEFAULT_START)
st.session_state.setdefault("meeting_minutes", agenda.DEFAULT_MINUTES)
c1, c2, c3 = st.columns(3)
kind = c1.selectbox("種別", schema.MEETING_TYPES[:4], key="meeting_kind")
day = c2.date_input("開催日", key="meeting_date", help="初めは次の開庁日（土日・祝日・年末年始を除く）")
start = c3.time_input("開始", key="meeting_start", step=dt.timedelta(minutes=5))
minutes = c1.number_input("1世帯あたり（分）", 5, 90, step=5, key="meeting_minutes")
place = c2.text_input("場所", key="meeting_place", placeholder="例: 役場2階 会議室")
chair = c3.text_input("議長", key="meeting_chair", placeholder="例: 福祉課長")
view = st.radio("画面", VIEWS, horizontal=True, key="meeting_view", label_visibility="collapsed")
workbook, viewer = ui.workbook_for_page(meeting_context=kind)
ui.left_out_notice(workbook)
if kind == agenda.SHIEN:
    st.warning(agenda.SECRECY_NOTICE, icon=":material/lock:")

# The agenda: proposed again whenever the kind or the date changes, then edited by staff:
basis = (kind, day.isoformat())
if st.session_state.get("_meeting_basis") != basis:
    st.session_state["_meeting_basis"] = basis
    st.session_state["_meeting_items"] = agenda.propose(workbook, kind, day, stale_days=ui.stale_days())
    st.session_state["_meeting_pos"] = 0
    st.session_state["_meeting_rows"] = AGENDA_ROWS
    st.session_state["_meeting_saved_id"] = ""
items: list[Proposal] = st.session_state["_meeting_items"]
current = Agenda(kind, day, start, int(minutes), place, chair, items, st.session_state["_meeting_saved_id"])
names = dict(zip(workbook["世帯"]["世帯ID"], workbook["世帯"]["表示名"]))


def set_items(new_items):
    st.session_state["_meeting_items"] = new_items
    st.rerun()


if view == VIEWS[0] and kind in agenda.CASE_MEETINGS:
    # Render the agenda with its controls:
    total = len(items) * current.minutes
    if current.start.hour * 60 + current.start.minute + total >= 24 * 60:   # the clock would wrap past midnight
        st.subheader(f"議題（{len(items)}世帯・{current.start:%H:%M}から{total // 60}時間{total % 60}分）")
        st.warning("1回の会議で話し合える世帯数を超えています。優先度の高い世帯から、外す・次回に回すなどで絞ってください。",
                   icon=":material/schedule:")
    else:
        st.subheader(f"議題（{len(items)}世帯・{current.start:%H:%M}〜{current.end:%H:%M}）")
    if not items:
        st.info("この日の会議で取り上げるべき世帯は見つかりませんでした。下から追加できます。")
    shown_rows = st.session_state.get("_meeting_rows", AGENDA_ROWS)
    for i, (item, begin, end) in enumerate(current.schedule()[:shown_rows]):
        row = st.columns([0.4, 1.2, 2.2, 5.2, 0.5, 0.5, 0.5], vertical_alignment="center")
        row[0].markdown(f"**{i + 1}**")
        row[1].markdown(f"{begin:%H:%M}〜{end:%H:%M}")
        ui.household_link(row[2], item.household_id, names.get(item.household_id, item.household_id))
        row[3].markdown(f"**{ui.esc('・'.join(item.reasons))}**　{ui.esc(item.words)}")
        if row[4].button("", icon=":material/arrow_upward:", key=f"up_{item.household_id}", help="上へ"):
            set_items(agenda.move(items, i, -1))
        if row[5].button("", icon=":material/arrow_downward:", key=f"down_{item.household_id}", help="下へ"):
            set_items(agenda.move(items, i, 1))
        if row[6].button("", icon=":material/close:", key=f"drop_{item.household_id}", help="議題から外す"):
            set_items([p for p in items if p.household_id != item.household_id])
    if len(items) > shown_rows:
        st.caption(f"ここまで{shown_rows}世帯を表示（優先度の高い順）。残り{len(items) - shown_rows}世帯も議題に入っています。")
        if st.button(f"さらに{AGENDA_ROWS}世帯を表示", key="more_agenda_rows"):
            st.session_state["_meeting_rows"] = shown_rows + AGENDA_ROWS
            st.rerun()
    candidates = agenda.addable(workbook, kind, [p.household_id for p in items])
    add_col, button_col = st.columns([4, 1], vertical_alignment="bottom")
    extra = add_col.selectbox("世帯を追加", candidates, index=None, key="meeting_add",
                              format_func=lambda h: f"{names.get(h, h)}（{h}）", placeholder="表示名か世帯ID")
    if button_col.button("議題に加える", disabled=extra is None):
        set_items([*items, Proposal(extra, ("追加",))])
elif view == VIEWS[0] and kind == schema.TEIREI_KAIGI:
    st.subheader("プランの進み具合（支援中の世帯）")
    st.dataframe(agenda.plan_status(workbook, today), hide_index=True, width="stretch")
    st.subheader("社会資源の充足状況")
    gaps = resources.gap_summary(workbook)
    st.markdown("\n".join(f"- {ui.esc(line)}" for line in gaps) or "足りない種別のある地区はありません。")
    st.dataframe(resources.coverage(workbook), hide_index=True, width="stretch")
    st.page_link(ui.RESOURCES_PAGE, label="社会資源マップで見る", icon=":material/map:")
elif view == VIEWS[0]:
    year = fiscal_year(day)
    st.subheader(f"{fiscal_label(year)}の計画指標")
    ui.indicator_table(indicators.indicator_table(workbook, year, today))

elif view == VIEWS[1]:
    # The paperwork, from the desk view of the workbook (built only when someone asks for a file):
    def forms():
        return paperwork.forms(workbook, current, today)

    stem = paperwork.file_stem(current)
    st.subheader("会議の書類")
    st.caption("開催通知（様式1）・会次第（様式2）・世帯支援プラン検討シート（様式3、世帯ごと）・会議報告シート（様式4）")
    left, right = st.columns(2)
    with left:
        ui.audited_download("Excel でダウンロード", lambda: paperwork.to_xlsx(forms()), f"{stem}.xlsx", what="会議書類",
                            households=len(items), icon=":material/table_view:", width="stretch",
                            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    with right:
        ui.audited_download("PDF でダウンロード", lambda: paperwork.to_pdf(forms()), f"{stem}.pdf", what="会議書類",
                            households=len(items), icon=":material/picture_as_pdf:", width="stretch",
                            mime="application/pdf")
    st.markdown("**宛先**: " + ui.esc("、".join(agenda.agencies_to_notify(workbook, current)) or "（機関タブがありません）"))

elif not items:
    st.info("進行する世帯がありません。「議題」で世帯を選んでください。")
else:
    # Presenter: always pseudonymised and in large type, one household at a time:
    st.markdown(ui.PROJECTION_CSS, unsafe_allow_html=True)
    shown, _ = ui.workbook_for_page(meeting_context=kind, projection=True)
    pos = min(st.session_state["_meeting_pos"], len(items) - 1)
    item, begin, end = current.schedule()[pos]
    detail = household.build_detail(shown, item.household_id, today, projection=True)
    nav = st.columns([1, 4, 1], vertical_alignment="center")
    if nav[0].button("前へ", icon=":material/arrow_back:", disabled=pos == 0, shortcut="ArrowLeft", width="stretch"):
        st.session_state["_meeting_pos"] = pos - 1
        st.rerun()
    if nav[2].button("次へ", icon=":material/arrow_forward:", disabled=pos == len(items) - 1,
                     shortcut="ArrowRight", width="stretch"):
        st.session_state["_meeting_pos"] = pos + 1
        st.rerun()
    title = detail.household["表示名"] if detail else "（この画面では表示できない世帯）"
    nav[1].markdown(f"### {pos + 1} / {len(items)}　{ui.esc(title)}　{begin:%H:%M}〜{end:%H:%M}")
    st.info(f"**{ui.esc('・'.join(item.reasons))}**　{ui.esc(item.words)}", icon=":material/flag:")
    if detail:
        st.markdown(ui.household_summary_html(detail), unsafe_allow_html=True)
        left, right = st.columns(2)
        left.markdown("**プラン**")
        left.dataframe(detail.plan, hide_index=True, width="stretch")
        right.markdown("**最近の接触（新しい順）**")
        right.dataframe(detail.contacts.head(5), hide_index=True, width="stretch")
    hid = item.household_id
    agencies = list(workbook["機関"]["機関名"])
    with st.expander("この世帯の決定を記録する（操作者）", expanded=True, icon=":material/edit_note:"):
        st.text_area("決定事項", key=f"decide_text_{hid}", height=90)
        d1, d2, d3 = st.columns(3)
        d1.selectbox("段階", [KEEP, *schema.STAGES], key=f"decide_stage_{hid}")
        d2.date_input("次回見直し日", value=None, key=f"decide_review_{hid}")
        d3.selectbox("主担当機関", [KEEP, *agencies], key=f"decide_agency_{hid}")

    # Record the meeting in the sheet:
    def decision(h):
        state = st.session_state
        stage, agency = state.get(f"decide_stage_{h}", KEEP), state.get(f"decide_agency_{h}", KEEP)
        return wb.Decision(state.get(f"decide_text_{h}", "") or "", None if stage == KEEP else stage,
                           state.get(f"decide_review_{h}"), None if agency == KEEP else agency)

    decisions = {p.household_id: decision(p.household_id) for p in items}
    full = ui.write_workbook()
    plan = wb.record_meeting(full, current, decisions)
    st.subheader("会議の記録")
    lines = describe(plan.changes)
    action = "会議の行を追加" if plan.appends else f"会議 {current.meeting_id} の行を更新"
    st.markdown("\n".join(f"- {ui.esc(x)}" for x in [action, *lines]))
    may_write = viewer.user.role in (users.ADMIN, users.COORDINATOR)
    if not may_write:
        st.caption("会議の記録をシートに保存できるのは、多機関協働の担当者と管理者です。")
    if st.button("シートに保存する", type="primary", icon=":material/save:", key="save_meeting", disabled=not may_write):
        try:
            # One token per recorded content: a double click (or a second press before the page
            # caught up) appends the 会議 row once.
            result, conflicts = ui.save(plan, token=repr((plan.changes, plan.appends)))
        except SourceError as e:
            st.error(f"{ui.esc(e)} {ui.esc(e.advice)}", icon=":material/block:")
        else:
            if conflicts:
                st.error("保存しませんでした。読み込んだ後に、シートで次のセルが変更されています。"
                         "確かめてから「最新の情報に更新」を押し、もう一度保存してください。", icon=":material/block:")
                ui.conflict_table(conflicts)
            elif result is None:
                st.info("この会議の記録は保存済みです（二度押しでも1回だけ保存します）。", icon=":material/check_circle:")
            else:
                meeting_id = (plan.appends[0].values["会議ID"] if plan.appends else current.meeting_id)
                st.session_state["_meeting_saved_id"] = meeting_id
                st.success(f"保存しました（{result.cells}セル、会議ID {meeting_id}）。ケースボードにも反映されています。",
                           icon=":material/check_circle:")
