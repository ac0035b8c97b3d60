"""The viewer scope: which households this person may see, and whether the screen is projected.

Every page, export and write-back takes its households through `scope_workbook` — the one
function that decides. Roles (lib.access.users.ROLES):
- 管理者, 多機関協働: every household and meeting.
- 機関職員: households whose 主担当機関 is their 機関, or whose plan names their 機関 in 役割分担,
  or that were discussed at a meeting their 機関 attended (出席者, or 参加機関 where attendance was
  not recorded), or that their 機関 accepted
  from a つなぎ request (a request still 依頼中 shows only in its inbox: `inbox`); 支援会議-track (no consent)
  households only when their 機関 is a 支援会議構成員 (社会福祉法第106条の6, 第159条).
- 閲覧: everything, but always projected.
- no role or an unknown 機関: nothing.
Projected (投影モード), no personal data leaves this function: 表示名 become stable pseudonyms
(KTX世帯 …, see lib.access.pseudonyms), free text and town-added columns are emptied, ages become age bands, and
支援会議-track households are left out unless the screen is explicitly in a 支援会議 context.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import pandas as pd

from lib.workbook import schema
from lib.casework.agencies import directory, is_member, key as agency_key, names_agency, same
from lib.access.pseudonyms import pseudonyms
from lib.meetings.writeback import HOUSEHOLD_LINE, attended_agencies
from lib.workbook.cells import nfkc
from lib.casework.households import track
from lib.access.users import ADMIN, COORDINATOR, STAFF, VIEWER, User
from lib.workbook.validate import ROW, Workbook

SHIEN_KAIGI = schema.SHIEN_KAIGI
# Where sign-in is off (demo pages of tests, the CLI), the viewer acts as this:
EVERYONE = User("", "", COORDINATOR, None)


@dataclass(frozen=True)
class Viewer:
    """Who is looking and how: projected on a wall, or at a desk; in which meeting context."""

    projection: bool = False
    meeting_context: str | None = None   # "支援会議" lets no-consent households through when projected
    user: User = EVERYONE
    pseudonym_key: str = field(default="", repr=False)   # keys the projected names (from the cookie key)
    wall: str | None = None              # the 世帯ID a meeting's wall shows now (lib.meetings.live)

    @property
    def sees_everything(self) -> bool:
        return self.user.role in (ADMIN, COORDINATOR, VIEWER)


def age_band(age) -> str | None:
    """82 → 80代, 7 → 10歳未満; blank stays blank."""
    if age is None or pd.isna(age):
        return None
    age = int(age)
    return "10歳未満" if age < 10 else f"{age // 10 * 10}代"


def known_agency(workbook: Workbook, agency: str | None) -> bool:
    """Whether an agency is one the workbook knows (機関 tab, or some household's 主担当機関)."""
    hh = workbook[schema.HOUSEHOLDS]
    known = set(workbook[schema.AGENCIES]["機関名"].map(agency_key)) | {agency_key(a) for a in hh["主担当機関"] if isinstance(a, str)}
    return bool(agency_key(agency)) and agency_key(agency) in known


def visible_households(workbook: Workbook, user: User) -> set[str]:
    """世帯ID this user may see (see the module docstring for the rules)."""
    hh = workbook[schema.HOUSEHOLDS]
    if user.role in (ADMIN, COORDINATOR, VIEWER):
        return set(hh["世帯ID"])
    if user.role != STAFF or not known_agency(workbook, user.agency):
        return set()
    agency = agency_key(user.agency)
    member = is_member(workbook, agency)
    plans = workbook[schema.PLANS]
    known = list(workbook[schema.AGENCIES]["機関名"])
    in_plans = {h for h, roles in zip(plans["世帯ID"], plans["役割分担"]) if names_agency(roles, agency, known)}
    meetings = workbook[schema.MEETINGS]
    attended = {h for row in meetings[["対象世帯", "参加機関", "出席者"]].to_dict("records")
                if agency in {agency_key(a) for a in attended_agencies(row)} for h in row["対象世帯"]}
    referrals = workbook[schema.REFERRALS]
    accepted = set(referrals.loc[(referrals["依頼先機関"].map(agency_key) == agency) & (referrals["状態"] == "受理"), "世帯ID"])
    out = set()
    for hid, lead, consent in zip(hh["世帯ID"], hh["主担当機関"], hh["同意"]):
        related = ((isinstance(lead, str) and agency_key(lead) == agency) or hid in in_plans or hid in attended
                   or hid in accepted)
        if related and (track(consent) != SHIEN_KAIGI or member):
            out.add(hid)
    return out


# 会議 columns with one 「H-001: …」 line per household (lib.meetings.writeback):
PER_HOUSEHOLD = ("決定事項", "議事録", "変更プラン")


def _own_decisions(text, keep: set[str]):
    """Lines of 決定事項 that start with a visible 世帯ID (the app writes 「H-001: …」 lines)."""
    if not isinstance(text, str):
        return text
    lines = [line for line in text.splitlines()
             if (m := HOUSEHOLD_LINE.match(line)) and nfkc(m.group(1)) in keep]
    return "\n".join(lines) or None


def _restrict(workbook: Workbook, keep: set[str], member: bool) -> Workbook:
    """The workbook cut down to the households in `keep` (rows, meetings, problems)."""
    tables = {}
    for tab in schema.TABS:
        frame = workbook[tab.name]
        if "世帯ID" in frame.columns:
            frame = frame[frame["世帯ID"].isin(keep)]
        if tab.name == schema.MEETINGS:
            if not member:
                frame = frame[frame["種別"] != SHIEN_KAIGI]
            frame = frame.assign(対象世帯=[[h for h in ids if h in keep] for ids in frame["対象世帯"]],
                                 **{c: [_own_decisions(t, keep) for t in frame[c]] for c in PER_HOUSEHOLD})
        tables[tab.name] = frame.reset_index(drop=True)
    problems = [p for p in workbook.problems if visible_problem(p, keep)]
    return workbook.showing(tables, problems)


# Tabs whose rows are about households or their meetings (a problem in such a row is shown only
# to someone who may see that household):
PERSONAL_TABS = frozenset({*(t.name for t in schema.TABS if "世帯ID" in t.column_names), schema.MEETINGS, schema.OUTREACH})


def visible_problem(problem, keep: set[str]) -> bool:
    """A データ点検 problem this viewer may see: its household is visible, or it is about the tab's
    header or a non-personal tab (社会資源, 機関 …). A personal row whose household cannot be told
    (a bad 世帯ID, a 会議 row) stays with the 事務局."""
    if problem.household is not None:
        return problem.household in keep
    return problem.row is None or problem.row <= 1 or problem.tab not in PERSONAL_TABS


def town_pseudonyms(workbook: Workbook, key: str) -> dict[str, str]:
    """世帯ID → pseudonym for every household of the town (both tracks), so that one pseudonym
    never stands for two households on any two screens. `workbook` must be the whole town."""
    return pseudonyms(workbook[schema.HOUSEHOLDS], key)


def scope_workbook(workbook: Workbook, viewer: Viewer) -> Workbook:
    """The part of the workbook this viewer may see, pseudonymised when projected."""
    if viewer.user.role == VIEWER:        # the wall account: never a 支援会議 member, always projected;
        # a running meeting's wall (`wall`) shows its item in the meeting's context:
        viewer = replace(viewer, projection=True, meeting_context=viewer.meeting_context if viewer.wall else None)
    if viewer.wall is not None:
        return _only(_scoped(workbook, replace(viewer, projection=True)), viewer.wall)
    return _scoped(workbook, viewer)


def _scoped(workbook: Workbook, viewer: Viewer) -> Workbook:
    town = workbook
    if not sees_outreach(town, viewer):
        workbook = workbook.showing({**workbook.tables, schema.OUTREACH: workbook[schema.OUTREACH].iloc[0:0]},
                                    [p for p in workbook.problems if p.tab != schema.OUTREACH])
    if not viewer.sees_everything:
        workbook = _restrict(workbook, visible_households(workbook, viewer.user),
                             is_member(workbook, viewer.user.agency))
    if not viewer.projection:
        return workbook
    hh = workbook[schema.HOUSEHOLDS]
    if viewer.meeting_context != SHIEN_KAIGI:
        hh = hh[hh["同意"].map(track) != SHIEN_KAIGI]
    keep = set(hh["世帯ID"])
    names = town_pseudonyms(town, viewer.pseudonym_key)        # settled over the whole town, both tracks
    tables = {}
    for tab in schema.TABS:
        frame = workbook[tab.name]
        frame = frame[[ROW, *tab.column_names]]               # town-added columns may hold anything
        if tab.name == schema.HOUSEHOLDS:
            frame = hh[[ROW, *tab.column_names]].assign(表示名=hh["世帯ID"].map(names))
        elif "世帯ID" in frame.columns:
            frame = frame[frame["世帯ID"].isin(keep)]
        if tab.name == schema.MEETINGS:
            frame = frame.assign(対象世帯=[[h for h in ids if h in keep] for ids in frame["対象世帯"]])
        if tab.name == schema.MEMBERS:
            frame = frame.assign(年代=frame["年齢"].map(age_band), 年齢=pd.array([pd.NA] * len(frame), dtype="Int64"))
        free = schema.free_text_columns(tab.name)
        if free:
            frame = frame.assign(**{c: [None] * len(frame) for c in free})
        tables[tab.name] = frame.reset_index(drop=True)
    problems = [replace(p, value="") for p in workbook.problems if visible_problem(p, keep)]
    return workbook.showing(tables, problems)


def _only(workbook: Workbook, household_id: str) -> Workbook:
    """A projected workbook cut down to the one household a wall shows (if this viewer may see it)."""
    keep = {household_id} & set(workbook[schema.HOUSEHOLDS]["世帯ID"])
    cut = _restrict(workbook, keep, member=True)
    return replace(cut, tables={**cut.tables, schema.MEETINGS: cut[schema.MEETINGS].iloc[0:0]})


def wall_viewer(viewer: Viewer, kind: str, household_id: str) -> Viewer:
    """How a meeting's wall looks at its current item: projected, in the meeting's context, that
    household only. The 閲覧 account gets a 支援会議 item this way only while an operator runs the
    meeting (lib.meetings.live); staff see it only within their own scope (構成員 for 支援会議)."""
    return replace(viewer, projection=True, meeting_context=kind, wall=household_id)


def allowed_entries(workbook: Workbook, user: User, household_id: str | None = None) -> frozenset[str]:
    """What this person may record in the app (lib.casework.entry.ENTRIES), for one household or,
    without one, at all. 閲覧 and people without a role or 機関 record nothing. 管理者 and
    多機関協働 record everything. 機関職員 take 相談受付, add 経過記録 to the households in their
    scope (and 参加支援 when their 機関's 事業 is 参加支援), and move 段階, record 同意, the
    アセスメント and 参加支援 and edit the plan of the households their 機関 leads."""
    from lib.casework.entry import CONTACT, ENTRIES, INTAKE, PARTICIPATION
    if user.role in (ADMIN, COORDINATOR):
        in_scope = household_id is None or household_id in set(workbook[schema.HOUSEHOLDS]["世帯ID"])
        return frozenset(ENTRIES if in_scope else {INTAKE})
    if user.role != STAFF or not known_agency(workbook, user.agency):
        return frozenset()
    partner = {PARTICIPATION} if runs(workbook, user.agency, "参加支援") else set()
    if household_id is None:
        return frozenset({INTAKE, CONTACT, *partner})
    if household_id not in visible_households(workbook, user):
        return frozenset({INTAKE})
    hh = workbook[schema.HOUSEHOLDS]
    lead = hh.loc[hh["世帯ID"] == household_id, "主担当機関"].iloc[0]
    if isinstance(lead, str) and same(lead, user.agency):
        return frozenset(ENTRIES)
    return frozenset({INTAKE, CONTACT, *partner})


def runs(workbook: Workbook, agency: str | None, programme: str) -> bool:
    """Whether the agency's 事業 (機関 tab) include `programme` (参加支援, アウトリーチ等継続的支援 …)."""
    row = directory(workbook).row(agency)
    programmes = (row or {}).get("事業")
    return isinstance(programmes, list) and programme in programmes


def sees_outreach(workbook: Workbook, viewer: Viewer) -> bool:
    """The アウトリーチ records (people not yet in 受付): 管理者・多機関協働 and the agencies doing
    outreach, never projected."""
    if viewer.projection or viewer.user.role == VIEWER:
        return False
    if viewer.sees_everything:
        return True
    return viewer.user.role == STAFF and runs(workbook, viewer.user.agency, "アウトリーチ等継続的支援")


def inbox(workbook: Workbook, viewer: Viewer, today, overdue_days: int):
    """The 依頼中 requests to the viewer's 機関, oldest first, with their age: before accepting, the
    recipient sees only the household's name and the 依頼内容, whatever its scope. Projected: no
    支援会議 case, pseudonyms, no 依頼内容. `workbook` is the whole workbook; nothing else leaves here."""
    from lib.casework import referrals
    columns = referrals.INBOX_COLUMNS
    agency = agency_key(viewer.user.agency or "")
    if viewer.user.role not in (ADMIN, COORDINATOR, STAFF) or not agency:
        return pd.DataFrame(columns=columns)
    waiting = referrals.pending(workbook, today)
    waiting = waiting[waiting["依頼先機関"].map(agency_key) == agency]
    hh = workbook[schema.HOUSEHOLDS]
    names = dict(zip(hh["世帯ID"], hh["表示名"]))
    if viewer.projection:                 # on the wall: no 支援会議 case, pseudonyms, no 依頼内容
        secret = set(hh.loc[hh["同意"].map(track) == SHIEN_KAIGI, "世帯ID"])
        waiting = waiting[~waiting["世帯ID"].isin(secret)]
        names = town_pseudonyms(workbook, viewer.pseudonym_key)
    frame = waiting.assign(表示名=waiting["世帯ID"].map(names), 期限超過=waiting["経過日数"] > overdue_days)
    if viewer.projection:
        frame = frame.assign(依頼内容=None)
    return frame[columns].reset_index(drop=True)
