"""The form machinery every entry form shares (経過記録, 段階, 同意, 支援プラン, 相談受付, つなぎ, the
meeting's decisions): the once-only token, typed values kept across reruns, the save with its
spinner, refusal and conflict display, per-field errors, and the message shown after the save.

Every form keeps what was typed after an error or a refused save, shows a spinner while saving,
saves once on a double click (one token per filled-in form) and clears itself after a save.
"""
from __future__ import annotations

import hashlib
from typing import Callable

import streamlit as st

from lib.access import users
from lib.casework import entry
from lib.casework.agencies import directory
from lib.ui import session
from lib.ui.widgets import conflict_table, esc
from lib.workbook import sources
from lib.workbook.cells import to_wareki

# Session keys: a message shown after the rerun that follows a save, forms to clear, the board
# card whose 「記録」 menu is open (closed by a save), refused saves to tell of, and how many times
# each form was cleared after a save (its filling: a token is one filling's):
FLASH, CLEAR, CARD_MENU, REFUSED, FILLING = "_entry_flash", "_entry_clear", "_card_menu", "_entry_refused", "_entry_filling"
CHOOSE = "選んでください"
SAVED_TWICE = "この内容は保存済みです（二度押しでも1回だけ保存します）。"


def token(*parts) -> str:
    """One token per filled-in form: the same form with the same content saves once."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def submit(label: str, **kwargs) -> bool:
    """A form's save button: the run it starts plans from what the person saw (session.pressed)."""
    return st.form_submit_button(label, on_click=session.pressed, **kwargs)


def start(prefix: str, defaults: dict) -> None:
    """Before a form's widgets: clear it if it was just saved, give empty fields their defaults, and
    say why its last save was refused, if it was."""
    refusal(prefix)
    if prefix in st.session_state.get(CLEAR, set()):
        st.session_state[CLEAR].discard(prefix)
        fillings = st.session_state.setdefault(FILLING, {})
        fillings[prefix] = fillings.get(prefix, 0) + 1
        for key in [k for k in st.session_state if isinstance(k, str) and k.startswith(prefix + "_")]:
            del st.session_state[key]
    for name, default in defaults.items():
        st.session_state.setdefault(f"{prefix}_{name}", default)


def value(prefix: str, name: str):
    """What is typed in a form's field now."""
    return st.session_state.get(f"{prefix}_{name}")


def today_text() -> str:
    return to_wareki(session.today())


def visit_day(container, prefix: str, name: str = "day", label: str = "日付") -> None:
    """The day of a contact or visit, picked from a calendar (a finger on a phone after a home visit;
    digits on a keyboard), today by default and never later. The record is shown in 和暦 as soon as
    it is saved; the picker itself shows 年/月/日."""
    container.date_input(label, key=f"{prefix}_{name}", max_value=session.today(), format="YYYY/MM/DD",
                         help="カレンダーのボタンで選べます。数字で 2026/11/26 のようにも入れられます。")


def own_agency(workbook, user: users.User) -> str | None:
    """The user's 所属機関 as the 機関 tab spells it (None when the tab does not have it)."""
    tab = directory(workbook)
    return tab.spelling(user.agency) if user.agency and tab.known(user.agency) else None


def flash() -> None:
    """The message of the save that led to this run (shown once)."""
    message = st.session_state.pop(FLASH, None)
    if message:
        st.success(message, icon=":material/check_circle:")


def errors(e: entry.Invalid) -> None:
    """The fields to correct, each with what is wrong (the typed values stay)."""
    st.error("保存していません。次の欄を直してください（入力した内容は残っています）。\n\n"
             + "\n".join(f"- **{esc(field)}**: {esc(message)}" for field, message in e.errors.items()),
             icon=":material/edit_off:")


def attempt(plan, once: str, prefix: str):
    """Carry out a write plan with a spinner: (result, conflicts), or None when the source refused
    it (said on screen; the typed values stay). `once` counts for this filling of the form only: the
    same entry typed again after the form was cleared (見守り, 支援中, then 見守り again the same day)
    is a new save, not a double click."""
    once = token(once, st.session_state.get(FILLING, {}).get(prefix, 0))
    with st.spinner("保存しています…"):
        try:
            return session.save(plan, token=once)
        except sources.SourceError as e:
            st.error(f"保存していません。{esc(e)} {esc(e.advice)}（入力した内容はこの画面に残っています）",
                     icon=":material/block:")
            return None


