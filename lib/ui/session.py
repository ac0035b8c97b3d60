"""The session: the workbook snapshot with its cache, the sidebar, the scoped workbook for
each screen, saving, the audit log and sign-out. Screens never see the unscoped snapshot."""
from __future__ import annotations

import contextlib
import datetime as dt
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, TypeVar

import streamlit as st

from lib import settings
from lib.access import audit as audit_log
from lib.access import users
from lib.access.scope import Viewer, known_agency, scope_workbook
from lib.ui.runtime import secrets
from lib.ui.widgets import PHONE_CSS, PROJECTION_CSS, esc
from lib.workbook import sources
from lib.workbook.validate import Workbook

T = TypeVar("T")

# Where this run keeps the unscoped snapshot, the source it came from and the viewer (private to
# this module), and the mark a save button leaves for the run it starts (see `pressed`):
_SNAPSHOT, _SOURCE, _VIEWER, _PRESSED = "_snapshot", "_snapshot_source", "_viewer", "_save_pressed"
# Seconds the browser gets to store the sign-in cookie before the page is redrawn:
SIGN_IN_SETTLE_SECONDS = 1.0


def setting(name: str) -> str:
    """A setting from lib.settings' table (environment, then secrets, then its default)."""
    return settings.get(name, secrets=secrets())


def stale_days() -> int:
    """The stale-contact setting (board and agenda), secrets included."""
    from lib.casework.households import stale_contact_days
    return stale_contact_days(secrets())


def sees_outreach(viewer: Viewer) -> bool:
    """Whether this viewer may see the アウトリーチ records (lib.access.scope.sees_outreach)."""
    from lib.access.scope import sees_outreach as allowed
    return allowed(st.session_state[_SNAPSHOT].workbook, viewer)


def retention_years() -> int:
    """How many years after 終結・中断 a household's records are kept (setting retention_years)."""
    return max(1, settings.get_int("retention_years", secrets=secrets()))


def today() -> dt.date:
    """Today, or TSUNAGU_TODAY (YYYY-MM-DD) to show the board as of another day (demos, tests)."""
    fixed = settings.get("today")
    return dt.date.fromisoformat(fixed) if fixed else dt.date.today()


def keep_widget_state(prefixes: tuple[str, ...] = ("board_", "check_", "meeting_", "decide_", "plans_", "resources_", "admin_",
                                                   "entry_", "agencies_")) -> None:
    """Keep filter widgets' values when staff switch pages (Streamlit forgets unrendered widgets)."""
    from streamlit.errors import StreamlitAPIException
    for key in list(st.session_state.keys()):
        if isinstance(key, str) and key.startswith(prefixes) and not isinstance(st.session_state[key], dict):
            # (a table editor's edits are a dict Streamlit does not let a script set)
            try:
                st.session_state[key] = st.session_state[key]
            except StreamlitAPIException:   # buttons hold no value to keep
                pass


@dataclass
class _Entry:
    snapshot: sources.Snapshot | None = None
    error: sources.SourceError | None = None   # the last refresh failed with this
    tried_at: dt.datetime | None = None
    saves: int = 0                             # the workbook's save count (shared state) this read follows


@st.cache_resource(show_spinner=False)
def _store() -> tuple[dict[str, _Entry], threading.Lock]:
    """Process-wide store of the last good read per source (shared by all sessions)."""
    return {}, threading.Lock()


def _saves_name(config: sources.SourceConfig) -> str:
    return f"saves {config.cache_key}"


def _saves(config: sources.SourceConfig) -> int:
    """How many saves any server process of the town has made to this workbook (shared state): a
    process that sees the count move reads the workbook again at once, so that a save on one server
    reaches the people on another on their next rerun, not after the cache's TTL."""
    from lib import state
    try:
        found = shared_state().read(_saves_name(config), 0)
    except state.StateUnavailable:
        return 0
    return found if isinstance(found, int) else 0


