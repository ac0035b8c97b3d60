"""The entry forms (経過記録, 段階, 同意, 支援プラン, 相談受付): what staff type, checked by
lib.casework.entry and saved through lib.ui.forms (the machinery every form shares).

Every form keeps what was typed after an error or a refused save, shows a spinner while saving,
saves once on a double click (one token per filled-in form) and clears itself after a save.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from lib.access import users
from lib.access.scope import Viewer, allowed_entries
from lib.casework import entry, participation
from lib.ui import forms, session
from lib.ui.referral_forms import closure_form, household_referrals
from lib.ui.widgets import HOUSEHOLD_PAGE, esc
from lib.workbook import schema
from lib.workbook.cells import show_date

def agency_choice(label: str, key: str, workbook, user: users.User) -> None:
    """機関: the user's own, fixed for 機関職員; a choice of the 機関 tab for others."""
    agencies = list(workbook[schema.AGENCIES]["機関名"])
    if user.role == users.STAFF:
        st.session_state[key] = user.agency
        st.text_input(label, key=key, disabled=True)
    else:
        st.selectbox(label, agencies, key=key, index=None, placeholder=forms.CHOOSE)


# ---------------------------------------------------------------- 経過記録

def contact_form(workbook, household_id: str, user: users.User, prefix: str | None = None) -> None:
    """経過記録を追加 (or a 訂正 of an earlier record: a new row; the original stays)."""
    prefix = prefix or f"entry_contact_{household_id}"
    own = forms.own_agency(workbook, user)
    forms.start(prefix, {"day": session.today(), "agency": own, "staff": user.name})
    contacts = workbook[schema.CONTACTS]
    history = entry.contact_history(contacts[contacts["世帯ID"] == household_id])
    originals = {"": None, **{entry.original_reference(r): r for r in history.to_dict("records")}}
    with st.form(prefix, border=True):
        c1, c2, c3, c4 = st.columns(4)
        forms.visit_day(c1, prefix)
        c2.selectbox("方法", schema.CONTACT_METHODS, key=f"{prefix}_method", index=None, placeholder=forms.CHOOSE)
        with c3:
            agency_choice("機関", f"{prefix}_agency", workbook, user)
        c4.text_input("担当者", key=f"{prefix}_staff", disabled=True)
        st.text_area("内容", key=f"{prefix}_text", height=110)
        st.selectbox("訂正する記録（訂正のときだけ。元の記録は消えずに残ります）", list(originals), key=f"{prefix}_corrects",
                     format_func=lambda k: "（訂正ではない）" if not k else _contact_label(originals[k]))
        submitted = forms.submit("経過記録を保存", type="primary", icon=":material/save:")
    if submitted:
        values = {n: forms.value(prefix, n) for n in ("day", "method", "agency", "staff", "text", "corrects")}
        try:
            plan = entry.contact(workbook, household_id, day=values["day"], method=values["method"],
                                 agency=values["agency"], staff=user.name, text=values["text"], today=session.today(),
                                 corrects=originals.get(values["corrects"] or ""))
        except entry.Invalid as e:
            forms.errors(e)
            return
        forms.save(plan, forms.token(prefix, values), prefix, "経過記録を保存しました。")


def _contact_label(row: dict) -> str:
    text = (row.get("内容") or "")[:24]
    return f"{show_date(row.get('日付'))} {row.get('方法') or ''} {text}（{entry.original_reference(row)}）"


# ---------------------------------------------------------------- 段階

def stage_form(workbook, household_id: str, user: users.User, prefix: str | None = None) -> None:
    """段階を動かす: 世帯.段階 and a 段階履歴 row (中断・終結 need a reason)."""
    prefix = prefix or f"entry_stage_{household_id}"
    current = workbook[schema.HOUSEHOLDS].set_index("世帯ID").at[household_id, "段階"]
    forms.start(prefix, {"day": forms.today_text()})
    with st.form(prefix, border=True):
        st.markdown(f"いまの段階: **{esc(current)}**")
        c1, c2 = st.columns(2)
        c1.selectbox("新しい段階", [s for s in schema.STAGES if s != current], key=f"{prefix}_stage", index=None,
                     placeholder=forms.CHOOSE)
        c2.text_input("日付", key=f"{prefix}_day", help="会議で決めた日など。和暦でも西暦でも")
        st.text_area("理由（中断・終結のときは必ず）", key=f"{prefix}_reason", height=80)
        submitted = forms.submit("段階を保存", type="primary", icon=":material/save:")
    if submitted:
        values = {n: forms.value(prefix, n) for n in ("stage", "day", "reason")}
        try:
            plan = entry.stage_move(workbook, household_id, stage=values["stage"], day=values["day"],
                                    reason=values["reason"], by=user.name, today=session.today())
        except entry.Invalid as e:
            forms.errors(e)
            return
        forms.save(plan, forms.token(prefix, household_id, values), prefix, f"段階を「{values['stage']}」にしました。")


