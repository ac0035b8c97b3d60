"""つなぎ on screen: a household's requests and the request form (世帯詳細), an agency's inbox and the
answers to its own requests (ホーム), and the closure with its 評価 (世帯詳細)."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from lib.access import users
from lib.access.scope import Viewer
from lib.casework import entry, referrals
from lib.ui import forms, session
from lib.ui.widgets import dates, esc
from lib.workbook import schema
from lib.casework.agencies import key as agency_key, same

HISTORY_COLUMNS = ["つなぎID", "依頼日", "種類", "依頼元機関", "依頼先機関", "依頼内容", "状態", "応答日", "応答者", "応答コメント"]
# Rows of the inbox and of the answers list shown at first:
SHOWN = 20


def household_referrals(workbook, household_id: str, viewer: Viewer) -> None:
    """The household's requests and answers; the request form and 取り下げ for its requester."""
    frame = workbook[schema.REFERRALS]
    frame = frame[frame["世帯ID"] == household_id].sort_values(["依頼日", "つなぎID"], ascending=False)
    if len(frame):
        st.dataframe(dates(frame[HISTORY_COLUMNS]), hide_index=True, width="stretch")
    else:
        st.caption("この世帯のつなぎの記録はありません。")
    agency = forms.own_agency(workbook, viewer.user)
    if viewer.projection or agency is None:
        return
    mine = frame[(frame["状態"] == referrals.PENDING) & (frame["依頼元機関"].map(agency_key) == agency_key(agency))]
    if len(mine):
        with st.form(f"entry_withdraw_{household_id}", border=True):
            st.selectbox("取り下げる依頼", list(mine["つなぎID"]), key=f"entry_withdraw_{household_id}_id",
                         format_func=lambda t: f"{t}（{mine.set_index('つなぎID').at[t, '依頼先機関']}）")
            pressed = forms.submit("依頼を取り下げる", icon=":material/undo:")
        if pressed:
            answer(forms.value(f"entry_withdraw_{household_id}", "id"), referrals.WITHDRAWN, "", f"entry_withdraw_{household_id}")
    request_form(workbook, household_id, viewer.user, agency)


def request_form(workbook, household_id: str, user: users.User, agency: str) -> None:
    prefix = f"entry_refer_{household_id}"
    forms.start(prefix, {"kind": referrals.REFERRAL})
    others = [a for a in workbook[schema.AGENCIES]["機関名"] if not same(a, agency)]
    with st.form(prefix, border=True):
        st.markdown(f"依頼元: **{esc(agency)}**")
        c1, c2 = st.columns(2)
        c1.selectbox("依頼先機関", others, key=f"{prefix}_to", index=None, placeholder=forms.CHOOSE)
        c2.radio("種類", schema.REFERRAL_KINDS, key=f"{prefix}_kind", horizontal=True,
                 help="つなぎ: 多機関協働などへ。つなぎもどし: プランができた世帯を主担当の機関へ。引継ぎ: 終結後の見守りを頼む")
        st.text_area("依頼内容", key=f"{prefix}_text", height=90)
        submitted = forms.submit("依頼する", type="primary", icon=":material/forward:")
    if submitted:
        values = {n: forms.value(prefix, n) for n in ("to", "kind", "text")}
        try:
            plan = referrals.request(workbook, household_id, sender=agency, recipient=values["to"], kind=values["kind"],
                                     text=values["text"], today=session.today(), by=user.name,
                                     taken=session.referral_ids())
        except entry.Invalid as e:
            forms.errors(e)
            return
        forms.save(plan, forms.token(prefix, household_id, values), prefix,
              f"{values['to']}に{values['kind']}を依頼しました（{plan.appends[0].values['つなぎID']}）。")


def answer(referral_id: str, action: str, comment: str, prefix: str) -> None:
    """Save an answer (受理・差し戻し・取り下げ) planned on the whole workbook (lib.ui.session)."""
    viewer = session.current_viewer()
    session.refresh()                    # as the sheet is now: withdrawn or answered meanwhile is told, not lost
    try:
        plan = session.referral_answer(referral_id, action, comment)
    except entry.Invalid as e:
        forms.errors(e)
        return
    words = {referrals.ACCEPTED: "受理しました", referrals.RETURNED: "差し戻しました", referrals.WITHDRAWN: "取り下げました"}
    forms.save(plan, forms.token(prefix, referral_id, action, comment, viewer.user.username), prefix,
          f"依頼 {referral_id} を{words[action]}。")