def current_snapshot(force: bool = False, written: sources.WriteResult | None = None
                     ) -> tuple[sources.SourceConfig, sources.Snapshot, sources.SourceError | None]:
    """The workbook as last read, re-read when older than the TTL or when `force` is set (an
    Excel file nobody changed meanwhile is not converted again, nor the rows a save just wrote:
    see sources.load and its `written`).

    If a re-read fails and an earlier read exists, that earlier read is returned with the
    error (the page shows a banner); with no earlier read the error is raised.
    """
    config = sources.resolve(secrets=secrets())
    entries, lock = _store()
    saves = _saves(config)
    with lock:
        if config.cache_key not in entries and config.kind == "excel":
            sources.clean_leftovers(Path(config.location))     # a save killed before this start
        entry = entries.setdefault(config.cache_key, _Entry())
        now = dt.datetime.now()
        fresh = entry.tried_at and (now - entry.tried_at).total_seconds() < config.ttl
        if entry.snapshot is None or force or not fresh or saves != entry.saves:
            entry.tried_at, entry.saves = now, saves
            try:
                entry.snapshot, entry.error = sources.load(config, now, previous=entry.snapshot, written=written), None
                entry.tried_at = min(now, entry.snapshot.read_at)   # after a save to Sheets: the untouched tabs' read
            except sources.SourceError as e:
                entry.error = e
                if entry.snapshot is None:
                    raise
        return config, entry.snapshot, entry.error


def pressed() -> None:
    """A save button's on_click: the run it starts draws and plans from the read the person saw
    (the one the page was drawn from), not from a newer one, so the save is checked against what
    they saw — a colleague's change made after the form was drawn refuses it instead of being
    overwritten without a word. (Streamlit runs on_click before the script.)"""
    st.session_state[_PRESSED] = True


def _page_snapshot(refresh: bool) -> tuple[sources.SourceConfig, sources.Snapshot, sources.SourceError | None]:
    """The read this run draws from: the one the page was drawn from when a save button started
    the run (see `pressed`), else the current one (current_snapshot)."""
    seen = st.session_state.get(_SNAPSHOT)
    if st.session_state.pop(_PRESSED, False) and seen is not None and not refresh:
        config = sources.resolve(secrets=secrets())
        if st.session_state.get(_SOURCE) == config.cache_key:
            return config, seen, None
    return current_snapshot(force=refresh)


# Seconds between looks at a shared state that could not be reached (the page comes back by itself):
STATE_RETRY_SECONDS = 5


@contextlib.contextmanager
def when_state_down():
    """Around a whole page run: when the shared state (PostgreSQL, or the state folder on a share)
    cannot be reached, one calm Japanese page instead of a traceback — the typed values kept, one
    plain line in the console, and the page back by itself once the state answers again."""
    from lib import state
    try:
        yield
    except state.StateUnavailable as e:
        _console_state(down=str(e))
        keep_widget_state()
        st.title("いま、つなぐボードの共有の状態に接続できません")
        st.warning("つなぐボードが使う共有の置き場所（データベースまたは状態のフォルダ）に、いま接続できません。"
                   "戻りしだい、この画面は自動で元に戻ります（入力中の内容は消えません）。", icon=":material/cloud_off:")
        st.caption("管理者の方へ: PostgreSQL（TSUNAGU_STATE_URL）が動いているか、状態のフォルダ（TSUNAGU_STATE_DIR）の"
                   "共有フォルダにつながっているかを確かめてください。")
        _state_back()


@st.fragment(run_every=STATE_RETRY_SECONDS)
def _state_back() -> None:
    """While the shared state is down: look every few seconds, and run the page again once it answers."""
    from lib import state
    try:
        shared_state().read("cookie_key", None)
    except state.StateUnavailable:
        return
    _console_state(down=None)
    st.rerun(scope="app")


_state_said = {"down": False}
_state_said_lock = threading.Lock()


def _console_state(down: str | None) -> None:
    """One plain line in the console when the shared state goes away (why, on one line) and one when
    it is back — not a line for every page run of every open screen meanwhile."""
    import logging
    with _state_said_lock:
        if _state_said["down"] == (down is not None):
            return
        _state_said["down"] = down is not None
    now = dt.datetime.now()
    said = (f"共有の状態に接続できません（{' '.join(down.split())}）。戻るのを待っています。" if down is not None
            else "共有の状態に、また接続できました。")
    logging.getLogger("tsunagu").warning("つなぐボード: %s %s", f"{now.month}月{now.day}日 {now:%H:%M:%S}", said)


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


