"""Small shared Streamlit pieces: escaping, notices, board cards, links, audited downloads."""
from __future__ import annotations

import re

import streamlit as st

from lib import settings
from lib.ui.runtime import secrets
from lib.workbook import schema
from lib.workbook.cells import show_date, show_dates
from lib.workbook.validate import Workbook

CHECK_PAGE = "screens/check.py"
HOUSEHOLD_PAGE = "screens/household.py"
BOARD_PAGE = "screens/board.py"
RESOURCES_PAGE = "screens/resources.py"
# Larger type and stronger contrast for a projector (no sheet values in this CSS):
PROJECTION_CSS = """
<style>
[data-testid="stAppViewContainer"] { font-size: 1.35rem; }
[data-testid="stAppViewContainer"] h1 { font-size: 2.6rem; }
[data-testid="stMetricValue"] { font-size: 3rem; }
[data-testid="stAppViewContainer"] p, [data-testid="stAppViewContainer"] li { color: #000; }
[data-testid="stAppViewContainer"] .tb-card { font-size: 1.25rem; }
[data-testid="stAppViewContainer"] .tb-badge { font-size: 1.05rem; }
[data-testid="stAppViewContainer"] .tb-meta { color: #000; }
[data-testid="stAppViewContainer"] [data-testid="stCaptionContainer"] { opacity: 1; }
[data-testid="stAppViewContainer"] [data-testid="stCaptionContainer"] p { color: #333; }
[data-testid="stPageLink"] p { font-size: 1.4rem; font-weight: 700; }
</style>
"""


# On a phone (a home visit): controls a finger can hit — inputs, selects and buttons at least 44 px
# high (WCAG 2.5.5), the same look otherwise (no sheet values in this CSS):
PHONE_CSS = """
<style>
@media (max-width: 640px) {
  [data-testid="stTextInputRootElement"], [data-testid="stDateInputField"], [data-testid="stNumberInputContainer"],
  [data-testid="stSelectbox"] div:has(> [role="combobox"]), [data-testid="stMultiSelect"] div:has(> [role="combobox"]),
  [data-testid="stDateInputCalendarButton"], [data-testid="stBaseButton-primary"],
  [data-testid="stBaseButton-secondary"], [data-testid="stBaseButton-primaryFormSubmit"],
  [data-testid="stBaseButton-secondaryFormSubmit"], [data-testid="stPageLink-NavLink"],
  [data-testid="stSidebarNavLink"] { min-height: 44px; }
  [data-testid="stDateInputCalendarButton"] { min-width: 44px; }
}
</style>
"""


# HTML's special characters, and the ones markdown would act on, as character references:
_INERT = str.maketrans({**{c: f"&#{ord(c)};" for c in "\\`*_{}[]()#+-.!|~:$=@"},
                        "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"})


# Where Streamlit's markdown would make a link of plain text (GFM autolink literals: http://, https://,
# www. and mail addresses — found in the text *after* character references are decoded), a word
# joiner (U+2060, invisible) goes between the letters so that no pattern matches:
_LINK_START = re.compile(r"(?i)(?<=https)(?=:)|(?<=http)(?=:)|(?<=www)(?=\.)|(?=@)")
WORD_JOINER = "\u2060"


def esc(value: object) -> str:
    """Make a sheet value inert in HTML *and* markdown: it always reads as typed, and never
    becomes a link.

    Which protection goes where (the one place that says it):
    - st.markdown, st.caption, st.title, alerts, widget labels and options shown as markdown,
      unsafe_allow_html blocks: esc().
    - st.dataframe / st.data_editor cells: nothing. A grid draws text as text (no HTML, no
      markdown); escaping there would show 「No&#46;」 for 「No.」. Blanks are shown blank, not NaN.
    - Downloads (Excel, CSV): lib.workbook.export neutralises formulas (=, +, -, @ at a cell's start).
    - Writes to Google Sheets: RAW input (a typed =… stays text)."""
    return _LINK_START.sub(WORD_JOINER, "" if value is None else str(value)).translate(_INERT)


def left_out_notice(workbook: Workbook) -> None:
    """「N行を表示できませんでした → データ点検」 when rows were left out."""
    n = workbook.rows_left_out
    if n:
        cols = st.columns([5, 2])
        cols[0].warning(f"{n}行を表示できませんでした（シートの入力に誤りがあります）", icon=":material/warning:")
        cols[1].page_link(CHECK_PAGE, label="→ データ点検", icon=":material/fact_check:")

# ---------------------------------------------------------------- case board cards

