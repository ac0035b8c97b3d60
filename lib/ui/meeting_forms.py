"""The running meeting: the operator's view (decisions, minutes, attendance, plan items) and the
wall that follows it in another window (pseudonyms, large type, no inputs)."""
from __future__ import annotations

import datetime as dt
from dataclasses import replace

import streamlit as st

from lib.access import users
from lib.access.scope import scope_workbook, wall_viewer
from lib.casework import household
from lib.casework.agencies import is_member
from lib.meetings import agenda as agenda_rules
from lib.meetings import live
from lib.meetings import writeback as wb
from lib.ui import forms, session
from lib.ui.entry_forms import plan_blocks, plan_changes
from lib.ui.signin import still_signed_in
from lib.ui.widgets import PROJECTION_CSS, esc, household_summary_html
from lib.workbook import schema
from lib.workbook.writeplan import describe

KEEP = "（変えない）"
WALL_PAGE = "screens/wall.py"
WALL_PATH = "kabe"
# Seconds between the wall's looks at the operator's current item:
WALL_EVERY = 2
# Stages a meeting may decide here (終結 is recorded with its 評価 on 世帯詳細):
MEETING_STAGES = tuple(s for s in schema.STAGES if s != "終結")


def may_record(user: users.User) -> bool:
    """Who records meetings in the sheet: 多機関協働 and 管理者 (the 事務局)."""
    return user.role in (users.ADMIN, users.COORDINATOR)


def shien_closed_to(workbook, viewer) -> bool:
    """A 支援会議's agenda and paperwork are for its members' staff only (法第106条の6)."""
    return viewer.user.role == users.STAFF and not is_member(workbook, viewer.user.agency)


# ---------------------------------------------------------------- attendance

# Session keys: the meeting the operator's page was started from the sheet for, and the attendance it
# started from (a save changes only the agencies changed since: writeback.merged_attendance):
_STARTED, _ATTENDANCE_BASE = "_meeting_started_for", "_meeting_attendance_base"


def start_from_saved(full, a: agenda_rules.Agenda, items) -> None:
    """Once per meeting and session (a reloaded page, another PC): attendance, 決定事項 and 議事録
    start from what is already saved in this meeting's 会議 row, so that nothing saved is shown empty
    and a save of the next household never blanks it."""
    meeting_id = wb.meeting_id_for(full, a)
    if st.session_state.get(_STARTED) == (a.kind, a.date, a.start, meeting_id):
        return
    st.session_state[_STARTED] = (a.kind, a.date, a.start, meeting_id)
    saved = wb.saved_meeting(full, meeting_id)
    came = saved.attendance if saved else []
    st.session_state["meeting_present"] = [x.agency for x in came if x.present]
    for x in came:
        st.session_state[f"meeting_who_{x.agency}"] = x.names if x.present else ""
    st.session_state[_ATTENDANCE_BASE] = came
    for p in items:
        hid = p.household_id
        if saved and saved.decisions.get(hid) and not st.session_state.get(f"decide_text_{hid}"):
            st.session_state[f"decide_text_{hid}"] = saved.decisions[hid]
        if saved and saved.minutes.get(hid) and not st.session_state.get(f"decide_minutes_{hid}"):
            st.session_state[f"decide_minutes_{hid}"] = saved.minutes[hid]


def attendance(workbook, a: agenda_rules.Agenda) -> list[wb.Attendance]:
    """Who came: the invited agencies (absent unless ticked) and any other agency that came along
    (for a 支援会議 only members may come)."""
    invited = agenda_rules.agencies_to_notify(workbook, a)
    allowed = invited if a.kind == agenda_rules.SHIEN else list(dict.fromkeys([*invited, *workbook[schema.AGENCIES]["機関名"]]))
    kept = st.session_state.get("meeting_present") or []
    allowed += [x for x in kept if x not in allowed]      # (saved before the agenda changed: still shown)
    present = st.multiselect("出席した機関", allowed, key="meeting_present", placeholder="出席した機関を選ぶ",
                             help="招集した機関のうち選ばなかった機関は、会議報告シートに「欠席」と書きます")
    cols = st.columns(3)
    names = {}
    for i, agency in enumerate(present):
        names[agency] = cols[i % 3].text_input(f"{agency}の出席者", key=f"meeting_who_{agency}",
                                               placeholder="例: 山田・佐藤")
    absent = [x for x in invited if x not in present]
    if absent:
        st.caption("欠席: " + esc("、".join(absent)))
    return [*(wb.Attendance(x, True, names.get(x) or "") for x in present), *(wb.Attendance(x, False) for x in absent)]