def sidebar(user: users.User, account: Callable[[users.User], None],
            repair: Callable[[], None] | None = None) -> None:
    """The shared sidebar: who is signed in with `account` (its サインアウト), source, read time,
    refresh, 投影モード; keeps the snapshot for this run (screens reach it only through
    `workbook_for_page`). Stops the page if nothing can be read — after `repair` (where the
    workbook is) for a 管理者, who need not open a terminal to put it right."""
    always_projected = user.role == users.VIEWER
    if always_projected:
        st.session_state["projection"] = True
    projection = projection_on()
    with st.sidebar:
        if st.session_state.get("_demo"):
            st.warning("デモモード（見本の町・見本のユーザー）", icon=":material/science:")
        st.toggle("投影モード", key="projection", on_change=_sync_projection_param, disabled=always_projected,
                  help="会議で壁に映すときに。名前を仮名（KTX世帯 など、いつも同じ）にし、自由記述を隠します。"
                       "URL に ?mode=projection を付けても同じです。")
        refresh = st.button("最新の情報に更新", icon=":material/refresh:", width="stretch")
    account(user)
    _sync_projection_param()
    st.html(PHONE_CSS)
    if projection:
        st.markdown(PROJECTION_CSS, unsafe_allow_html=True)
    try:
        config, snapshot, error = _page_snapshot(refresh)
    except sources.SourceError as e:
        _error_page(e)
        if repair is not None and user.role == users.ADMIN:
            repair()
        st.stop()
    with st.sidebar:
        st.caption(f"データ: {esc(snapshot.label)}")
        st.caption(f"データ取得: {snapshot.read_at:%H:%M}")
    if error is not None:
        age = int((dt.datetime.now() - snapshot.read_at).total_seconds() // 60)
        st.warning(f"最新の情報を読めませんでした（{esc(error)}）。{snapshot.read_at:%m月%d日 %H:%M} に取得したデータ"
                   f"（{age}分前）を表示しています。{error.advice}", icon=":material/cloud_off:")
    viewer = Viewer(projection=projection, user=user, pseudonym_key=settings.get("cookie_key", secrets=secrets()))
    if user.role is None or (user.role == users.STAFF and not known_agency(snapshot.workbook, user.agency)):
        st.error("このユーザーには役割または所属機関が設定されていないため、世帯を表示できません。"
                 "つなぐボードの管理者（多機関協働の担当課）に、役割と所属機関の登録を頼んでください。",
                 icon=":material/person_off:")
    st.session_state[_SNAPSHOT], st.session_state[_SOURCE], st.session_state[_VIEWER] = snapshot, config.cache_key, viewer


def _error_page(error: sources.SourceError) -> None:
    st.title("データを読めませんでした")
    st.error(esc(error), icon=":material/error:")
    st.markdown(f"**確かめること:** {error.advice}")
    st.markdown(
        "- Google スプレッドシートの場合: URL（またはキー）が正しいか、スプレッドシートの「共有」に"
        "サービスアカウントのメールアドレスが入っているか、`.streamlit/secrets.toml` の "
        "`[gcp_service_account]` が鍵ファイルの中身どおりか\n"
        "- Excel ファイルの場合: ファイルの場所（管理者が下の欄か「管理」の設定で直せます）と、共有フォルダにつながっているか\n"
        "- 直したら「最新の情報に更新」を押してください。わからないときは「設定・ヘルプ」をご覧ください。")


def workbook_for_page(meeting_context: str | None = None, projection: bool | None = None) -> tuple[Workbook, Viewer]:
    """What every page starts with: the scoped workbook for this viewer (sidebar already drawn).

    `meeting_context` says which meeting the screen serves (a 支援会議 may show its own
    no-consent households when projected); `projection` forces the projected view (presenter).
    """
    snapshot, viewer = st.session_state[_SNAPSHOT], st.session_state[_VIEWER]
    viewer = replace(viewer, meeting_context=meeting_context,
                     projection=viewer.projection if projection is None else projection)
    return snapshot.derived.get(("scope", viewer), lambda: scope_workbook(snapshot.workbook, viewer)), viewer


# What a new town types first, for the tabs the screens need (said instead of empty tables):
FIRST_STEPS = {
    "機関": "まず「機関」タブに、町の機関（地域包括支援センター・社会福祉協議会・相談窓口など）を入れてください。"
           "主担当機関・会議の参加機関・つなぎの依頼先は、ここから選びます。",
    "世帯": "まず「世帯」タブに、支援している世帯を入れてください（1世帯1行。「相談受付」の画面からも登録できます）。",
    "支援プラン": "まず「支援プラン」タブに、世帯ごとの目標と取組を入れてください（世帯詳細の「支援プランを編集」からも入れられます）。",
    "社会資源": "まず「社会資源」タブに、町の社会資源（サロン・居場所・相談窓口など）を入れてください。"
               "地図に出すには緯度・経度も入れます（「地区」タブの緯度・経度でも位置がわかります）。",
    "地区": "まず「地区」タブに、町の地区（地区名。地図に出すなら緯度・経度、人口も）を入れてください。"
           "世帯・社会資源・アウトリーチの地区は、ここから選びます。",
}


def first_steps(*tabs: str, stop: bool = True) -> bool:
    """On a new town's screen: 「まず…を入れてください」 for the first of `tabs` that has no row in the
    whole workbook (a staff member who sees no household is not told to type any); with `stop`
    nothing else is drawn. True when something was said."""
    town = st.session_state[_SNAPSHOT].workbook
    empty = next((t for t in tabs if town[t].empty), None)
    if empty is None:
        return False
    viewer = st.session_state.get(_VIEWER)
    if viewer is not None and viewer.user.role in (users.ADMIN, users.COORDINATOR):
        st.info(FIRST_STEPS[empty] + "　町の一覧があれば「取り込み」の画面から入れられます。くわしくは「設定・ヘルプ」のシートの説明をご覧ください。",
                icon=":material/edit_note:")
    else:                                  # only the 事務局 edits the sheet (README): staff ask it
        st.info(f"まだ「{empty}」タブに何も入っていません。シートに入れるのは事務局（多機関協働の担当課）です。"
                "事務局に入れてもらうよう頼んでください。", icon=":material/edit_note:")
    if stop:
        st.stop()
    return True


def shared(fn: Callable[..., T], workbook: Workbook, *args, **kwargs) -> T:
    """fn(workbook, *args, **kwargs) computed once per read of the workbook and shared by every
    session asking for it with the same (scoped) workbook and arguments (arguments hashable).
    Everything the result depends on must be an argument — pass settings (stale_days,
    referral_days …) explicitly, never let fn read them. The result is shared: read it, never change it."""
    if fn.__name__ == "<lambda>":
        raise TypeError("shared() needs a named function: lambdas of one module share a name")
    snapshot = st.session_state[_SNAPSHOT]
    key = (fn.__module__, fn.__qualname__, id(workbook), args, tuple(sorted(kwargs.items())))
    owner, value = snapshot.derived.get(key, lambda: (workbook, fn(workbook, *args, **kwargs)))
    if owner is not workbook:          # an id reused by a newer object: compute, do not share
        return fn(workbook, *args, **kwargs)
    return value


def save(plan, token: str | None = None) -> tuple[sources.WriteResult | None, list]:
    """Carry out a write plan on the open workbook, then re-read it so every page shows the result.

    Returns (what was written, conflicts); raises SourceError for other refusals. With `token`
    (one per filled-in form), a second press of the same form — a double click, or a rerun that
    arrives while the first save runs — writes nothing and returns (None, []).

    A press that arrives while a save runs starts a second run of the session at once, beside the
    first (Streamlit's fast reruns), and stops the first at its next Streamlit call. So from the
    write to the re-read nothing here touches Streamlit: the token is marked, the save counted and
    audited and the shared read refreshed whether or not this run is stopped afterwards; and the
    two runs take one lock by token, so the second waits for the first and finds the token saved.
    """
    done = st.session_state.setdefault("_saved_tokens", set())
    st.session_state.pop(_PRESSED, None)     # (a dialog's press reruns only the dialog: the mark is spent here)
    snapshot, who = st.session_state[_SNAPSHOT], st.session_state.get("username") or ""
    config = sources.resolve(secrets=secrets())
    shared = shared_state()
    with _ONCE_LOCKS[hash(token) % len(_ONCE_LOCKS)] if token is not None else contextlib.nullcontext():
        if token is not None and token in done:
            return None, []
        try:
            result = sources.write(config, snapshot, plan, shared)
        except sources.WriteConflict as e:
            audit("write_refused", conflicts=[[c.tab, c.key, c.column, c.read, c.now] for c in e.conflicts])
            refresh()               # the next run shows the sheet as it is now (the typed values stay)
            return None, e.conflicts
        if token is not None:
            done.add(token)
        _count_save(config)
        logged = _record("write", who, cells=[[c.tab, c.key, c.column, c.old, c.new] for c in plan.changes],
                         appended=[[r.tab, r.values.get("世帯ID") or r.values.get("会議ID")] for r in plan.appends],
                         rows=[list(r) for r in result.rows], created=result.created)
        _, fresh, _ = current_snapshot(force=True, written=result)
    if not logged:
        _audit_failed()
    st.session_state[_SNAPSHOT] = fresh
    return result, []


def changed_by(conflicts) -> str | None:
    """Who saved the cells a refused save found changed, and when (「tanaka さんが 12月6日 14:03 に保存」),
    from this month's audit log; None when no save of the app wrote them (a hand edit in the sheet)."""
    def text(value):
        return "" if value in (None, "", ()) else "、".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)
    wanted = {(c.tab, str(c.key), c.column, text(c.now)) for c in conflicts}
    now = dt.datetime.now()
    lines = audit_log.lines(audit_log.folder(secrets=secrets()), now.date())
    for line in reversed(lines):
        for cell in line.get("cells") or () if line.get("event") == "write" else ():
            if len(cell) == 5 and (cell[0], str(cell[1]), cell[2], text(cell[4])) in wanted:
                when = dt.datetime.fromisoformat(line["time"]) if line.get("time") else None
                return f"{line.get('user') or '（不明）'} さんが" + (f" {when.month}月{when.day}日 {when:%H:%M} に" if when else "") + "保存"
    return None