# ---------------------------------------------------------------- 同意

def consent_form(workbook, household_id: str, user: users.User) -> None:
    """同意を記録: a 同意記録 row; 世帯.同意 follows it (撤回 → 支援会議 on every screen)."""
    prefix = f"entry_consent_{household_id}"
    current = workbook[schema.HOUSEHOLDS].set_index("世帯ID").at[household_id, "同意"]
    forms.start(prefix, {"day": forms.today_text(), "taker": user.name})
    with st.form(prefix, border=True):
        st.markdown(f"いまの同意: **{esc(current)}**（撤回すると、この世帯は支援会議の扱いになります）")
        c1, c2, c3 = st.columns(3)
        c1.radio("同意", schema.CONSENT_RECORD, key=f"{prefix}_value", index=None, horizontal=True)
        c2.selectbox("範囲", schema.CONSENT_SCOPE, key=f"{prefix}_scope", index=None, placeholder=forms.CHOOSE)
        c3.text_input("日付", key=f"{prefix}_day")
        st.text_input("取得者", key=f"{prefix}_taker")
        st.text_input("備考", key=f"{prefix}_note")
        submitted = forms.submit("同意を保存", type="primary", icon=":material/save:")
    if submitted:
        values = {n: forms.value(prefix, n) for n in ("value", "scope", "day", "taker", "note")}
        try:
            plan = entry.consent(workbook, household_id, day=values["day"], value=values["value"], scope=values["scope"],
                                 taker=values["taker"], note=values["note"], today=session.today())
        except entry.Invalid as e:
            forms.errors(e)
            return
        forms.save(plan, forms.token(prefix, household_id, values), prefix, f"同意「{values['value']}」を記録しました。")


# ---------------------------------------------------------------- アセスメント (別紙2-3)

def assessment_form(workbook, household_id: str, user: users.User) -> None:
    """アセスメントを記録: a new row (the earlier ones stay); the fields start from the latest one."""
    prefix = f"entry_assess_{household_id}"
    earlier = entry.assessments(workbook, household_id)
    latest = earlier.iloc[0].to_dict() if len(earlier) else {}
    forms.start(prefix, {"day": forms.today_text(), "agency": forms.own_agency(workbook, user), "target": entry.WHOLE_HOUSEHOLD,
                         **{name: latest.get(name) or "" for name in schema.ASSESSMENT_FIELDS}})
    if latest:
        st.caption(f"前回（{show_date(latest.get('実施日'))}）の内容から書き始めます。変わったところを直して保存すると、"
                   "新しいアセスメントとして1行足します（前回の行はそのまま残ります）。")
    with st.form(prefix, border=True):
        c1, c2, c3, c4 = st.columns(4)
        c1.text_input("実施日", key=f"{prefix}_day", help="令和8年11月26日、R8.11.26、2026/11/26 のどれでも")
        c2.selectbox("対象", entry.assessment_targets(workbook, household_id), key=f"{prefix}_target")
        with c3:
            agency_choice("機関", f"{prefix}_agency", workbook, user)
        c4.text_input("記入者", value=user.name, disabled=True)
        left, right = st.columns(2)
        for k, name in enumerate(schema.ASSESSMENT_FIELDS):
            (left if k % 2 == 0 else right).text_area(name, key=f"{prefix}_{name}", height=90)
        submitted = forms.submit("アセスメントを保存", type="primary", icon=":material/save:")
    if submitted:
        typed = {name: forms.value(prefix, name) for name in schema.ASSESSMENT_FIELDS}
        values = {n: forms.value(prefix, n) for n in ("day", "target", "agency")}
        try:
            plan = entry.assessment(workbook, household_id, day=values["day"], target=values["target"], values=typed,
                                    agency=values["agency"], by=user.name, today=session.today())
        except entry.Invalid as e:
            forms.errors(e)
            return
        forms.save(plan, forms.token(prefix, household_id, values, typed), prefix, "アセスメントを保存しました。")


