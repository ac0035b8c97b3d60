"""取り込み: a list the town already keeps (受付簿, 世帯一覧, 社会資源一覧 …) brought into the workbook —
the file, its sheet and header row, each column's place in the sheet, a preview with every problem,
then 取り込む (管理者・多機関協働 only). The uploaded file is only read."""
import pandas as pd
import streamlit as st

from lib import ui
from lib.access import users
from lib.casework import imports
from lib.workbook import sources

LEAVE_OUT = "（取り込まない）"
SHOWN_ROWS = 8
# A 管理者 also combines several towns' 県への提出用 CSV here (lib.report.prefecture):
IMPORT_MODES = ("町の一覧をシートへ", "県の集計（町ごとの CSV をまとめる）")

st.title("取り込み")
workbook, viewer = ui.workbook_for_page()
if viewer.user.role not in (users.ADMIN, users.COORDINATOR):
    st.info("取り込みは、管理者と多機関協働の担当者が使います。", icon=":material/lock:")
    st.stop()
if viewer.projection:
    st.info("投影モードでは取り込みできません（一覧の内容が壁に映るため）。", icon=":material/visibility_off:")
    st.stop()
ui.left_out_notice(workbook)
ui.flash()
if viewer.user.role == users.ADMIN and st.radio("取り込むもの", IMPORT_MODES, horizontal=True, key="import_mode",
                                                 label_visibility="collapsed") == IMPORT_MODES[1]:
    ui.prefecture_panel()
    st.stop()
st.caption("町でいま使っている一覧（Excel・LibreOffice・CSV）を、つなぐボードのシートに足します。"
           "取り込む前に、入る行と直すところをすべて表示します。一覧のファイルは変えません。")

# 1. The kind of list and the file:
left, right = st.columns([1, 2])
kind = imports.KINDS[left.selectbox("一覧の種類", list(imports.KINDS), key="import_kind")]
upload = right.file_uploader("一覧のファイル", type=list(sources.UPLOAD_TYPES), key=ui.file_key(),
                             max_upload_size=sources.UPLOAD_MAX_BYTES // 1024 // 1024)
if upload is None:
    st.stop()
sheets = ui.read_upload(upload.name, upload.getvalue(), upload.file_id)
if not sheets:
    st.stop()

# 2. The sheet and its header row (title rows above it are common):
titles = [t for t, rows in sheets.items() if rows]
if not titles:
    st.error("このファイルには行がありません。", icon=":material/error:")
    st.stop()
left, right = st.columns([2, 1])
title = left.selectbox("シート", titles, key="import_sheet") if len(titles) > 1 else titles[0]
rows = sheets[title]
header = right.number_input("見出しの行（ファイルの行番号）", min_value=1, max_value=len(rows),
                            value=imports.header_row(rows, kind) + 1, key=f"import_header_{upload.file_id}_{title}") - 1
with st.expander(f"ファイルの最初の{SHOWN_ROWS}行", icon=":material/table_view:"):
    st.dataframe(pd.DataFrame(imports.first_rows(rows, SHOWN_ROWS), index=range(1, min(SHOWN_ROWS, len(rows)) + 1)),
                 width="stretch")

# 3. Where each column goes (proposed, changeable; a saved mapping can be used again):
saved_all = ui.import_mappings()
names = [n for n, m in saved_all.items() if m.get("kind") == kind.label]
use = st.selectbox("保存した割り当てを使う", names, index=None, key="import_saved", placeholder="使わない") if names else None
headings = [("" if v is None else str(v)) for v in rows[header]]
proposed = imports.propose(headings, kind, (saved_all.get(use) or {}).get("columns"))
choices = [LEAVE_OUT, *(t.label for t in imports.targets(kind))]
by_label = {t.label: t for t in imports.targets(kind)}
st.subheader("列の割り当て")
mapping = []
columns = st.columns(3)
for i, heading in enumerate(headings):
    shown = heading.strip() or f"{i + 1}列目（見出しなし）"
    default = choices.index(proposed[i].label) if proposed[i] else 0
    picked = columns[i % 3].selectbox(ui.esc(shown), choices, index=default, placeholder=LEAVE_OUT,
                                      key=f"import_map_{upload.file_id}_{title}_{header}_{i}_{use}")
    mapping.append(by_label.get(picked))
# The 同意 of a household list without such a column (不明 makes every household a 支援会議 case):
given = {}
if kind.tabs[0] == "世帯" and imports.CONSENT not in mapping:
    given["同意"] = st.radio("この一覧の世帯の本人の同意（一覧に同意の列がないとき）", imports.CONSENT_CHOICES, horizontal=True,
                           key="import_consent")
    if given["同意"] != "あり":
        st.warning(f"同意が「{given['同意']}」の世帯は支援会議の扱いになり、ケースボードなどでは支援会議構成員の機関の職員"
                   "（と事務局）にしか見えません（社会福祉法第106条の6）。本人の同意を得ている世帯なら「あり」を選ぶか、"
                   "一覧に同意の列（あり／なし／不明）を足して割り当ててください。", icon=":material/lock:")
result = imports.preview(rows, header, mapping, kind, ui.write_workbook(), ui.today(), defaults=given)
if not result.rows:
    st.warning("この一覧にはデータの行がありません（見出しの行より下が空です）。見出しの行（ファイルの行番号）が"
               "正しいか確かめてください。", icon=":material/draft:")
    st.stop()
if result.unmapped:
    st.caption("取り込まない列: " + "、".join(ui.esc(h) for h in result.unmapped))

# 4. The preview: what goes in, what to correct first, what looks like a household already there:
counts = result.counts()
cols = st.columns(4)
for col, (label, n) in zip(cols, counts.items()):
    col.metric(label, f"{n}行")
problems = [{"行": r.number, "列": c, "内容": m} for r in result.rows for c, m in r.problems.items()]
if problems:
    st.warning(f"{counts['直すところ']}行は直すところがあるため取り込みません。一覧を直してから、もう一度選んでください。",
               icon=":material/edit_off:")
    ui.paged_table(pd.DataFrame(problems), key="import_problems")
duplicates = [r for r in result.rows if r.usable and r.duplicate]
include = False
if duplicates:
    st.warning(f"{len(duplicates)}行は、すでにある世帯・資源・機関と同じかもしれません（まとめたりはしません）。",
               icon=":material/content_copy:")
    ui.paged_table(pd.DataFrame([{"行": r.number, "理由": r.duplicate} for r in duplicates]), key="import_duplicates")
    include = st.checkbox("これらも新しい行として取り込む", key="import_include_duplicates")
main = kind.tabs[0]
going = [r for r in result.rows if r.usable and (include or not r.duplicate)]
if going:
    ui.paged_table(pd.DataFrame([{"行": r.number, **{c: ("、".join(v) if isinstance(v, list) else v)
                                                    for c, v in r.values[main].items()}} for r in going]),
                   key="import_going")

# 5. Keep the mapping for next month's list, and bring the rows in:
with st.expander("この割り当てを保存する", icon=":material/bookmark_add:"):
    name = st.text_input("名前（例: 受付簿 令和8年度）", key="import_mapping_name", max_chars=40)
    if st.button("保存", key="import_mapping_save", disabled=not name.strip()):
        ui.save_import_mapping(name.strip(), kind.label, imports.mapping_to_save(headings, mapping))
        st.success(f"割り当て「{ui.esc(name.strip())}」を保存しました。", icon=":material/bookmark:")
ui.import_rows(result, include, upload.name, title, len(going))
