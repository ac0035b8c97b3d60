"""Meeting agendas: which households must come up, why, in what order and at what time.

Rules from the seeds: 重層的支援会議 takes consent-あり households and must meet at the four
moments of 美咲町 §6-2-(4) (プラン策定後の評価, 再プラン, 終結の判断, 中断の決定) plus reviews due;
支援会議 (社会福祉法第106条の6) takes no-consent households for information sharing and 見守り only.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from lib.casework.agencies import directory as agency_directory, key as agency_key, members as agency_members, named as agencies_named
from lib.casework.plans import DONE_STATUSES, is_overdue
from lib.workbook import schema
from lib.casework.board import last_contacts
from lib.workbook.cells import as_date, nfkc
from lib.casework.households import CLOSED_STAGES, stale_contact_days, track

# Minutes each household gets on the agenda unless staff change it:
DEFAULT_MINUTES = 15
DEFAULT_START = dt.time(13, 30)
# Days the town hall is closed besides weekends and national holidays (month, day):
TOWN_CLOSURES = ((12, 29), (12, 30), (12, 31), (1, 1), (1, 2), (1, 3))
SHIEN, JUSOU = schema.SHIEN_KAIGI, schema.JUSOU_KAIGI
# Meeting types that discuss households one by one:
CASE_MEETINGS = (JUSOU, SHIEN)


@dataclass(frozen=True)
class Reason:
    """Why a household is proposed: its name on the agenda, sort priority, and the words shown."""

    name: str
    priority: int
    words: str


REASONS = {r.name: r for r in (
    Reason("緊急", 0, "緊急度が「高」です"),
    Reason("中断検討", 1, "本人・世帯と接触できない日が、設定の日数（ケースボードの「接触なし」と同じ）を超えています（支援中断の判断）"),
    Reason("終結検討", 2, "プランの取組がすべて達成または中止です（支援終結の判断）"),
    Reason("見直し期限", 3, "次回見直し日が会議の日までに来ます（モニタリング・再プラン）"),
    Reason("プラン評価", 4, "プランができてから、まだ重層的支援会議で評価していません"),
    Reason("新規", 5, "前回の重層的支援会議の後に受け付けた世帯です"),
    Reason("新規情報", 5, "前回の支援会議の後に新しい経過記録があります"),
    Reason("見守り状況", 6, "見守り中の世帯です（状況の共有）"),
    Reason("追加", 7, "担当者が議題に加えました"),
)}
SECRECY_NOTICE = ("この会議は社会福祉法第106条の6に基づく支援会議です。構成員には守秘義務があり、"
                  "会議で知り得た秘密を漏らした者は、同法第159条により1年以下の懲役又は100万円以下の罰金に処せられます。"
                  "本人の同意のない情報を扱うため、資料の持ち出し・複製はしないでください。")


@dataclass(frozen=True)
class Proposal:
    """One household proposed for the agenda, with every reason that applies."""

    household_id: str
    reasons: tuple[str, ...]

    @property
    def priority(self) -> int:
        return min(REASONS[r].priority for r in self.reasons)

    @property
    def words(self) -> str:
        return "／".join(REASONS[r].words for r in self.reasons)


@dataclass
class Agenda:
    """A meeting being prepared or recorded: its settings and the ordered households.

    `ends` is the 会議 row's 終了 of a recorded meeting: the meeting ends then, and its households
    share the time from `start` to `ends` (the last one ends at `ends`). Without it, each household
    takes `minutes` one after another."""

    kind: str
    date: dt.date
    start: dt.time = DEFAULT_START
    minutes: int = DEFAULT_MINUTES
    place: str = ""
    chair: str = ""
    items: list[Proposal] = field(default_factory=list)
    meeting_id: str = ""
    ends: dt.time | None = None

    def _begin(self) -> dt.datetime:
        return dt.datetime.combine(self.date, self.start)

    def end_at(self) -> dt.datetime | None:
        """When the meeting ends (None: not known — no households and no 終了); after midnight
        it is on the next day, never a wrapped time."""
        if self.ends is not None:
            end = dt.datetime.combine(self.date, self.ends)
            return end if end >= self._begin() else end + dt.timedelta(days=1)
        if not self.items:
            return None
        return self._begin() + dt.timedelta(minutes=self.minutes * len(self.items))

    @property
    def end(self) -> dt.time | None:
        end = self.end_at()
        return None if end is None else end.time()

    @property
    def past_midnight(self) -> bool:
        end = self.end_at()
        return end is not None and end.date() > self.date

    def schedule(self) -> list[tuple[Proposal, dt.datetime, dt.datetime]]:
        """Each item with its start and end: one after another from `start`, `minutes` each, or
        sharing the recorded meeting's span so that the last one ends with the meeting."""
        begin, end, n = self._begin(), self.end_at(), len(self.items)
        if self.ends is not None and n:
            span = (end - begin).total_seconds() // 60
            bounds = [begin + dt.timedelta(minutes=span * i // n) for i in range(n)] + [end]
        else:
            bounds = [begin + dt.timedelta(minutes=self.minutes * i) for i in range(n + 1)]
        return [(item, bounds[i], bounds[i + 1]) for i, item in enumerate(self.items)]

    def when(self) -> str:
        """「13:30〜14:50」 for the whole meeting (「14:00〜」 when its end is not known)."""
        end = self.end_at()
        return f"{self.start:%H:%M}〜" if end is None else clock_range(self._begin(), end, self.date)


# Said of a time on the day after the meeting's date (never a wrapped 00:50):
NEXT_DAY = "翌"
PAST_MIDNIGHT_NOTICE = "会議の終わりが日付をまたぎます（翌日の時刻は「翌」を付けて書いています）。開始か長さを見直してください。"


def clock(moment: dt.datetime, day: dt.date) -> str:
    """HH:MM of a moment of a meeting held on `day`, 「翌」 in front when it falls on the next day."""
    return f"{NEXT_DAY if moment.date() > day else ''}{moment:%H:%M}"


def clock_range(begin: dt.datetime, end: dt.datetime, day: dt.date) -> str:
    """「13:30〜13:45」, or 「23:50〜翌0:05」 across midnight: the one way every paper and screen writes a span."""
    return f"{clock(begin, day)}〜{clock(end, day)}"


def fit(items: list[Proposal], length: int | None, minutes: int) -> tuple[list[Proposal], list[Proposal]]:
    """The items a meeting of `length` minutes has time for (in the agenda's order), and the ones
    that go to the next meeting (次回へ), most pressing first by the mandatory-moment rules."""
    if not length or minutes <= 0:
        return list(items), []
    room = max(length // minutes, 0)
    return list(items[:room]), sorted(items[room:], key=lambda p: p.priority)


# How often each meeting is held (setting meeting_cadence), as months between meetings; 随時 = as needed:
CADENCE_MONTHS = {"毎月": 1, "隔月": 2, "四半期": 3, "半年": 6, "毎年": 12, "随時": 0}


def _cadence_parts(text: str | None):
    """The 「種別=間隔」 parts of a cadence setting: (the part as written, 種別, 間隔)."""
    for part in nfkc(text or "").replace(",", "、").split("、"):
        if part.strip():
            kind, _, every = part.partition("=")
            yield part.strip(), kind.strip(), every.strip()


def cadence(text: str | None) -> dict[str, int]:
    """種別 → months between meetings, from a setting like 「重層的支援会議=毎月、支援会議=随時」
    (unknown words are skipped; a kind not named is held as needed)."""
    return {kind: CADENCE_MONTHS[every] for _, kind, every in _cadence_parts(text)
            if kind in schema.MEETING_TYPES and every in CADENCE_MONTHS}


def unread_cadence(text: str | None) -> list[str]:
    """The parts of a cadence setting `cadence` skips (what the settings screen refuses to save)."""
    return [part for part, kind, every in _cadence_parts(text)
            if kind not in schema.MEETING_TYPES or every not in CADENCE_MONTHS]


def _add_months(day: dt.date, months: int) -> dt.date:
    import calendar
    year, month = divmod(day.month - 1 + months, 12)
    year, month = day.year + year, month + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def suggest_date(meetings: pd.DataFrame, kind: str, today: dt.date, every: dict[str, int]) -> tuple[dt.date, str]:
    """The next date for a meeting of `kind` and why: the last one held plus the cadence, moved to
    a business day; the next business day when the meeting is held as needed or is already due."""
    months = every.get(kind, 0)
    last = previous_meeting(meetings, kind, today + dt.timedelta(days=1))
    if not months:
        return next_business_day(today), "随時開催のため、次の開庁日"
    if last is None:
        return next_business_day(today), "まだ開催の記録がないため、次の開庁日"
    due = _add_months(last, months)
    label = next(k for k, v in CADENCE_MONTHS.items() if v == months)
    if due <= today:
        return next_business_day(today), f"前回（{last:%Y/%m/%d}）から{label}の予定を過ぎているため、次の開庁日"
    while not is_business_day(due):
        due += dt.timedelta(days=1)
    return due, f"前回（{last:%Y/%m/%d}）から{label}"


def is_business_day(day: dt.date) -> bool:
    """A weekday that is not a national holiday (jpholiday) nor a town closure (12/29–1/3)."""
    import jpholiday
    return day.weekday() < 5 and not jpholiday.is_holiday(day) and (day.month, day.day) not in TOWN_CLOSURES


def next_business_day(after: dt.date) -> dt.date:
    """The first business day after `after` (the default 開催日)."""
    day = after + dt.timedelta(days=1)
    while not is_business_day(day):
        day += dt.timedelta(days=1)
    return day


def previous_meeting(meetings: pd.DataFrame, kind: str, before: dt.date) -> dt.date | None:
    """The date of the last meeting of `kind` held before `before`."""
    held = [d for d in meetings.loc[meetings["種別"] == kind, "開催日"].dt.date if d < before]
    return max(held) if held else None


def _discussed(meetings: pd.DataFrame, kind: str, before: dt.date) -> dict[str, dt.date]:
    """世帯ID → the last date a meeting of `kind` before `before` had it on the agenda."""
    out: dict[str, dt.date] = {}
    for day, ids in zip(meetings.loc[meetings["種別"] == kind, "開催日"].dt.date,
                        meetings.loc[meetings["種別"] == kind, "対象世帯"]):
        if day < before:
            for hid in ids:
                out[hid] = max(out.get(hid, day), day)
    return out


def propose(workbook, kind: str, meeting_date: dt.date, stale_days: int | None = None) -> list[Proposal]:
    """Households the rules put on a 重層的支援会議 or 支援会議 agenda, most urgent first.

    Only active households (not 終結/中断) on the meeting's own track are proposed:
    同意あり → 重層的支援会議, 同意なし・不明 → 支援会議.
    """
    stale_days = stale_contact_days() if stale_days is None else stale_days
    if kind not in CASE_MEETINGS:
        return []
    hh = workbook[schema.HOUSEHOLDS]
    hh = hh[~hh["段階"].isin(CLOSED_STAGES) & (hh["同意"].map(track) == kind)]
    meetings = workbook[schema.MEETINGS]
    previous = previous_meeting(meetings, kind, meeting_date)
    contacts = workbook[schema.CONTACTS]
    last = last_contacts(hh, contacts)
    plans = workbook[schema.PLANS]
    plan_statuses = plans.groupby("世帯ID")["状況"].apply(list).to_dict() if len(plans) else {}
    plan_updated = plans.groupby("世帯ID")["更新日"].max().to_dict() if len(plans) else {}
    discussed = _discussed(meetings, JUSOU, meeting_date)
    recent_contacts = set(contacts.loc[contacts["日付"].dt.date > previous, "世帯ID"]) if previous else set(contacts["世帯ID"])
    proposals = []
    for row in hh.to_dict("records"):
        hid = row["世帯ID"]
        reasons = []
        if row["緊急度"] == "高":
            reasons.append("緊急")
        received = as_date(row["受付日"])
        if kind == JUSOU:
            seen = last.get(hid) or received
            if seen and (meeting_date - seen).days >= stale_days:
                reasons.append("中断検討")
            statuses = plan_statuses.get(hid, [])
            if statuses and all(s in DONE_STATUSES for s in statuses):
                reasons.append("終結検討")
            review = as_date(row["次回見直し日"])
            if review and review <= meeting_date:
                reasons.append("見直し期限")
            if statuses:
                made = as_date(plan_updated.get(hid)) or received
                if hid not in discussed or (made and discussed[hid] < made):
                    reasons.append("プラン評価")
            if received and (previous is None or received > previous):
                reasons.append("新規")
        else:
            if hid in recent_contacts or (received and (previous is None or received > previous)):
                reasons.append("新規情報")
            if row["段階"] == "見守り":
                reasons.append("見守り状況")
        if reasons:
            proposals.append(Proposal(hid, tuple(sorted(reasons, key=lambda r: REASONS[r].priority))))
    order = {hid: i for i, hid in enumerate(hh["世帯ID"])}
    return sorted(proposals, key=lambda p: (p.priority, order[p.household_id]))


def addable(workbook, kind: str, present: list[str]) -> list[str]:
    """Households staff may add by hand: active, on this meeting's track, not yet on the agenda."""
    hh = workbook[schema.HOUSEHOLDS]
    ok = ~hh["段階"].isin(CLOSED_STAGES) & (hh["同意"].map(track) == kind) & ~hh["世帯ID"].isin(present)
    return list(hh.loc[ok, "世帯ID"])


def move(items: list, index: int, step: int) -> list:
    """The list with item `index` moved `step` places (clamped at either end)."""
    target = min(max(index + step, 0), len(items) - 1)
    out = list(items)
    out.insert(target, out.pop(index))
    return out


def plan_status(workbook, today: dt.date) -> pd.DataFrame:
    """定例会議: each active household's plan items by 状況, with items past their 期限."""
    hh = workbook[schema.HOUSEHOLDS]
    hh = hh[~hh["段階"].isin(CLOSED_STAGES)]
    plans = workbook[schema.PLANS]
    rows = []
    for hid, name, stage in zip(hh["世帯ID"], hh["表示名"], hh["段階"]):
        own = plans[plans["世帯ID"] == hid]
        if own.empty:
            continue
        counts = own["状況"].value_counts()
        overdue = sum(1 for d, s in zip(own["期限"], own["状況"]) if is_overdue(d, s, today))
        rows.append({"世帯ID": hid, "表示名": name, "段階": stage, "項目": len(own),
                     **{s: int(counts.get(s, 0)) for s in schema.PLAN_STATUS}, "期限切れ": overdue})
    return pd.DataFrame(rows, columns=["世帯ID", "表示名", "段階", "項目", *schema.PLAN_STATUS, "期限切れ"])


def agencies_to_notify(workbook, agenda: Agenda) -> list[str]:
    """開催通知の宛先: for a 支援会議 its 構成員 (no one else may hear its cases); for a
    重層的支援会議 each household's 主担当機関 and agencies in its plans' 役割分担 (every agency
    for 定例会議・代表者会議); in the order of the 機関 tab where listed."""
    if agenda.kind == SHIEN:
        return agency_members(workbook)
    ids = {p.household_id for p in agenda.items}
    hh = workbook[schema.HOUSEHOLDS]
    agencies = workbook[schema.AGENCIES]
    known = list(agencies["機関名"])
    if agenda.kind not in CASE_MEETINGS:
        return known            # 定例会議・代表者会議: every agency of the town
    named = [a for a in hh.loc[hh["世帯ID"].isin(ids), "主担当機関"] if isinstance(a, str) and a]
    plans = workbook[schema.PLANS]
    in_roles = set().union(*(agencies_named(r, known) for r in plans.loc[plans["世帯ID"].isin(ids), "役割分担"]))
    named += [a for a in known if agency_key(a) in in_roles]
    tab = agency_directory(workbook)
    unique = list({agency_key(a): tab.spelling(a) for a in named}.values())     # each agency once, as the 機関 tab spells it
    rank = {a: i for i, a in enumerate(known)}
    return sorted(unique, key=lambda a: rank.get(a, len(rank)))