# Locks a save takes by its token (see save): a few, shared by all tokens.
_ONCE_LOCKS = tuple(threading.Lock() for _ in range(32))


def _count_save(config: sources.SourceConfig) -> None:
    from lib import state
    try:
        shared_state().update(_saves_name(config), lambda n: (n if isinstance(n, int) else 0) + 1, 0)
    except state.StateUnavailable:
        pass                        # the other servers see the save after their cache's TTL


def missing_sheet_parts() -> tuple[list[str], dict[str, list[str]]] | None:
    """For a connected Google spreadsheet: the contract's tabs and headings it lacks (None for Excel,
    where a save adds what it needs)."""
    from lib.workbook import new
    if sources.resolve(secrets=secrets()).kind != "sheets":
        return None
    return new.missing_parts(st.session_state[_SNAPSHOT].workbook)


def complete_sheet() -> str | None:
    """Add the missing tabs and headings to the Google spreadsheet (one batchUpdate), audit it and
    read it again. Returns what was done, or None after saying on screen why nothing was done."""
    from lib.workbook import new
    try:
        tabs, headings = new.complete_sheets(sources.resolve(secrets=secrets()), st.session_state[_SNAPSHOT].workbook)
    except sources.SourceError as e:
        st.error(f"{esc(e)} {esc(e.advice)}", icon=":material/block:")
        return None
    audit("sheet_completed", tabs=tabs, headings=headings)
    refresh()
    return f"作りました。タブ {len(tabs)}件・見出し {sum(map(len, headings.values()))}件。"