# ---------------------------------------------------------------- 参加支援 (別紙2-5①)

NEW_MATCHING = "（新しく受入先を打診する）"
# A resource chosen on 社会資源マップ's suggestions, to start a matching with (session key):
SUGGESTED_RESOURCE = "_participation_resource"


def participation_form(workbook, household_id: str, user: users.User) -> None:
    """参加支援: a new matching (打診) or the next step of one going on (見学・体験・定着・定着支援・中断)."""
    every = {m.id: m for m in participation.of_household(workbook, household_id)}
    # (a matching chosen here that someone closed meanwhile stays chosen, to say so and keep what was typed)
    kept = st.session_state.get(f"entry_match_pick_{household_id}")
    by_id = {i: m for i, m in every.items() if m.open or i == kept}
    suggested = st.session_state.pop(SUGGESTED_RESOURCE, None)
    if suggested:
        st.session_state[f"entry_match_pick_{household_id}"] = NEW_MATCHING
    # The choice is the matching's ID (its label changes with each step it takes):
    chosen = st.selectbox("マッチング", [NEW_MATCHING, *by_id], key=f"entry_match_pick_{household_id}",
                          index=0 if not by_id else 1,
                          format_func=lambda i: i if i == NEW_MATCHING else
                          f"{by_id[i].target} → {by_id[i].resource}（いま {by_id[i].step}）")
    matching = by_id.get(chosen)
    own = forms.own_agency(workbook, user)
    if matching is None:
        prefix = f"entry_match_new_{household_id}"
        names = list(workbook[schema.RESOURCES].sort_values("受入可", ascending=False, na_position="last")["名称"])
        forms.start(prefix, {"day": forms.today_text(), "agency": own})
        if suggested in names:
            st.session_state[f"{prefix}_resource"] = suggested
        members = workbook[schema.MEMBERS]
        marks = list(members.loc[members["世帯ID"] == household_id, "記号"].dropna())
        with st.form(prefix, border=True):
            c1, c2, c3 = st.columns([1, 2, 1])
            c1.selectbox("対象", marks, key=f"{prefix}_target", index=None, placeholder=forms.CHOOSE)
            c2.selectbox("受入先（社会資源）", names, key=f"{prefix}_resource", index=None, placeholder=forms.CHOOSE)
            c3.text_input("打診した日", key=f"{prefix}_day")
            with c1:
                agency_choice("機関", f"{prefix}_agency", workbook, user)
            st.text_area("内容（本人の希望・受入先の反応）", key=f"{prefix}_note", height=80)
            submitted = forms.submit("打診を記録", type="primary", icon=":material/save:")
        if submitted:
            values = {n: forms.value(prefix, n) for n in ("target", "resource", "day", "agency", "note")}
            try:
                plan, _ = participation.start(workbook, household_id, target=values["target"], resource=values["resource"],
                                              day=values["day"], note=values["note"], agency=values["agency"],
                                              by=user.name, today=session.today())
            except entry.Invalid as e:
                forms.errors(e)
                return
            forms.save(plan, forms.token(prefix, household_id, values), prefix,
                       f"{values['target']} の {values['resource']} への打診を記録しました。")
        return
    prefix = f"entry_match_{matching.id}"
    forms.start(prefix, {"day": forms.today_text(), "agency": own})
    if not matching.open:
        st.warning(f"このマッチングは{show_date(matching.last)}に「{esc(matching.step)}」になっています"
                   + (f"（{esc(matching.agency)}）" if matching.agency else "") + "。この画面からは記録できません。"
                   "書いた内容は下に残っています（経過記録などに写せます）。", icon=":material/block:")
    st.caption(f"経過: {matching.history}")
    with st.form(prefix, border=True):
        c1, c2, c3 = st.columns(3)
        c1.selectbox("次の段階", participation.NEXT[matching.step], key=f"{prefix}_step", index=None,
                     placeholder=forms.CHOOSE)
        c2.text_input("日付", key=f"{prefix}_day")
        with c3:
            agency_choice("機関", f"{prefix}_agency", workbook, user)
        st.text_area("内容（本人の様子）", key=f"{prefix}_note", height=70)
        st.text_area("受入先への支援（受入先に伝えたこと・手伝ったこと）", key=f"{prefix}_support", height=70)
        st.text_input("中断理由（中断のときだけ）", key=f"{prefix}_reason")
        submitted = forms.submit("段階を記録", type="primary", icon=":material/save:")
    if submitted:
        values = {n: forms.value(prefix, n) for n in ("step", "day", "agency", "note", "support", "reason")}
        try:
            plan = participation.step(workbook, matching, next_step=values["step"], day=values["day"], note=values["note"],
                                      support=values["support"], reason=values["reason"], agency=values["agency"],
                                      by=user.name, today=session.today())
        except entry.Invalid as e:
            forms.errors(e)
            return
        forms.save(plan, forms.token(prefix, values), prefix, f"{matching.target} の {matching.resource}: 「{values['step']}」を記録しました。")