# ---------------------------------------------------------------- the operator

def _decision(hid: str, frames: dict | None = None) -> wb.Decision:
    state = st.session_state
    text, minutes = state.get(f"decide_text_{hid}") or "", state.get(f"decide_minutes_{hid}") or ""
    stage, agency = state.get(f"decide_stage_{hid}", KEEP), state.get(f"decide_agency_{hid}", KEEP)
    edited, added = plan_changes(f"meetingplan_{hid}", frames) if frames else ({}, [])
    return wb.Decision(text, minutes, None if stage in (KEEP, None) else stage, state.get(f"decide_review_{hid}"),
                       None if agency in (KEEP, None) else agency, edited, tuple(added))


def _texts(items) -> dict[str, wb.Decision]:
    """Every household's typed 決定事項 and 議事録 (nothing else): what a save of the meeting row carries."""
    return {p.household_id: wb.Decision(st.session_state.get(f"decide_text_{p.household_id}") or "",
                                        st.session_state.get(f"decide_minutes_{p.household_id}") or "")
            for p in items}


def _save_meeting(a: agenda_rules.Agenda, decisions: dict, present: list, prefix: str, label: str) -> None:
    """Save the meeting into its one 会議 row: when another operator (on any server) made that row a
    moment earlier, the plan is made again from the fresh sheet and this save joins the same row."""
    viewer = session.current_viewer()
    made_from = []

    def planned():
        full = session.write_workbook()
        meeting_id = wb.meeting_id_for(full, a)
        made_from.append(meeting_id)
        plan = wb.record_meeting(full, replace(a, meeting_id=meeting_id), decisions, attendance=present,
                                 by=viewer.user.name or viewer.user.username, today=session.today(),
                                 attendance_base=st.session_state.get(_ATTENDANCE_BASE))
        replaced = wb.lines_replaced(plan, meeting_id) if len(made_from) > 1 else []   # (made again: the row is another's)
        if replaced:
            raise forms.Overwrites(replaced)
        return plan, forms.token(prefix, meeting_id, plan.changes, [r.values for r in plan.appends]), (plan, meeting_id)
    saved = forms.attempt_replanning(planned, prefix)
    if saved is None:
        return
    result, (plan, meeting_id) = saved
    st.session_state["_meeting_saved_id"] = meeting_id
    st.session_state[_ATTENDANCE_BASE] = present          # what the sheet holds now, as this page has it
    changed = [line for line in describe(plan.changes) if not line.startswith("会議")]
    forms.done(prefix, f"{label}を保存しました（会議ID {meeting_id}）。" + ("　" + "／".join(changed) if changed else ""),
               result)


def join_running(key: str, items, now: dt.datetime) -> None:
    """A reopened operator page (a reload, another PC, the other server after this one died) joins
    the running meeting where it stands: the shared state, not the browser, holds the current item."""
    if st.session_state.get("_meeting_joined") == key:
        return
    running = live.get(session.shared_state(), key, now)   # (unreachable: the calm page, and joined once it answers)
    st.session_state["_meeting_joined"] = key
    if running is None or running.current is None:
        return
    at = [p.household_id for p in items]
    if running.current[0] in at:
        st.session_state["_meeting_pos"] = at.index(running.current[0])


