"""アウトリーチ on screen: a new person or a contact with one already known, and 「相談受付へ」 when
the person agrees (one save: the new 世帯 with its 経過記録 made from the contacts). Shown only to
those lib.access.scope.sees_outreach allows; never projected."""
from __future__ import annotations

import streamlit as st

from lib.access import users
from lib.casework import entry, outreach
from lib.ui import forms, session
from lib.ui.entry_forms import agency_choice
from lib.ui.widgets import dates, esc, household_link
from lib.workbook import schema
from lib.workbook.cells import show_date

NEW_PERSON = "（新しい人）"
STATES = [s for s in schema.OUTREACH_STATES if s != outreach.TO_INTAKE]


def outreach_panel(workbook, user: users.User, found: list[outreach.Person]) -> None:
    """Pick a person (or a new one); their contacts; the forms."""
    # The choice is the person's ID (a label with the number of contacts would change with each save,
    # and a double click's second press would then meet another form):
    # (a person chosen here whose record someone closed meanwhile stays chosen, to say so and keep what was typed)
    kept = st.session_state.get("outreach_pick")
    by_id = {p.id: p for p in found if p.open or p.id == kept}
    chosen = st.selectbox("記録する人", [NEW_PERSON, *by_id], key="outreach_pick",
                          format_func=lambda i: i if i == NEW_PERSON else f"{by_id[i].name}（{by_id[i].state}・{by_id[i].contacts}回）")
    person = by_id.get(chosen)
    if person is not None and not person.open:
        st.warning(f"この人の記録は{show_date(person.last)}に「{esc(person.state)}」になっています"
                   + (f"（{esc(person.agency)}）" if person.agency else "") + "。"
                   + (f"世帯ID {esc(person.household)} の世帯詳細で記録してください。" if person.household else "")
                   + "書いた内容は下に残っています。", icon=":material/block:")
    if person is not None:
        st.markdown(f"**{esc(person.name)}**　{esc(person.area or '')}　いま: {esc(person.state)}"
                    + (f"　計画: {esc(person.plan)}" if person.plan else ""))
        st.dataframe(dates(outreach.history(workbook[schema.OUTREACH], person.id)), hide_index=True, width="stretch")
    contact_form(workbook, user, person)
    if person is not None:
        with st.expander("相談受付へ（本人が相談に同意したとき）", icon=":material/person_add:"):
            intake_form(workbook, user, person)
    saved = st.session_state.get("_intake_saved")
    if saved:
        household_link(st, saved, f"受け付けた世帯（{saved}）を開く")


def contact_form(workbook, user: users.User, person: outreach.Person | None) -> None:
    prefix = f"entry_outreach_{person.id if person else 'new'}"
    forms.start(prefix, {"day": session.today(), "agency": forms.own_agency(workbook, user),
                         "state": person.state if person else outreach.CONTACTING, "plan": (person.plan if person else "") or ""})
    with st.form(prefix, border=True):
        if person is None:
            c1, c2 = st.columns(2)
            c1.text_input("呼び名（名前は書かず「東部 70代男性」のように）", key=f"{prefix}_name")
            c2.selectbox("地区", list(workbook[schema.AREAS]["地区名"]), key=f"{prefix}_area", index=None,
                         placeholder=forms.CHOOSE)
        c1, c2, c3, c4 = st.columns(4)
        forms.visit_day(c1, prefix)
        c2.selectbox("方法", schema.CONTACT_METHODS, key=f"{prefix}_method", index=None, placeholder=forms.CHOOSE)
        c3.selectbox("状態", STATES, key=f"{prefix}_state")
        with c4:
            agency_choice("機関", f"{prefix}_agency", workbook, user)
        st.text_area("内容（会えたか・様子・話したこと）", key=f"{prefix}_text", height=80)
        st.text_area("信頼づくりの計画（次にどう働きかけるか）", key=f"{prefix}_plan", height=70)
        submitted = forms.submit("接触を記録", type="primary", icon=":material/save:")
    if submitted:
        values = {n: forms.value(prefix, n) for n in ("name", "area", "day", "method", "state", "agency", "text", "plan")}
        try:
            plan = outreach.contact(workbook, person, name=values["name"], area=values["area"], day=values["day"],
                                    method=values["method"], text=values["text"], plan=values["plan"],
                                    state=values["state"], agency=values["agency"], by=user.name, today=session.today())
        except entry.Invalid as e:
            forms.errors(e)
            return
        forms.save(plan, forms.token(prefix, values), prefix, "接触を記録しました。")


def intake_form(workbook, user: users.User, person: outreach.Person) -> None:
    prefix = f"entry_outreach_intake_{person.id}"
    forms.start(prefix, {"received": forms.today_text(), "agency": forms.own_agency(workbook, user), "consent": "同意する"})
    with st.form(prefix, border=True):
        c1, c2, c3 = st.columns(3)
        c1.text_input("表示名（世帯名）", key=f"{prefix}_name", placeholder="例: 山田世帯")
        c2.text_input("受付日", key=f"{prefix}_received")
        with c3:
            agency_choice("主担当機関", f"{prefix}_agency", workbook, user)
        c1.multiselect("課題", schema.ISSUES, key=f"{prefix}_issues", placeholder=forms.CHOOSE)
        c2.radio("本人の同意（情報共有・重層的支援会議）", list(entry.INTAKE_CONSENT), key=f"{prefix}_consent", horizontal=True)
        c3.text_input("本人の年齢", key=f"{prefix}_age", placeholder="例: 72")
        st.caption(f"これまでの接触（{person.contacts}回）は、この世帯の経過記録になります。")
        submitted = forms.submit("相談受付へ進む", type="primary", icon=":material/person_add:")
    if not submitted:
        return
    value = lambda name: forms.value(prefix, name)          # noqa: E731
    form = entry.Intake(name=value("name") or "", area=person.area, issues=list(value("issues") or []), referrer="",
                        consent=value("consent") or "同意する", agency=value("agency"), staff=user.name,
                        received=value("received"), urgency=None, note="",
                        members=[entry.Member("A氏", "本人", value("age") or None, "", "")])
    forms.save_new_household(
        lambda: outreach.to_intake(workbook, person, form, taken=session.household_ids(), today=session.today(), by=user.name),
        forms.token(prefix, person.id, form), prefix,
        lambda hid: f"相談受付へ進みました（世帯ID {hid}）。これまでの接触は経過記録に入りました。")