def inbox_panel(viewer: Viewer, workbook) -> None:
    """ホーム: the requests waiting for this person's 機関 (with their age; past the setting in red),
    the form to accept or return one, and the answers to the requests this 機関 sent."""
    agency = forms.own_agency(workbook, viewer.user) or viewer.user.agency
    if viewer.user.role not in (users.ADMIN, users.COORDINATOR, users.STAFF) or not agency:
        return
    days = session.referral_days()
    waiting = session.referral_inbox(viewer)
    st.subheader(f"つなぎの依頼（{esc(agency)}あて）")
    forms.flash()
    if waiting.empty:
        st.caption("応答を待っている依頼はありません。")
    else:
        late = int(waiting["期限超過"].sum())
        if late:
            st.warning(f"{late}件の依頼が{days}日を過ぎても応答されていません。", icon=":material/schedule:")
        shown = waiting.head(SHOWN).assign(期限超過=lambda f: f["期限超過"].map({True: "超過", False: ""}))
        st.dataframe(dates(shown), hide_index=True, width="stretch")
        if len(waiting) > SHOWN:
            st.caption(f"ほかに{len(waiting) - SHOWN}件（古い順に表示）")
        if not viewer.projection:
            prefix = "entry_inbox"
            forms.start(prefix, {})
            choices = list(waiting["つなぎID"])
            chosen = st.session_state.get(f"{prefix}_id")
            if chosen and chosen not in choices:     # no longer waiting since it was chosen: kept, to be told why
                choices.append(chosen)
            with st.form(prefix, border=True):
                c1, c2 = st.columns(2)
                c1.selectbox("応答する依頼", choices, key=f"{prefix}_id", index=None, placeholder=forms.CHOOSE,
                             format_func=lambda t: _inbox_label(waiting, t))
                c2.radio("応答", (referrals.ACCEPTED, referrals.RETURNED), key=f"{prefix}_action", horizontal=True, index=None)
                st.text_input("応答コメント（差し戻すときは理由を必ず）", key=f"{prefix}_comment")
                pressed = forms.submit("応答を保存", type="primary", icon=":material/reply:")
            if pressed:
                if not forms.value(prefix, "id") or not forms.value(prefix, "action"):
                    st.error("応答する依頼と、受理か差し戻しかを選んでください。", icon=":material/edit_off:")
                else:
                    answer(forms.value(prefix, "id"), forms.value(prefix, "action"), forms.value(prefix, "comment") or "", prefix)
    sent = referrals.answers_to(workbook, agency)
    if len(sent):
        st.markdown(f"**{esc(agency)}が出した依頼**（新しい順）")
        columns = ["つなぎID", "世帯ID", "依頼日", "種類", "依頼先機関", "状態", "応答日", "応答者", "応答コメント"]
        st.dataframe(dates(sent.head(SHOWN)[columns]), hide_index=True, width="stretch")


def _inbox_label(waiting: pd.DataFrame, referral_id: str) -> str:
    if referral_id not in set(waiting["つなぎID"]):
        return f"{referral_id}（応答を待つ依頼ではなくなりました）"
    row = waiting.set_index("つなぎID").loc[referral_id]
    return f"{referral_id} {row['表示名']}（{row['世帯ID']}）{row['種類']} {row['依頼元機関']}から・{row['経過日数']}日"


# ---------------------------------------------------------------- 終結と評価

CONNECTION_LINES = 3       # lines for つながり on the 終結 form at first (「つながりを1行足す」 adds more)