def operator(workbook, full, a: agenda_rules.Agenda, viewer) -> None:
    """The operator's view of a running meeting: real names at the desk, the current item, its
    decision (and for a 重層的支援会議 its plan, 段階 and 次回見直し日), minutes and attendance.
    The wall (another window) follows the current item through lib.meetings.live."""
    forms.flash()
    forms.refusal("meeting_record")
    if viewer.projection:
        st.warning("投影モードでは操作画面を映しません（入力中の内容が見えてしまうため）。"
                   "壁には「壁用画面を開く」で別のウィンドウを映してください。", icon=":material/visibility_off:")
    items = a.items
    key = live.meeting_key(a.kind, a.date, viewer.user.username or "local")
    now = dt.datetime.now()
    join_running(key, items, now)
    pos = min(st.session_state.get("_meeting_pos", 0), len(items) - 1)
    state = live.publish(session.shared_state(), key, a.kind, a.date, a.start, [(p.household_id, p.reasons) for p in items], pos, a.minutes,
                         viewer.user.name or viewer.user.username or "事務局", now)
    top = st.columns([2, 2, 1], vertical_alignment="center")
    top[0].link_button("壁用画面を開く（別ウィンドウ）", f"{WALL_PATH}?m={key}", icon=":material/cast:",
                       help="会議室のプロジェクターに映す画面です。仮名・大きな文字で、いまの議題だけを映し、入力欄はありません")
    top[1].caption(f"壁用画面のコード: {key}　（会議室の端末で「会議の壁用画面」を開き、この会議を選んでも映せます）")
    if top[2].button("会議を終える", icon=":material/stop_circle:", key="stop_meeting"):
        live.stop(session.shared_state(), key)
        st.info("会議の進行を終えました。壁用画面は「進行中の会議はありません」になります。")
        return
    if viewer.projection:
        return
    start_from_saved(full, a, items)

    names = dict(zip(workbook[schema.HOUSEHOLDS]["世帯ID"], workbook[schema.HOUSEHOLDS]["表示名"]))
    nav = st.columns([1, 4, 1], vertical_alignment="center")
    if nav[0].button("前へ", icon=":material/arrow_back:", disabled=pos == 0, shortcut="ArrowLeft", width="stretch"):
        st.session_state["_meeting_pos"] = pos - 1
        st.rerun()
    if nav[2].button("次へ", icon=":material/arrow_forward:", disabled=pos == len(items) - 1,
                     shortcut="ArrowRight", width="stretch"):
        st.session_state["_meeting_pos"] = pos + 1
        st.rerun()
    item, begin, end = a.schedule()[pos]
    hid = item.household_id
    nav[1].markdown(f"### {pos + 1} / {len(items)}　{esc(names.get(hid, hid))}（{esc(hid)}）　{agenda_rules.clock_range(begin, end, a.date)}")
    jump = st.selectbox("議題へ移動", range(len(items)), index=None, key="meeting_jump", placeholder="番号か世帯を選ぶ",
                        format_func=lambda i: f"{i + 1}. {names.get(items[i].household_id, items[i].household_id)}")
    if jump is not None and jump != pos:
        st.session_state["_meeting_pos"] = jump
        del st.session_state["meeting_jump"]
        st.rerun()
    st.caption(f"{live.elapsed(state, now)}　{'（時間を過ぎています）' if live.overtime(state, now) else ''}")
    st.info(f"**{esc('・'.join(item.reasons))}**　{esc(item.words)}", icon=":material/flag:")
    detail = household.build_detail(workbook, hid, session.today())
    if detail:
        st.markdown(household_summary_html(detail), unsafe_allow_html=True)

    st.subheader("この世帯の決定")
    forms.refusal(f"meetingplan_{hid}")
    st.text_area("決定事項", key=f"decide_text_{hid}", height=80,
                 help="会議報告シート（様式4）の報告事項になります。段階を動かすときはその理由にもなります")
    st.text_area("議事録", key=f"decide_minutes_{hid}", height=100, help="話し合った内容。議事録として書き出せます")
    frames = None
    agencies = list(full[schema.AGENCIES]["機関名"])
    d1, d2, d3 = st.columns(3)
    if a.kind == agenda_rules.JUSOU:
        current = detail.household["段階"] if detail else None
        d1.selectbox("段階", [KEEP, *(s for s in MEETING_STAGES if s != current)], key=f"decide_stage_{hid}",
                     help="終結は評価シートと一緒に、世帯詳細の「終結と評価」で記録します")
        d2.date_input("次回見直し日", value=None, key=f"decide_review_{hid}")
        d3.selectbox("主担当機関", [KEEP, *agencies], key=f"decide_agency_{hid}")
        st.markdown("**支援プラン（様式5）**　変えたい欄を書き換え、行を足せます")
        st.caption("プランの変更は「この世帯の決定を保存」を押したときに保存します（保存の前にほかの議題へ移ると、表の変更は消えます。"
                   "決定事項・議事録は残ります）")
        frames = plan_blocks(full, hid, f"meetingplan_{hid}")
    else:
        st.caption("支援会議ではプランや段階は決めません。見守りの担当と、次に確かめる日を記録できます。")
        d1.selectbox("見守りの担当機関", [KEEP, *agenda_rules.agency_members(full)], key=f"decide_agency_{hid}")
        d2.date_input("次回見直し日", value=None, key=f"decide_review_{hid}")

    with st.expander("出席（会議報告シートの参加者）", icon=":material/how_to_reg:"):
        present = attendance(full, a)
    may_write = may_record(viewer.user)
    if not may_write:
        st.caption("会議の記録をシートに保存できるのは、多機関協働の担当者と管理者です。")
    left, right = st.columns(2)
    if left.button("この世帯の決定を保存", type="primary", icon=":material/save:", key=f"save_decision_{hid}",
                   disabled=not may_write, width="stretch", on_click=session.pressed):
        decisions = _texts(items)
        decisions[hid] = _decision(hid, frames)
        _save_meeting(a, decisions, present, f"meetingplan_{hid}", f"{names.get(hid, hid)}の決定")
    if right.button("会議の記録（全議題の決定事項・議事録・出席）を保存", icon=":material/save:", key="save_meeting",
                    disabled=not may_write, width="stretch", on_click=session.pressed):
        _save_meeting(a, _texts(items), present, "meeting_record", "会議の記録")


