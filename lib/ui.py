"""Shared Streamlit pieces: the workbook snapshot with its cache, the sidebar, notices.

The only lib module that imports streamlit. Pages call `workbook_for_page()` and never
read the source themselves.
"""
from __future__ import annotations

import datetime as dt
import os
import threading
import time
from dataclasses import dataclass, replace

import streamlit as st

from lib import audit as audit_log
from lib import sources, users
from lib.scope import Viewer, known_agency, scope_workbook
from lib.validate import Workbook

CHECK_PAGE = "pages/check.py"
HOUSEHOLD_PAGE = "pages/household.py"
BOARD_PAGE = "pages/board.py"
RESOURCES_PAGE = "pages/resources.py"
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
[data-testid="stPageLink"] p { font-size: 1.4rem; font-weight: 700; }
</style>
"""


# HTML's special characters, and the ones markdown would act on, as character references:
_INERT = str.maketrans({**{c: f"&#{ord(c)};" for c in "\\`*_{}[]()#+-.!|~:$=@"},
                        "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"})


def esc(value: object) -> str:
    """Make a sheet value inert in HTML *and* markdown (every value shown in st.markdown,
    labels, titles and unsafe_allow_html blocks goes through here): it always reads as typed."""
    return ("" if value is None else str(value)).translate(_INERT)


def setting(name: str, default: str = "") -> str:
    """A town setting: TSUNAGU_<NAME> in the environment, else [tsunagu] <name> in secrets."""
    value = os.environ.get(f"TSUNAGU_{name.upper()}")
    if value is None:
        value = str(_secrets().get("tsunagu", {}).get(name, default))
    return value.strip()


def today() -> dt.date:
    """Today, or TSUNAGU_TODAY (YYYY-MM-DD) to show the board as of another day (demos, tests)."""
    fixed = os.environ.get("TSUNAGU_TODAY")
    return dt.date.fromisoformat(fixed) if fixed else dt.date.today()


def keep_widget_state(prefixes: tuple[str, ...] = ("board_", "check_", "meeting_", "decide_", "plans_", "resources_", "admin_")) -> None:
    """Keep filter widgets' values when staff switch pages (Streamlit forgets unrendered widgets)."""
    from streamlit.errors import StreamlitAPIException
    for key in list(st.session_state.keys()):
        if isinstance(key, str) and key.startswith(prefixes):
            try:
                st.session_state[key] = st.session_state[key]
            except StreamlitAPIException:   # buttons hold no value to keep
                pass


@dataclass
class _Entry:
    snapshot: sources.Snapshot | None = None
    error: sources.SourceError | None = None   # the last refresh failed with this
    tried_at: dt.datetime | None = None


@st.cache_resource(show_spinner=False)
def _store() -> tuple[dict[str, _Entry], threading.Lock]:
    """Process-wide store of the last good read per source (shared by all sessions)."""
    return {}, threading.Lock()


def _secrets() -> dict:
    try:
        return st.secrets.to_dict()
    except Exception:   # no secrets.toml at all: streamlit raises its own not-found error
        return {}


def current_snapshot(force: bool = False) -> tuple[sources.SourceConfig, sources.Snapshot, sources.SourceError | None]:
    """The workbook as last read, re-read when older than the TTL or when `force` is set.

    If a re-read fails and an earlier read exists, that earlier read is returned with the
    error (the page shows a banner); with no earlier read the error is raised.
    """
    config = sources.resolve(secrets=_secrets())
    entries, lock = _store()
    with lock:
        entry = entries.setdefault(config.cache_key, _Entry())
        now = dt.datetime.now()
        fresh = entry.tried_at and (now - entry.tried_at).total_seconds() < config.ttl
        if entry.snapshot is None or force or not fresh:
            entry.tried_at = now
            try:
                entry.snapshot, entry.error = sources.load(config, now), None
            except sources.SourceError as e:
                entry.error = e
                if entry.snapshot is None:
                    raise
        return config, entry.snapshot, entry.error


def projection_on() -> bool:
    """投影モード: from the sidebar switch, or bookmarked as ?mode=projection."""
    if "projection" not in st.session_state:
        st.session_state["projection"] = st.query_params.get("mode") == "projection"
    return bool(st.session_state["projection"])


def _sync_projection_param() -> None:
    if st.session_state.get("projection"):
        st.query_params["mode"] = "projection"
    elif st.query_params.get("mode") == "projection":
        del st.query_params["mode"]