# Card styles (constant: no sheet values). Colours follow the track and review state.
CARD_CSS = """
<style>
.tb-card { font-size: 0.9rem; line-height: 1.45; }
.tb-badge { display: inline-block; padding: 0 .45em; border-radius: .6em; font-size: .78rem; margin-right: .25em;
            border: 1px solid transparent; white-space: nowrap; }
.tb-track-j { background: #e3f2fd; color: #0d47a1; border-color: #90caf9; }
.tb-track-s { background: #fce4ec; color: #880e4f; border-color: #f48fb1; }
.tb-complex { background: #4a148c; color: #fff; }
.tb-tag { background: #f1f3f4; color: #202124; border-color: #dadce0; }
.tb-urg-高 { background: #9a1414; color: #fff; }
.tb-urg-中 { background: #ffe0b2; color: #4e2600; }
.tb-urg-低 { background: #e8f5e9; color: #1b5e20; }
.tb-overdue { color: #b71c1c; font-weight: 700; }
.tb-soon { color: #8a4b00; font-weight: 700; }
.tb-stale { color: #b71c1c; font-weight: 700; }
.tb-meta { color: #3c4043; overflow-wrap: anywhere; }
.tb-line { overflow-wrap: anywhere; word-break: break-word; }
</style>
"""
TRACK_CLASS = {schema.JUSOU_KAIGI: "tb-track-j", schema.SHIEN_KAIGI: "tb-track-s"}


def date_style() -> str:
    """和暦 (default) or 西暦, from the date_style setting."""
    return settings.get("date_style", secrets=secrets())


def _fmt_date(value) -> str:
    """R8.11.24 (or 2026/11/24 when the town chose 西暦), or 未設定 for a blank (None or NaT)."""
    return show_date(value, date_style()) or "未設定"


def indicator_table(table) -> None:
    """The 計画指標 table (lib.casework.indicators.indicator_table), the same on every screen."""
    st.dataframe(table, hide_index=True, width="stretch", column_config={
        "達成率": st.column_config.ProgressColumn("達成率", min_value=0.0, max_value=1.0, format="percent"),
        "差異": st.column_config.CheckboxColumn("入力と集計が違う"),
        "推計": st.column_config.CheckboxColumn("推計", help="段階履歴タブや中断日の列がないため、ほかの列から推し量った数です")})


def chart_with_table(container, chart, table, title: str) -> None:
    """A chart, and under it (opened on demand) the same figures as a table: what its colours and
    bar lengths say, for a screen reader and for anyone who cannot tell the colours apart."""
    container.altair_chart(chart, width="stretch")
    with container.expander(f"{title}（表で見る）"):
        st.dataframe(table, hide_index=True, width="stretch")


def dates(frame):
    """A table with its dates written as the town writes them (和暦 by default), for display."""
    return show_dates(frame, date_style())


def card_html(card) -> str:
    """The body of one board card (under its name link); every sheet value escaped."""
    badges = [f'<span class="tb-badge {TRACK_CLASS[card.track]}">{esc(card.track)}</span>']
    if card.complex:
        badges.append('<span class="tb-badge tb-complex">複合</span>')
    if card.urgency:
        badges.append(f'<span class="tb-badge tb-urg-{esc(card.urgency)}">緊急度 {esc(card.urgency)}</span>')
    tags = "".join(f'<span class="tb-badge tb-tag">{esc(i)}</span>' for i in card.issues)
    if card.waiting is not None:
        badges.append(f'<span class="tb-badge {"tb-urg-高" if card.waiting_overdue else "tb-tag"}">'
                      f'つなぎ未応答 {card.waiting}日{"（期限超過）" if card.waiting_overdue else ""}</span>')
    review_class = {"overdue": "tb-overdue", "soon": "tb-soon"}.get(card.review_state, "")
    review_note = {"overdue": "（期限切れ）", "soon": "（まもなく）"}.get(card.review_state, "")
    contact = "接触の記録なし" if card.days_since_contact is None else f"最終接触 {card.days_since_contact}日前"
    who = "・".join(esc(v) for v in (card.agency, card.staff) if v) or "担当未設定"
    return (f'<div class="tb-card"><div class="tb-line">{"".join(badges)}</div>'
            f'<div class="tb-meta">{esc(card.household_id)} ・ {esc(card.area or "地区未設定")} ・ {who}</div>'
            f'<div class="tb-line">{tags}</div>'
            f'<div class="tb-line"><span class="{review_class}">見直し {_fmt_date(card.review)}{review_note}</span>'
            f' ・ <span class="{"tb-stale" if card.stale else ""}">{contact}{"（間が空いています）" if card.stale else ""}'
            f'</span></div></div>')


def household_link(container, household_id: str, label: str) -> None:
    """A link to 世帯詳細 for one household that keeps this session (filters, 投影モード)."""
    params = {"id": household_id}
    if st.session_state.get("projection"):
        params["mode"] = "projection"
    container.page_link(HOUSEHOLD_PAGE, label=esc(label), icon=":material/home_work:", query_params=params)