def allowed_to_record(household_id: str, kind: str) -> bool:
    """Whether the person signed in may record `kind` (entry.ENTRIES) for this household now."""
    viewer = session.current_viewer()
    return not viewer.projection and kind in allowed_entries(session.write_workbook(), viewer.user, household_id)


def start_participation(household_id: str, resource: str) -> None:
    """From a suggestion on 社会資源マップ: 世帯詳細's 参加支援 form, this 受入先 already chosen."""
    st.session_state[SUGGESTED_RESOURCE] = resource
    st.session_state[entry_tab_key(household_id)] = "参加支援"
    st.switch_page(HOUSEHOLD_PAGE, query_params={"id": household_id})


# ---------------------------------------------------------------- 支援プラン (様式5)

PLAN_COLUMNS = ("key", *entry.PLAN_FIELDS)


def _plan_frame(rows: list[dict]) -> pd.DataFrame:
    """A block's rows for the editor: text as typed, 期限 as the town writes dates, blanks empty."""
    frame = pd.DataFrame([{c: r.get(c) for c in PLAN_COLUMNS} for r in rows], columns=list(PLAN_COLUMNS))
    frame["期限"] = [show_date(d) if d else "" for d in frame["期限"]]
    text = [c for c in PLAN_COLUMNS if c != "状況"]
    return frame.astype(object).assign(**{c: frame[c].astype(object).where(frame[c].notna(), "") for c in text})


PLAN_CONFIG = {"key": None, "目標": st.column_config.TextColumn("目標"),
               "検討内容": st.column_config.TextColumn("検討内容"),
               "取組事項": st.column_config.TextColumn("当面の取組事項"),
               "役割分担": st.column_config.TextColumn("役割分担"),
               "期限": st.column_config.TextColumn("期限", help="R8.12.15、2026/12/15 など"),
               "状況": st.column_config.SelectboxColumn("状況", options=list(schema.PLAN_STATUS))}


def plan_blocks(workbook, household_id: str, prefix: str) -> dict[str, pd.DataFrame]:
    """The plan's table editors in the 様式5 layout: one block per 世帯員, then 危機介入 and その他
    (rows can be added). Returns the frames shown, for `plan_changes`."""
    rows = entry.plan_rows(workbook, household_id)
    frames = {}
    for target in entry.plan_targets(workbook, household_id):
        st.markdown(f"**{esc(target)}**")
        frames[target] = _plan_frame([r for r in rows if r["対象"] == target])
        st.data_editor(frames[target], key=f"{prefix}_{target}", column_config=PLAN_CONFIG, hide_index=True,
                       num_rows="add", width="stretch")
    return frames


def plan_changes(prefix: str, frames: dict[str, pd.DataFrame]) -> tuple[dict[str, dict], list[dict]]:
    """What was typed into `plan_blocks`: changed cells by plan row key, and the added rows."""
    edited, added = {}, []
    for target, frame in frames.items():
        state = st.session_state.get(f"{prefix}_{target}") or {}
        for index, change in (state.get("edited_rows") or {}).items():
            key = frame.iloc[int(index)]["key"]
            edited.setdefault(key, {}).update(change)
        for new in state.get("added_rows") or []:
            if any(v not in (None, "") for v in new.values()):
                added.append({"対象": target, **{c: new.get(c) for c in entry.PLAN_FIELDS}})
    return edited, added


