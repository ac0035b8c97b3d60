"""取り込み's pieces that touch the session: the uploaded file read once, mappings kept by name in the
state folder, and 取り込む through the one form machinery (lib.ui.forms), audited in one line."""
from __future__ import annotations

import streamlit as st

from lib import state
from lib.casework import imports
from lib.ui import forms, session
from lib.ui.widgets import esc
from lib.workbook import schema, sources

MAPPINGS = "import_mappings.json"
# Session key: how many lists this session brought in (the file chooser starts empty after each, so
# that the list just brought in is not previewed again as duplicates of itself):
ROUND = "_import_round"


def file_key() -> str:
    """The file chooser's key for the next list."""
    n = st.session_state.get(ROUND, 0)
    return "import_file" if not n else f"import_file_{n}"


def read_upload(name: str, data: bytes, file_id: str) -> dict[str, list[list]] | None:
    """The uploaded list's sheets, read once per uploaded file (None after saying why it cannot be read)."""
    kept = st.session_state.get("_import_read")
    if kept and kept[0] == file_id:
        return kept[1]
    try:
        sheets = sources.read_upload(name, data)
    except sources.SourceError as e:
        st.error(f"{esc(e)} {esc(e.advice)}", icon=":material/error:")
        return None
    st.session_state["_import_read"] = (file_id, sheets)
    return sheets


def import_mappings() -> dict[str, dict]:
    """Saved mappings: name → {"kind": …, "columns": heading key → 「タブ・列」}."""
    found = state.read_json(session.state_folder(), MAPPINGS, {})
    return found if isinstance(found, dict) else {}


def save_import_mapping(name: str, kind: str, columns: dict[str, str]) -> bool:
    kept = import_mappings()
    kept[name] = {"kind": kind, "columns": columns}
    return state.write_json(session.state_folder(), MAPPINGS, kept)


def import_rows(result: imports.Preview, include_duplicates: bool, file_name: str, sheet: str, going: int) -> None:
    """「取り込む」: the accepted rows appended (new IDs where the list has none), one audit line, a summary."""
    prefix = "import_rows"
    forms.start(prefix, {})
    if not st.button(f"取り込む（{going}行）", type="primary", icon=":material/upload:", disabled=not going, key=prefix,
                     on_click=session.pressed):
        return
    main = result.kind.tabs[0]
    key = schema.TABS_BY_NAME[main].key[0]
    plan, taken = imports.plan(result, session.write_workbook(), taken=session.ids_in(main, key),
                               include_duplicates=include_duplicates)
    per_tab = {}
    for row in plan.appends:
        per_tab[row.tab] = per_tab.get(row.tab, 0) + 1
    summary = "・".join(f"{tab} {n}行" for tab, n in per_tab.items())
    ids = [r.values[key] for r in plan.appends if r.tab == main and r.values.get(key)]

    def written() -> None:                  # audited once it happened (a refused or repeated press is not)
        session.audit("import", file=file_name, sheet=sheet, tab=main, rows=len(taken))
        st.session_state[ROUND] = st.session_state.get(ROUND, 0) + 1
    forms.save(plan, forms.token(prefix, file_name, sheet, [r.number for r in taken], [r.values for r in taken]), prefix,
               f"「{file_name}」から{len(taken)}行を取り込みました（{summary}"
               + (f"。{key} {ids[0]}〜{ids[-1]}" if len(ids) > 1 else f"。{key} {ids[0]}" if ids else "") + "）。"
               "続けて次の一覧を選べます。", written)