# ---------------------------------------------------------------- the wall

def wall(viewer) -> None:
    """The projected wall of a running meeting: it follows the operator's current item every
    WALL_EVERY seconds and shows only that household, pseudonymised, with the item's clock."""
    st.markdown(PROJECTION_CSS, unsafe_allow_html=True)
    now = dt.datetime.now()
    meetings = live.running(session.shared_state(), now)
    key = st.query_params.get("m")
    if key is None and len(meetings) == 1:
        key = meetings[0].key
    if key is None and meetings:
        labels = {m.key: m.label() for m in meetings}
        key = st.selectbox("映す会議", list(labels), format_func=labels.get, index=None, key="wall_pick",
                           placeholder="進行中の会議を選ぶ")
    _wall_item(viewer, key)


# Session key: the wall's last picture, kept on screen while the shared state cannot be reached:
WALL_LAST = "_wall_last"


@st.fragment(run_every=WALL_EVERY)
def _wall_item(viewer, key: str | None) -> None:
    from lib.state import StateUnavailable
    try:
        _wall_look(viewer, key)
    except StateUnavailable:
        last = st.session_state.get(WALL_LAST)
        if last is not None:
            _wall_picture(*last)
        st.caption("共有の状態に接続できないため、最後に映した議題のままにしています。戻りしだい、進行についていきます。")


def _wall_look(viewer, key: str | None) -> None:
    if not still_signed_in():            # disabled, removed or signed out since the wall opened
        return
    now = dt.datetime.now()
    state = live.get(session.shared_state(), key, now) if key else None
    if state is None or state.current is None:
        st.info("いま進行中の会議はありません。会議の画面で「進行（操作）」を開くと、ここに映ります。",
                icon=":material/cast:")
        return
    hid, reasons = state.current
    _, snapshot, _ = session.current_snapshot()
    if state.kind == agenda_rules.SHIEN and shien_closed_to(snapshot.workbook, viewer):
        st.warning("この会議は支援会議です。構成員の機関の職員だけが見られます（社会福祉法第106条の6）。",
                   icon=":material/lock:")
        return
    seen_as = wall_viewer(viewer, state.kind, hid)     # every wall look of this item shares one scoping:
    shown = snapshot.derived.get(("scope", seen_as), lambda: scope_workbook(snapshot.workbook, seen_as))
    detail = snapshot.derived.get(("wall", seen_as, session.today()),
                                  lambda: household.build_detail(shown, hid, session.today(), projection=True))
    title = detail.household["表示名"] if detail else "（この画面では表示できない世帯）"
    late = live.overtime(state, now)
    words = "／".join(agenda_rules.REASONS[r].words for r in reasons if r in agenda_rules.REASONS)
    picture = (f"### {state.pos + 1} / {len(state.items)}　{esc(title)}",
               f"**{state.kind}**　{'⚠ ' if late else ''}{live.elapsed(state, now)}",
               f"**{esc('・'.join(reasons))}**　{esc(words)}", detail)
    st.session_state[WALL_LAST] = picture
    _wall_picture(*picture)


def _wall_picture(heading: str, clock: str, flag: str, detail) -> None:
    """The wall's picture of the current item (drawn again as it was while the state is down)."""
    st.markdown(heading)
    st.markdown(clock)
    st.info(flag, icon=":material/flag:")
    if detail:
        st.markdown(household_summary_html(detail), unsafe_allow_html=True)
        left, right = st.columns(2)
        left.markdown("**プラン**")
        left.dataframe(detail.plan, hide_index=True, width="stretch")
        right.markdown("**最近の接触（新しい順）**")
        right.dataframe(detail.contacts.head(5), hide_index=True, width="stretch")