def closure_form(workbook, household_id: str, user: users.User) -> None:
    """終結と評価: each plan goal's 達成度 and 本人・世帯の変化 (one line per goal, plus one for a goal
    not in the plan), 終結理由, 見守り機関; saves the 終結, the 評価 rows and the 引継ぎ request."""
    prefix = f"entry_close_{household_id}"
    forms.start(prefix, {"day": forms.today_text()})
    goals = [{"対象": r["対象"], "目標": r["目標"] or ""} for r in entry.plan_rows(workbook, household_id)]
    members = workbook[schema.MEMBERS]
    whom = [entry.WHOLE_HOUSEHOLD, *members.loc[members["世帯ID"] == household_id, "記号"].dropna()]
    lines = st.session_state.setdefault(f"{prefix}_ties", CONNECTION_LINES)
    with st.form(prefix, border=True):
        st.caption("終結するときは、目標ごとに評価します（美咲町 別紙2-6 評価シート）。見守り機関には引継ぎの依頼が届きます。")
        for i, goal in enumerate([*goals, {"対象": "世帯", "目標": None}]):
            c1, c2, c3 = st.columns([3, 1.3, 3])
            if goal["目標"] is None:
                c1.text_input("ほかの目標（あれば）", key=f"{prefix}_goal_{i}", placeholder="ほかの目標（あれば）",
                              label_visibility="collapsed")
            else:
                c1.markdown(f"**{esc(goal['対象'])}**　{esc(goal['目標'])}")
            c2.selectbox(f"{goal['対象']}の達成度（{i + 1}）", schema.ACHIEVEMENT, key=f"{prefix}_achieved_{i}", index=None,
                         placeholder="達成度", label_visibility="collapsed")
            c3.text_input(f"{goal['対象']}の本人・世帯の変化（{i + 1}）", key=f"{prefix}_change_{i}",
                          placeholder="本人・世帯の変化", label_visibility="collapsed")
        st.markdown("**いまあるつながり**（別紙2-7 つながり評価。だれ・どこと、どのくらい続いているか）")
        for i in range(lines):
            c0, c1, c2, c3, c4 = st.columns([1, 2.2, 1.2, 1.1, 3])
            c0.selectbox(f"対象（{i + 1}）", whom, key=f"{prefix}_tiewho_{i}", label_visibility="collapsed" if i else "visible")
            c1.text_input(f"つながり先（{i + 1}）", key=f"{prefix}_tie_{i}", placeholder="例: 北部農園しごと体験、近所の友人",
                          label_visibility="collapsed" if i else "visible")
            c2.selectbox(f"種類（{i + 1}）", schema.CONNECTION_KINDS, key=f"{prefix}_tiekind_{i}", index=None,
                         placeholder="種類", label_visibility="collapsed" if i else "visible")
            c3.selectbox(f"安定度（{i + 1}）", schema.STABILITY, key=f"{prefix}_tiesteady_{i}", index=None,
                         placeholder="安定度", label_visibility="collapsed" if i else "visible")
            c4.text_input(f"様子（{i + 1}）", key=f"{prefix}_tienote_{i}", placeholder="様子（週2回通っている など）",
                          label_visibility="collapsed" if i else "visible")
        c1, c2 = st.columns(2)
        c1.text_input("終結日", key=f"{prefix}_day")
        c2.selectbox("見守り機関（引継ぎ先）", list(workbook[schema.AGENCIES]["機関名"]), key=f"{prefix}_watcher",
                     index=None, placeholder="なし")
        st.text_area("終結理由", key=f"{prefix}_reason", height=80)
        submitted = forms.submit("終結を保存", type="primary", icon=":material/task_alt:")
    st.button("つながりを1行足す", icon=":material/add:", key=f"closure_more_{household_id}",
              on_click=lambda: st.session_state.update({f"{prefix}_ties": lines + 1}))
    if not submitted:
        return
    rows = [{"対象": g["対象"], "目標": g["目標"] if g["目標"] is not None else forms.value(prefix, f"goal_{i}"),
             "達成度": forms.value(prefix, f"achieved_{i}"), "本人・世帯の変化": forms.value(prefix, f"change_{i}")}
            for i, g in enumerate([*goals, {"対象": "世帯", "目標": None}])]
    values = {n: forms.value(prefix, n) for n in ("day", "watcher", "reason")}
    ties = [{"対象": forms.value(prefix, f"tiewho_{i}"), "つながり先": forms.value(prefix, f"tie_{i}"), "種類": forms.value(prefix, f"tiekind_{i}"),
             "安定度": forms.value(prefix, f"tiesteady_{i}"), "内容": forms.value(prefix, f"tienote_{i}")}
            for i in range(lines)]
    try:
        plan = referrals.closure(workbook, household_id, day=values["day"], reason=values["reason"],
                                 watcher=values["watcher"], goals=rows, by=user.name, today=session.today(),
                                 taken=session.referral_ids(), connections=ties)
    except entry.Invalid as e:
        forms.errors(e)
        return
    handed = next((a.values["依頼先機関"] for a in plan.appends if a.tab == schema.REFERRALS), None)
    forms.save(plan, forms.token(prefix, household_id, values, rows, ties), prefix,
          "終結と評価を保存しました。" + (f"{handed}に引継ぎを依頼しました。" if handed else ""))