def plan_editor(workbook, household_id: str) -> None:
    """The household's plan (様式5 blocks) with its own save."""
    prefix = f"entry_plan_{household_id}"
    forms.start(prefix, {})
    with st.form(prefix, border=True):
        frames = plan_blocks(workbook, household_id, prefix)
        submitted = forms.submit("プランを保存", type="primary", icon=":material/save:")
    if not submitted:
        return
    edited, added = plan_changes(prefix, frames)
    if not edited and not added:
        st.info("変更はありません。")
        return
    try:
        plan = entry.plan_edit(workbook, household_id, edited=edited, added=added, today=session.today())
    except entry.Invalid as e:
        forms.errors(e)
        return
    if plan.empty:
        st.info("変更はありません。")
        return
    forms.save(plan, forms.token(prefix, household_id, edited, added), prefix,
          f"プランを保存しました（変更 {len(plan.changes)}セル、追加 {len(plan.appends)}行）。")


# ---------------------------------------------------------------- the household screen's entry area

def entry_tab_key(household_id: str) -> str:
    """Session key of the open tab of 世帯詳細's 「記録する」 (its label)."""
    return f"entry_tab_{household_id}"


def household_entries(workbook, household_id: str, viewer: Viewer) -> None:
    """The forms this person may use for this household (none when projected)."""
    if viewer.projection:
        return
    allowed = allowed_entries(workbook, viewer.user, household_id)
    if not allowed - {entry.INTAKE}:
        return
    st.subheader("記録する")
    forms.flash()
    tabs = {"経過記録を追加": (entry.CONTACT, lambda: contact_form(workbook, household_id, viewer.user)),
             "段階を動かす": (entry.STAGE, lambda: stage_form(workbook, household_id, viewer.user)),
             "同意を記録": (entry.CONSENT, lambda: consent_form(workbook, household_id, viewer.user)),
             "支援プランを編集": (entry.PLAN, lambda: plan_editor(workbook, household_id)),
             "アセスメント": (entry.ASSESSMENT, lambda: assessment_form(workbook, household_id, viewer.user)),
             "参加支援": (entry.PARTICIPATION, lambda: participation_form(workbook, household_id, viewer.user)),
             "終結と評価": (entry.STAGE, lambda: closure_form(workbook, household_id, viewer.user)),
             "つなぐ": (entry.CONTACT, lambda: household_referrals(workbook, household_id, viewer))}
    shown = [label for label, (need, _) in tabs.items() if need in allowed]
    # Only the open tab's form is drawn (a tab change reruns): six forms drawn on every run made
    # each rerun of 世帯詳細 slow, whatever the size of the town.
    for label, tab in zip(shown, st.tabs(shown, key=entry_tab_key(household_id), on_change="rerun")):
        if tab.open:
            with tab:
                tabs[label][1]()
    if entry.PLAN not in allowed:
        st.caption("段階・同意・プラン・アセスメントは、主担当機関と多機関協働が記録します。")




def open_card_menu(household_id: str) -> None:
    """A board card's 「記録」 button: open its menu (drawn by `card_menu` on this and later runs)."""
    st.session_state[forms.CARD_MENU] = household_id


def _close_card_menu() -> None:
    st.session_state.pop(forms.CARD_MENU, None)


@st.dialog("この世帯を記録する", width="large", on_dismiss=_close_card_menu)
def _card_dialog(household_id: str) -> None:
    workbook = session.write_workbook()
    viewer = session.current_viewer()
    allowed = allowed_entries(workbook, viewer.user, household_id)
    hh = workbook[schema.HOUSEHOLDS].set_index("世帯ID")
    if household_id not in hh.index or entry.CONTACT not in allowed:
        st.warning("この世帯は記録できる世帯の中にありません。")
        return
    st.markdown(f"**{esc(hh.at[household_id, '表示名'])}**（{esc(household_id)}）")
    contact_form(workbook, household_id, viewer.user, prefix=f"entry_card_contact_{household_id}")
    if entry.STAGE in allowed:
        stage_form(workbook, household_id, viewer.user, prefix=f"entry_card_stage_{household_id}")


def card_menu() -> None:
    """The open board card's menu, if any: 経過記録 and 段階 without leaving the board."""
    if st.session_state.get(forms.CARD_MENU):
        _card_dialog(st.session_state[forms.CARD_MENU])


# ---------------------------------------------------------------- 相談受付 (別紙2-2)

MEMBER_COLUMNS = ("記号", "続柄", "年齢", "分野", "状況")