def refuse(prefix: str, conflicts) -> None:
    """A save refused because someone changed what the form was drawn from: the page is drawn again
    from the sheet as it is now (session.save read it), the typed values kept, and the form says
    what changed and who changed it (`refusal`)."""
    st.session_state.setdefault(REFUSED, {})[prefix] = (list(conflicts), session.changed_by(conflicts))
    st.rerun()


def refusal(prefix: str) -> None:
    """Where a form is drawn: why its last save was refused (once)."""
    refused = st.session_state.get(REFUSED, {}).pop(prefix, None)
    if refused is None:
        return
    conflicts, who = refused
    st.error("保存していません。この画面を開いた後に、シートで次のところが変わっています"
             + (f"（{esc(who)}）" if who else "") + "。画面はいまの内容に変わりました。確かめてから、"
             "必要ならもう一度保存してください（入力した内容は残っています）。", icon=":material/block:")
    conflict_table(conflicts)


def done(prefix: str, message: str, result) -> None:
    """After a save: the message for the next run (or that it was saved already), the form
    cleared, the card menu closed, and a rerun so every screen shows the change."""
    st.session_state[FLASH] = message if result is not None else SAVED_TWICE
    st.session_state.setdefault(CLEAR, set()).add(prefix)
    st.session_state.pop(CARD_MENU, None)
    st.rerun()


def save(plan, once: str, prefix: str, message: str, written: Callable[[], None] | None = None) -> bool:
    """Save with a spinner; on success clear the form and rerun; refusals and conflicts are shown.
    `written` runs once the plan was written (not for a refused or repeated press): what is recorded
    of a save after it happened."""
    outcome = attempt(plan, once, prefix)
    if outcome is None:
        return False
    result, conflicts = outcome
    if conflicts:
        refuse(prefix, conflicts)
    if result is not None and written is not None:
        written()
    done(prefix, message, result)
    return True


class Overwrites(Exception):
    """A plan made again on what another person saved a moment earlier would replace some of it."""

    def __init__(self, conflicts):
        super().__init__(f"{len(conflicts)} cells")
        self.conflicts = conflicts


def attempt_replanning(make_plan, prefix: str):
    """Save make_plan()'s plan: (result, made) — `made` is what make_plan returned beside the plan and
    its token — or None when refused (said on screen). When the only refusal is that a new row's ID
    was taken meanwhile (another person saved the same new 会議, or a 世帯 with that 世帯ID, a moment
    earlier, on this server or another), the sheet is read again and the plan made once more from it;
    make_plan raises Overwrites when that plan would replace what the other person saved."""
    from lib.workbook.writeplan import TAKEN
    for tries in range(2):
        try:
            plan, once, made = make_plan()
        except entry.Invalid as e:
            errors(e)
            return None
        except Overwrites as e:
            refuse(prefix, e.conflicts)
        outcome = attempt(plan, once, prefix)
        if outcome is None:
            return None
        result, conflicts = outcome
        if conflicts and all(c.now == TAKEN for c in conflicts) and tries == 0:
            session.refresh()
            continue
        if conflicts:
            refuse(prefix, conflicts)
        return result, made
    return None


def save_new_household(make_plan, once: str, prefix: str, message) -> str | None:
    """Save a plan that makes a new 世帯 (相談受付, アウトリーチ → 相談受付): `make_plan()` gives
    (plan, 世帯ID); when someone typed that 世帯ID into the sheet meanwhile, the next one is taken once
    more. Returns the new 世帯ID after a save (the form cleared, `message(hid)` shown), else None."""
    def planned():
        plan, hid = make_plan()
        return plan, once, hid
    saved = attempt_replanning(planned, prefix)
    if saved is None:
        return None
    result, hid = saved
    st.session_state["_intake_saved"] = hid if result is not None else st.session_state.get("_intake_saved")
    done(prefix, message(hid), result)
    return hid