def refresh() -> None:
    """Read the workbook again now (another person's change, a new 世帯ID taken meanwhile)."""
    _, fresh, _ = current_snapshot(force=True)
    st.session_state[_SNAPSHOT] = fresh


def ids_in(tab: str, column: str) -> set[str]:
    """Every value of a tab's ID column in the whole workbook, whoever may see its rows (a new ID
    must not reuse one): IDs only."""
    return set(st.session_state[_SNAPSHOT].workbook[tab][column])


def household_ids() -> set[str]:
    """Every 世帯ID in the workbook (see ids_in)."""
    return ids_in("世帯", "世帯ID")


def referral_ids() -> set[str]:
    """Every つなぎID in the workbook (see ids_in)."""
    return ids_in("つなぎ", "つなぎID")


def referral_days() -> int:
    """Days a つなぎ request may wait before it is flagged (setting referral_days)."""
    from lib.casework.households import referral_days as days
    return days(secrets())


def referral_inbox(viewer: Viewer):
    """The requests waiting for the viewer's 機関: only name, 依頼内容 and age of each (lib.access.scope.inbox)."""
    from lib.access.scope import inbox
    return inbox(st.session_state[_SNAPSHOT].workbook, viewer, today(), referral_days())


def referral_answer(referral_id: str, action: str, comment: str):
    """The write plan of an answer to a request, planned on the whole workbook (the recipient may not
    see the household before it accepts); lib.casework.referrals.respond checks who may answer."""
    from lib.casework import referrals
    viewer = current_viewer()
    return referrals.respond(st.session_state[_SNAPSHOT].workbook, referral_id, action=action,
                             agency=viewer.user.agency, by=viewer.user.name, comment=comment, today=today())