def sidebar(user: users.User) -> tuple[sources.Snapshot | None, Viewer]:
    """The shared sidebar: who is signed in, source, read time, refresh, 投影モード.
    Stops the page if nothing can be read."""
    always_projected = user.role == users.VIEWER
    if always_projected:
        st.session_state["projection"] = True
    projection = projection_on()
    with st.sidebar:
        if st.session_state.get("_demo"):
            st.warning("デモモード（見本の町・見本のユーザー）", icon=":material/science:")
        st.toggle("投影モード", key="projection", on_change=_sync_projection_param, disabled=always_projected,
                  help="会議で壁に映すときに。名前を仮名（A世帯…）にし、自由記述を隠します。"
                       "URL に ?mode=projection を付けても同じです。")
        refresh = st.button("最新の情報に更新", icon=":material/refresh:", width="stretch")
    sign_out_button(user)
    _sync_projection_param()
    if projection:
        st.markdown(PROJECTION_CSS, unsafe_allow_html=True)
    try:
        config, snapshot, error = current_snapshot(force=refresh)
    except sources.SourceError as e:
        _error_page(e)
        st.stop()
    with st.sidebar:
        st.caption(f"データ: {snapshot.label}")
        st.caption(f"データ取得: {snapshot.read_at:%H:%M}")
    if error is not None:
        age = int((dt.datetime.now() - snapshot.read_at).total_seconds() // 60)
        st.warning(f"最新の情報を読めませんでした（{error}）。{snapshot.read_at:%m月%d日 %H:%M} に取得したデータ"
                   f"（{age}分前）を表示しています。{error.advice}", icon=":material/cloud_off:")
    viewer = Viewer(projection=projection, user=user)
    if user.role is None or (user.role == users.STAFF and not known_agency(snapshot.workbook, user.agency)):
        st.error("このユーザーには役割または所属機関が設定されていないため、世帯を表示できません。"
                 "つなぐボードの管理者（多機関協働の担当課）に、役割と所属機関の登録を頼んでください。",
                 icon=":material/person_off:")
    return snapshot, viewer


def _error_page(error: sources.SourceError) -> None:
    st.title("データを読めませんでした")
    st.error(str(error), icon=":material/error:")
    st.markdown(f"**確かめること:** {error.advice}")
    st.markdown(
        "- Google スプレッドシートの場合: URL（またはキー）が正しいか、スプレッドシートの「共有」に"
        "サービスアカウントのメールアドレスが入っているか、`.streamlit/secrets.toml` の "
        "`[gcp_service_account]` が鍵ファイルの中身どおりか\n"
        "- Excel ファイルの場合: ファイルの場所（`TSUNAGU_WORKBOOK`）と、共有フォルダにつながっているか\n"
        "- 直したら「最新の情報に更新」を押してください。わからないときは「設定・ヘルプ」をご覧ください。")


def workbook_for_page(meeting_context: str | None = None, projection: bool | None = None) -> tuple[Workbook, Viewer]:
    """What every page starts with: the scoped workbook for this viewer (sidebar already drawn).

    `meeting_context` says which meeting the screen serves (a 支援会議 may show its own
    no-consent households when projected); `projection` forces the projected view (presenter).
    """
    snapshot, viewer = st.session_state["_snapshot"], st.session_state["_viewer"]
    viewer = replace(viewer, meeting_context=meeting_context,
                     projection=viewer.projection if projection is None else projection)
    return scope_workbook(snapshot.workbook, viewer), viewer


def save(plan) -> tuple[int, list]:
    """Carry out a write plan on the open workbook, then re-read it so every page shows the result.

    Returns (cells written, conflicts); raises SourceError for other refusals.
    """
    snapshot = st.session_state["_snapshot"]
    config = sources.resolve(secrets=_secrets())
    try:
        written = sources.write(config, snapshot, plan)
    except sources.WriteConflict as e:
        audit("write_refused", conflicts=[[c.tab, c.key, c.column, c.read, c.now] for c in e.conflicts])
        return 0, e.conflicts
    audit("write", cells=[[c.tab, c.key, c.column, c.old, c.new] for c in plan.changes],
          appended=[[r.tab, r.values.get("会議ID")] for r in plan.appends])
    _, fresh, _ = current_snapshot(force=True)
    st.session_state["_snapshot"] = fresh
    return written, []


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
.tb-urg-高 { background: #b71c1c; color: #fff; }
.tb-urg-中 { background: #ffe0b2; color: #4e2600; }
.tb-urg-低 { background: #e8f5e9; color: #1b5e20; }
.tb-overdue { color: #b71c1c; font-weight: 700; }
.tb-soon { color: #8a4b00; font-weight: 700; }
.tb-stale { color: #b71c1c; font-weight: 700; }
.tb-meta { color: #3c4043; overflow-wrap: anywhere; }
.tb-line { overflow-wrap: anywhere; word-break: break-word; }
</style>
"""
TRACK_CLASS = {"重層的支援会議": "tb-track-j", "支援会議": "tb-track-s"}


def _fmt_date(value) -> str:
    """2026/11/24, or 未設定 for a blank (None or NaT)."""
    return "未設定" if value is None or value != value else f"{value:%Y/%m/%d}"


def card_html(card) -> str:
    """The body of one board card (under its name link); every sheet value escaped."""
    badges = [f'<span class="tb-badge {TRACK_CLASS[card.track]}">{esc(card.track)}</span>']
    if card.complex:
        badges.append('<span class="tb-badge tb-complex">複合</span>')
    if card.urgency:
        badges.append(f'<span class="tb-badge tb-urg-{esc(card.urgency)}">緊急度 {esc(card.urgency)}</span>')
    tags = "".join(f'<span class="tb-badge tb-tag">{esc(i)}</span>' for i in card.issues)
    review_class = {"overdue": "tb-overdue", "soon": "tb-soon"}.get(card.review_state, "")
    review_note = {"overdue": "（期限切れ）", "soon": "（まもなく）"}.get(card.review_state, "")
    contact = "接触の記録なし" if card.days_since_contact is None else f"最終接触 {card.days_since_contact}日前"
    who = "・".join(esc(v) for v in (card.agency, card.staff) if v) or "担当未設定"
    return (f'<div class="tb-card"><div class="tb-line">{"".join(badges)}</div>'
            f'<div class="tb-meta">{esc(card.household_id)} ・ {esc(card.area or "地区未設定")} ・ {who}</div>'
            f'<div class="tb-line">{tags}</div>'
            f'<div class="tb-line"><span class="{review_class}">見直し {_fmt_date(card.review)}{review_note}</span>'
            f' ・ <span class="{"tb-stale" if card.stale else ""}">{contact}</span></div></div>')


def household_link(container, household_id: str, label: str) -> None:
    """A link to 世帯詳細 for one household that keeps this session (filters, 投影モード)."""
    params = {"id": household_id}
    if st.session_state.get("projection"):
        params["mode"] = "projection"
    container.page_link(HOUSEHOLD_PAGE, label=esc(label), icon=":material/home_work:", query_params=params)


def board_column(column, stage: str, cards: list, per_page: int, header: bool = True) -> None:
    """One 段階 column: its count, the first cards, and 「さらに表示」 for the rest."""
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
    if len(cards) > limit:
        if column.button(f"さらに表示（残り{len(cards) - limit}）", key=f"more_{stage}"):
            st.session_state[key] = limit + per_page
            st.rerun()


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


# ---------------------------------------------------------------- sign-in and audit

@st.cache_resource(show_spinner=False)
def _user_store(path: str, mtime: float) -> tuple[dict, dict]:
    """The users file loaded once per version (shared by sessions so failed sign-ins add up),
    and the lock-out times per username."""
    return users.load(path), {}


def _auth_settings() -> users.AuthSettings:
    try:
        sample_open = sources.resolve(secrets=_secrets()).is_sample
    except sources.SourceError:        # the data page explains it after sign-in
        sample_open = False
    return users.auth_settings(os.environ, _secrets(), sample_open)


def _release_lockouts(credentials: dict, locks: dict) -> None:
    """Start the lock-out clock for users at the attempt limit; unlock those whose time is up."""
    now = dt.datetime.now()
    for name, entry in credentials["usernames"].items():
        if entry.get("failed_login_attempts", 0) >= users.MAX_LOGIN_ATTEMPTS:
            since = locks.setdefault(name, now)
            if (now - since).total_seconds() >= users.LOCKOUT_MINUTES * 60:
                entry["failed_login_attempts"] = 0
                locks.pop(name, None)


def _authenticator():
    """The configured authenticator and its shared credentials (or the 始められません page)."""
    import streamlit_authenticator as stauth
    try:
        settings = _auth_settings()
        path = settings.users_file
        config, locks = _user_store(str(path), path.stat().st_mtime if path.exists() else 0.0)
    except (users.AuthConfigError, users.UsersFileError) as e:
        st.title("つなぐボードを始められません")
        st.error(str(e), icon=":material/lock:")
        st.markdown("サインインの設定（README「サインインとユーザー」）を確かめてください。")
        st.stop()
    st.session_state["_demo"] = settings.demo
    authenticator = stauth.Authenticate(config["credentials"], users.COOKIE_NAME, settings.cookie_key,
                                        cookie_expiry_days=settings.session_hours / 24, auto_hash=False)
    st.session_state["_authenticator"] = authenticator
    st.session_state["_auth_bundle"] = (authenticator, settings, config, locks)
    return authenticator, settings, config, locks


def current_user() -> users.User | None:
    """Who is signed in (from this session or the re-login cookie), or None; ends sessions
    older than the session_hours setting."""
    authenticator, settings, config, _ = _authenticator()
    started = st.session_state.get("_signed_in_at")
    if st.session_state.get("authentication_status") and started and \
            (dt.datetime.now() - started).total_seconds() > settings.session_hours * 3600:
        authenticator.logout(location="unrendered")
        st.session_state.pop("_signed_in_at", None)
        st.session_state["_expired"] = True
    authenticator.login(location="unrendered")        # signs in from the cookie when there is one
    if not st.session_state.get("authentication_status"):
        return None
    username = st.session_state.get("username") or ""
    if "_signed_in_at" not in st.session_state:
        st.session_state["_signed_in_at"] = dt.datetime.now()
        audit("sign_in", user=username)
    return users.user(config, username) or users.User(username, username, None, None)


def sign_in_form() -> None:
    """The sign-in form (with lock-out after repeated failures); reruns once someone signs in.
    Call after current_user() in the same run (the authenticator's cookie component is made once)."""
    from streamlit_authenticator.utilities.exceptions import LoginError
    authenticator, settings, config, locks = st.session_state["_auth_bundle"]   # made by current_user()
    credentials = config["credentials"]
    _release_lockouts(credentials, locks)
    before = {n: e.get("failed_login_attempts", 0) for n, e in credentials["usernames"].items()}
    st.title("つなぐボード")
    if st.session_state.pop("_expired", False):
        st.info("一定の時間がたったので、サインアウトしました。もう一度サインインしてください。")
    if settings.demo:
        st.warning(DEMO_NOTICE, icon=":material/science:")
    authenticator.attrs["login_sleep_time"] = 0       # the cookie was already waited for in current_user()
    try:
        authenticator.login(location="main", max_login_attempts=users.MAX_LOGIN_ATTEMPTS, fields={
            "Form name": "サインイン", "Username": "ユーザー名", "Password": "パスワード", "Login": "サインイン"})
    except LoginError:
        st.error(f"サインインに続けて失敗したため、{users.LOCKOUT_MINUTES}分間サインインできません。"
                 "時間をおいてから、もう一度お試しください。", icon=":material/lock_clock:")
    if st.session_state.get("authentication_status") is False:
        st.error("ユーザー名かパスワードが違います。", icon=":material/error:")
        for name, entry in credentials["usernames"].items():
            if entry.get("failed_login_attempts", 0) > before.get(name, 0):
                audit("sign_in_failed", user=name)
    if not st.session_state.get("authentication_status"):
        st.caption("パスワードを忘れたときは、つなぐボードの管理者（多機関協働の担当課）に連絡してください。")
        return
    # Signed in just now: give the browser a moment to store the re-login cookie (set by a
    # component in this run), then draw the page afresh without the form.
    time.sleep(SIGN_IN_SETTLE_SECONDS)
    st.rerun()


# Seconds the browser gets to store the sign-in cookie before the page is redrawn:
SIGN_IN_SETTLE_SECONDS = 1.0
DEMO_NOTICE = ("デモモードです。見本の町（みどり町）と見本のユーザーで動いています。"
               "実際の世帯の情報は入れないでください（README「サインインとユーザー」）。")


def audit(event: str, user: str | None = None, **details) -> None:
    """Write one audit line; if the log cannot be written, say so once and carry on."""
    who = user if user is not None else st.session_state.get("username") or ""
    where = audit_log.folder(secrets=_secrets())
    if not audit_log.record(where, event, who, **details) and not st.session_state.get("_audit_warned"):
        st.session_state["_audit_warned"] = True
        st.warning(f"監査ログを書き込めませんでした（{where}）。画面はこのまま使えますが、管理者に連絡してください。",
                   icon=":material/warning:")


def audited_download(label: str, data: bytes, file_name: str, what: str, households: int, **kwargs) -> None:
    """A download button whose click is written to the audit log (what, how many households)."""
    st.download_button(label, data, file_name=file_name, on_click=audit,
                       kwargs={"event": "download", "what": what, "file": file_name, "households": households},
                       **kwargs)


def sign_out_button(user: users.User) -> None:
    """The signed-in user in the sidebar, and サインアウト."""
    with st.sidebar:
        st.caption(f"サインイン中: {user.name}（{user.role or '役割なし'}）")
        if st.button("サインアウト", icon=":material/logout:", key="sign_out", width="stretch"):
            audit("sign_out", user=user.username)
            st.session_state["_authenticator"].logout(location="unrendered")
            st.session_state.pop("_signed_in_at", None)
            time.sleep(SIGN_IN_SETTLE_SECONDS)      # let the browser drop the re-login cookie
            st.rerun()