def board_column(column, stage: str, cards: list, per_page: int, header: bool = True, menu=None) -> None:
    """One 段階 column: its count, the first cards, and 「さらに表示」 for the rest. With `menu`
    (called with a 世帯ID), each card has a 「記録」 button that opens it."""
    key = f"board_limit_{stage}"
    limit = st.session_state.get(key, per_page)
    if header:
        column.subheader(f"{stage}（{len(cards)}）", divider="gray")
    if not cards:
        column.caption("該当する世帯はありません")
    for card in cards[:limit]:
        box = column.container(border=True)
        household_link(box, card.household_id, card.name)
        box.markdown(card_html(card), unsafe_allow_html=True)
        if menu is not None:
            box.button("記録", key=f"record_{card.household_id}", icon=":material/edit_note:",
                       help="経過記録の追加・段階の変更", on_click=menu, args=(card.household_id,))
    if len(cards) > limit:
        if column.button(f"さらに表示（残り{len(cards) - limit}）", key=f"more_{stage}"):
            st.session_state[key] = limit + per_page
            st.rerun()


def conflict_table(conflicts) -> None:
    """What changed in the sheet since it was read: one line per cell (a refused save shows it)."""
    def shown(v):
        return "（空）" if v in (None, "", ()) else (show_date(v, date_style()) if hasattr(v, "year") else str(v))
    st.dataframe([{"タブ": c.tab, "行": c.key, "列": c.column, "画面で見ていた値": shown(c.read), "いまの値": shown(c.now)}
                  for c in conflicts], hide_index=True)


def household_summary_html(detail) -> str:
    """The 世帯詳細 summary block (escaped); free text only when not projected."""
    h = detail.household
    issues = "".join(f'<span class="tb-badge tb-tag">{esc(i)}</span>' for i in h["課題"])
    badges = f'<span class="tb-badge {TRACK_CLASS[detail.track]}">{esc(detail.track)}</span>'
    if detail.complex:
        badges += '<span class="tb-badge tb-complex">複合</span>'
    if h.get("緊急度"):
        badges += f'<span class="tb-badge tb-urg-{esc(h["緊急度"])}">緊急度 {esc(h["緊急度"])}</span>'

    rows = [("世帯ID", esc(h["世帯ID"])), ("段階", esc(h["段階"])), ("同意", esc(h["同意"])),
            ("地区", esc(h["地区"] or "未設定")),
            ("主担当", "・".join(esc(v) for v in (h["主担当機関"], h["担当者"]) if v) or "未設定"),
            ("受付日", _fmt_date(h["受付日"])), ("次回見直し日", _fmt_date(h["次回見直し日"])),
            ("最終接触", _fmt_date(detail.last_contact)), ("紹介元", esc(h["紹介元"] or "")),
            ("終結日", _fmt_date(h["終結日"]) if h["段階"] == "終結" else "")]
    if h.get("備考"):
        rows.append(("備考", esc(h["備考"])))
    cells = "".join(f"<div><b>{k}</b>　{v}</div>" for k, v in rows if v)
    return (CARD_CSS + f'<div class="tb-card"><div class="tb-line">{badges}{issues}</div>'
            f'<div style="display:grid;grid-template-columns:repeat(auto-fill,minmax(16rem,1fr));gap:.2rem 1rem;">'
            f"{cells}</div></div>")





# Rows of a long table sent at once (a town's whole list on every rerun would be megabytes):
PAGE_ROWS = 100
# Households offered at once in a chooser (typing narrows them on the server):
CHOICES = 50


def paged_table(frame, key: str, rows: int = PAGE_ROWS, **kwargs) -> None:
    """A long table one page at a time, with where this page sits in the whole."""
    pages = max(1, -(-len(frame) // rows))
    page = 1
    if pages > 1:
        if st.session_state.get(key, 1) > pages:        # the filter shortened the table
            st.session_state[key] = pages
        left, right = st.columns([1, 3], vertical_alignment="bottom")
        page = int(left.number_input(f"ページ（全{pages}ページ）", 1, pages, step=1, key=key))
        right.caption(f"{len(frame)}件のうち {(page - 1) * rows + 1}〜{min(page * rows, len(frame))}件目")
    st.dataframe(frame.iloc[(page - 1) * rows: page * rows], hide_index=True, width="stretch", **kwargs)


def household_choice(label: str, names: dict[str, str], key: str, placeholder: str = "世帯を選ぶ",
                     container=None) -> str | None:
    """Choose one household among thousands: up to CHOICES are offered, narrowed by what is typed
    into the search box (表示名 or 世帯ID, full-width allowed)."""
    from lib.workbook.cells import nfkc
    box = container or st
    if len(names) > CHOICES:
        typed = nfkc(box.text_input(f"{label}（表示名か世帯IDの一部で探す）", key=f"{key}_search",
                                    placeholder="例: 山田、H-012"))
        found = [h for h, n in names.items() if typed and (typed in nfkc(h) or typed in nfkc(n))]
        options = found[:CHOICES] if typed else list(names)[:CHOICES]
        if typed and len(found) > CHOICES:
            box.caption(f"{len(found)}世帯が当てはまります。はじめの{CHOICES}世帯です。もう少し詳しく入れてください。")
        elif typed and not found:
            box.caption("当てはまる世帯がありません。")
        if st.session_state.get(key) not in (None, *options):
            st.session_state[key] = None
    else:
        options = list(names)
    return box.selectbox(label, options, index=None, key=key, placeholder=placeholder,
                         format_func=lambda h: f"{names.get(h, h)}（{h}）")