def current_viewer() -> Viewer:
    """Who is looking (as the sidebar set it for this run)."""
    return st.session_state[_VIEWER]


def write_workbook() -> Workbook:
    """The workbook a write plan is built on: this user's scope, never pseudonymised (row numbers
    and values as in the sheet)."""
    snapshot, viewer = st.session_state[_SNAPSHOT], st.session_state[_VIEWER]
    return scope_workbook(snapshot.workbook, replace(viewer, projection=False, meeting_context=None))


def backups() -> Path | None:
    """The folder of the app's backups of the open Excel workbook (None for Google Sheets)."""
    config = sources.resolve(secrets=secrets())
    return sources.backup_path(Path(config.location), config.backup_dir) if config.kind == "excel" else None


def state_folder() -> Path:
    """Where the app keeps its own state (lock-outs, disposal records)."""
    from lib import state
    return state.folder(secrets=secrets())


def shared_state():
    """The state every server process of the town shares (running meetings, sign-outs, the throttle):
    the state folder, or PostgreSQL when TSUNAGU_STATE_URL is set (lib.state)."""
    from lib import state
    return state.store(state_folder(), secrets=secrets())


def household_exists(household_id: str) -> bool:
    """Whether a 世帯ID exists at all (to audit a refused look-up); says nothing else about it."""
    from lib.casework.household import find
    return find(st.session_state[_SNAPSHOT].workbook, household_id) is not None


def sheets_read_whole_each_time() -> bool:
    """Whether every refresh of the Google spreadsheet reads all of it, because the account may not
    ask the Drive API when it last changed (not enabled)."""
    snapshot = st.session_state.get(_SNAPSHOT)
    return snapshot is not None and snapshot.modified == sources.DRIVE_REFUSED


def source_info() -> tuple[str, dt.datetime]:
    """What is open (its label) and when it was read."""
    snapshot = st.session_state[_SNAPSHOT]
    return snapshot.label, snapshot.read_at


def requested_path() -> str:
    """The last part of the URL path the browser asked for ("" for the app's root)."""
    from urllib.parse import urlsplit
    url = st.context.url or ""
    return urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]


def audit(event: str, user: str | None = None, **details) -> None:
    """Write one audit line; if the log cannot be written, say so once and carry on."""
    who = user if user is not None else st.session_state.get("username") or ""
    if not _record(event, who, **details):
        _audit_failed()


def _record(event: str, who: str, **details) -> bool:
    """The audit line itself (no Streamlit call): whether it was written."""
    return audit_log.record(audit_log.folder(secrets=secrets()), event, who, **details)


def _audit_failed() -> None:
    if not st.session_state.get("_audit_warned"):
        st.session_state["_audit_warned"] = True
        st.warning(f"監査ログを書き込めませんでした（{audit_log.folder(secrets=secrets())}）。"
                   "画面はこのまま使えますが、管理者に連絡してください。", icon=":material/warning:")


def audit_once(event: str, **details) -> None:
    """Audit a view once per session (who looked at which screen), not on every rerun."""
    seen = st.session_state.setdefault("_audited_views", set())
    if event not in seen:
        seen.add(event)
        audit(event, **details)