def intake_form(workbook, viewer: Viewer) -> str | None:
    """相談受付: a new household at 段階 受付. Returns the new 世帯ID once saved (after the rerun)."""
    user = viewer.user
    prefix = "entry_intake"
    own = forms.own_agency(workbook, user)
    forms.start(prefix, {"received": forms.today_text(), "agency": own, "staff": user.name, "consent": "不明"})
    areas = list(workbook[schema.AREAS]["地区名"])
    with st.form(prefix, border=True):
        c1, c2, c3 = st.columns(3)
        c1.text_input("表示名", key=f"{prefix}_name", placeholder="例: 山田世帯（氏名は書かず世帯名で）")
        c2.selectbox("地区", areas, key=f"{prefix}_area", index=None, placeholder=forms.CHOOSE)
        c3.text_input("受付日", key=f"{prefix}_received")
        c1.multiselect("課題", schema.ISSUES, key=f"{prefix}_issues", placeholder=forms.CHOOSE, accept_new_options=True)
        c2.text_input("紹介元", key=f"{prefix}_referrer", placeholder="例: 民生委員")
        c3.selectbox("緊急度", schema.URGENCY, key=f"{prefix}_urgency", index=None, placeholder=forms.CHOOSE)
        with c1:
            agency_choice("主担当機関", f"{prefix}_agency", workbook, user)
        c2.text_input("担当者", key=f"{prefix}_staff")
        c3.radio("本人の同意（情報共有・重層的支援会議）", list(entry.INTAKE_CONSENT), key=f"{prefix}_consent", horizontal=True)
        st.markdown("**世帯員**（氏名は書かず A氏・B氏… の記号で）")
        st.data_editor(pd.DataFrame([{c: "" for c in MEMBER_COLUMNS}] * 2, columns=list(MEMBER_COLUMNS)),
                       key=f"{prefix}_members", num_rows="dynamic", hide_index=True, width="stretch",
                       column_config={"年齢": st.column_config.TextColumn("年齢", help="数字だけ。例: 82"),
                                      "分野": st.column_config.SelectboxColumn("分野", options=list(schema.FIELDS))})
        st.text_area("相談の内容・備考", key=f"{prefix}_note", height=90)
        submitted = forms.submit("相談受付を保存", type="primary", icon=":material/save:")
    if not submitted:
        return None
    form = _intake_values(prefix)
    similar = entry.similar_households(workbook, form.name, form.area)
    if similar and not st.session_state.get(f"{prefix}_similar_ok"):
        st.warning("同じ地区に似た表示名の世帯があります: " + "、".join(esc(s) for s in similar)
                   + "。同じ世帯でないか確かめてください。別の世帯なら、下のチェックを入れてもう一度保存してください。",
                   icon=":material/content_copy:")
        st.checkbox("別の世帯として受け付ける", key=f"{prefix}_similar_ok")
        return None
    return forms.save_new_household(
        lambda: entry.intake(workbook, form, taken=session.household_ids(), today=session.today(), by=user.name),
        forms.token(prefix, form), prefix, lambda hid: f"相談受付を保存しました（世帯ID {hid}、段階「受付」）。")


def _intake_values(prefix: str) -> entry.Intake:
    state = st.session_state.get(f"{prefix}_members") or {}
    base = [{c: "" for c in MEMBER_COLUMNS}] * 2
    rows = [dict(r) for r in base]
    for index, change in (state.get("edited_rows") or {}).items():
        rows[int(index)].update(change)
    rows += [dict(r) for r in state.get("added_rows") or []]
    deleted = set(state.get("deleted_rows") or [])
    members = [entry.Member(r.get("記号") or "", r.get("続柄") or "", r.get("年齢"), r.get("分野") or "", r.get("状況") or "")
               for i, r in enumerate(rows) if i not in deleted]
    return entry.Intake(name=forms.value(prefix, "name") or "", area=forms.value(prefix, "area"),
                        issues=list(forms.value(prefix, "issues") or []), referrer=forms.value(prefix, "referrer") or "",
                        consent=forms.value(prefix, "consent") or "不明", agency=forms.value(prefix, "agency"),
                        staff=forms.value(prefix, "staff") or "", received=forms.value(prefix, "received"),
                        urgency=forms.value(prefix, "urgency"), note=forms.value(prefix, "note") or "", members=members)
