"""The 実施状況報告 on screen (プラン進捗, 多機関協働 and 管理者): the 所見 per 事業, the report's figures
as they will be printed, and one press for the PDF, the Excel file and the prefecture's CSV; and, on
取り込み for a 管理者, several towns' CSVs combined into the prefecture's workbook."""
from __future__ import annotations

import streamlit as st

from lib.report import documents, figures, notes, prefecture
from lib.access import users
from lib.ui import forms, session
from lib.ui.downloads import audited_download
from lib.ui.widgets import esc
from lib.workbook import schema, sources
from lib.workbook.cells import fiscal_label
from lib.workbook.new import SAMPLE_TOWN

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
UNNAMED = "（町名未設定）"


def town() -> tuple[str, str]:
    """(町の名前, 全国地方公共団体コード) from the settings; the sample town has its own."""
    name, code = session.setting("town_name"), session.setting("town_code")
    if sources.resolve(secrets=session.secrets()).is_sample:
        return name or SAMPLE_TOWN, code or prefecture.SAMPLE_TOWN_CODE
    return name, code


def report_panel(workbook, user: users.User, year: int, today) -> None:
    """The 所見 form, the figures as printed, and the three downloads."""
    label = fiscal_label(year).split("（")[0]
    st.subheader(f"{label}の実施状況報告（委員会へ）")
    name, code = town()
    if not name or not code:
        st.warning("管理 → 設定 で「町の名前」と「全国地方公共団体コード」を入れると、表紙と県への提出用 CSV に載ります"
                   + ("（コードがないと CSV は作れません）" if not code else "") + "。", icon=":material/info:")
    report = session.shared(figures.annual, workbook, year, today, name or UNNAMED)
    notes_form(workbook, user, year, report)
    st.caption(documents.LEGEND)
    for n, section in enumerate(report.sections, start=1):
        with st.expander(f"{n}. {section.programme}（報告に載る数）", icon=":material/table_view:"):
            st.dataframe(figures.measure_frame(section), hide_index=True, width="stretch")
            for line in section.lines:
                st.markdown(f"- {esc(line)}")
            for table in section.tables:
                st.markdown(f"**{esc(table.title)}**")
                st.dataframe(table.shown, hide_index=True, width="stretch")
    stem = f"実施状況報告_{label}_{(name or '町').replace('/', '／').replace(chr(92), '＼')}"
    left, middle, right = st.columns(3)
    with left:
        audited_download("実施状況報告（PDF）", lambda: documents.to_pdf(report), f"{stem}.pdf", what="実施状況報告",
                         households=0, icon=":material/picture_as_pdf:", key="report_pdf", type="primary")
    with middle:
        audited_download("実施状況報告（Excel）", lambda: documents.to_xlsx(report), f"{stem}.xlsx", what="実施状況報告",
                         households=0, icon=":material/table:", key="report_xlsx", mime=XLSX)
    with right:
        if code:
            audited_download("県への提出用（CSV）", lambda: prefecture.to_csv(report, code), f"県提出_{code}_{year}.csv",
                             what="県への提出用CSV", households=0, icon=":material/upload_file:", key="report_csv",
                             mime="text/csv")
        else:
            st.button("県への提出用（CSV）", disabled=True, key="report_csv_off", icon=":material/upload_file:",
                      help="管理 → 設定 で全国地方公共団体コードを入れると作れます。")


def notes_form(workbook, user: users.User, year: int, report: figures.Report) -> None:
    """One text per 事業, saved as new rows of the 実施状況報告 tab (refused when someone saved this
    年度's 所見 after the form was drawn; what was typed stays)."""
    prefix = f"entry_report_notes_{year}"
    forms.start(prefix, {f"text_{i}": s.text for i, s in enumerate(report.sections)})
    with st.expander("所見を書く（事業ごとに、委員会に伝える1年のまとめ）", icon=":material/edit_note:"):
        with st.form(prefix, border=False):
            for i, section in enumerate(report.sections):
                st.text_area(f"{section.programme}の所見", key=f"{prefix}_text_{i}", height=90, max_chars=notes.MAX_CHARS)
            submitted = forms.submit("所見を保存", type="primary", icon=":material/save:")
    if not submitted:
        return
    texts = {s.programme: forms.value(prefix, f"text_{i}") or "" for i, s in enumerate(report.sections)}
    try:
        plan = notes.save(workbook, year, texts, by=user.name, today=session.today())
    except notes.Invalid as e:
        forms.errors(e)
        return
    if plan.empty:
        st.info("所見は変わっていないので、保存していません。", icon=":material/info:")
        return
    forms.save(plan, forms.token(prefix, year, texts), prefix, f"{fiscal_label(year).split('（')[0]}の所見を保存しました"
               f"（「{schema.REPORT_NOTES}」タブ）。")


def prefecture_panel() -> None:
    """取り込み → 県の集計: the towns' CSVs in, one workbook out (nothing is written to the town's sheet)."""
    st.caption("町ごとの「県への提出用（CSV）」（プラン進捗 → 実施計画の指標 → 実施状況報告で作るもの）を選ぶと、"
               "指標ごとに町を横に、年度を縦に並べた Excel にまとめます。町のシートには何も書きません。")
    files = st.file_uploader("町から届いた CSV（いくつでも）", type=["csv"], accept_multiple_files=True,
                             key=f"prefecture_{st.session_state.get('_prefecture_files', 0)}",
                             max_upload_size=sources.UPLOAD_MAX_BYTES // 1024 // 1024)
    if not files:
        return
    try:
        tidy = prefecture.combine([(f.name, f.getvalue()) for f in files])
    except prefecture.Refused as e:
        st.error(f"まとめていません。{esc(e)}", icon=":material/block:")
        return
    towns = tidy.drop_duplicates(["町名コード", "年度"])[["町名コード", "町名", "年度", "ファイル"]]
    st.success(f"{tidy['町名コード'].nunique()}町・{tidy['年度'].nunique()}年度をまとめます。", icon=":material/check_circle:")
    st.dataframe(towns, hide_index=True, width="stretch")
    audited_download("県の集計（Excel）", lambda: prefecture.to_xlsx(tidy), "県の集計.xlsx", what="県の集計", households=0,
                     icon=":material/table:", key="prefecture_xlsx", mime=XLSX, type="primary")
