"""The daily digest of one agency (pure): what needs doing, and what changed since its last digest.

Households are named by 世帯ID and a link to their screen only. No 表示名 (unless the town allows
names because its mail stays inside LGWAN), no 課題 and no free text (依頼内容, 経過記録, 決定事項)
ever go into a mail. Which households an agency hears about is the viewer scope's rule for its
staff (lib.access.scope.visible_households), so a 支援会議 case reaches members only.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from lib.access.scope import visible_households
from lib.access.users import STAFF, User
from lib.casework import participation
from lib.casework.agencies import key as agency_key, names_agency
from lib.casework.board import last_contacts
from lib.casework.households import CLOSED_STAGES
from lib.casework.plans import is_overdue
from lib.casework.referrals import pending
from lib.workbook import schema
from lib.workbook.cells import as_date, to_wareki

# Reviews due within this many days are listed (and every overdue one):
REVIEW_AHEAD_DAYS = 14


@dataclass
class Section:
    title: str
    lines: list[str] = field(default_factory=list)


@dataclass
class Digest:
    """One agency's digest: its address (None when the 機関 tab has none) and its sections."""

    agency: str
    address: str | None
    sections: list[Section]

    @property
    def empty(self) -> bool:
        return not any(s.lines for s in self.sections)

    @property
    def households(self) -> int:
        return len({line.split(" ", 1)[0] for s in self.sections for line in s.lines})

    def text(self, today: dt.date) -> str:
        parts = [f"{self.agency} 御中", "", f"つなぐボードの毎日のお知らせです（{to_wareki(today, weekday=True)}）。",
                 "世帯は世帯IDとリンクだけで示します。内容はリンク先（つなぐボード）で確かめてください。", ""]
        for s in self.sections:
            parts.append(f"■ {s.title}（{len(s.lines)}件）")
            parts += [f"  {line}" for line in s.lines] or ["  ありません"]
            parts.append("")
        parts.append("このメールはつなぐボードが自動で送っています。返信しても届きません。")
        return "\n".join(parts)


def link(app_url: str, household_id: str) -> str:
    return f"{app_url.rstrip('/')}/setai?id={household_id}"


def _label(hid: str, names: dict[str, str] | None, app_url: str) -> str:
    name = f" {names[hid]}" if names and names.get(hid) else ""
    return f"{hid}{name} {link(app_url, hid)}"


def agency_digest(workbook, agency: str, address: str | None, today: dt.date, since: dt.date, *, stale_days: int,
                  app_url: str, with_names: bool = False) -> Digest:
    """The digest for `agency`: reviews due (14 days) or overdue and stale contacts of the
    households it leads, requests waiting for its answer, overdue plan items it holds a role in,
    参加支援 matchings due a 定着支援 contact (recorded by it or of households it leads), and what
    changed since `since` (moves of 段階, answers to its requests, households newly led)."""
    keep = visible_households(workbook, User("", "", STAFF, agency))
    key = agency_key(agency)
    hh = workbook[schema.HOUSEHOLDS]
    hh = hh[hh["世帯ID"].isin(keep)]
    led = hh[(hh["主担当機関"].map(agency_key) == key)]
    active = led[~led["段階"].isin(CLOSED_STAGES)]
    names = dict(zip(hh["世帯ID"], hh["表示名"])) if with_names else None

    def label(hid):
        return _label(hid, names, app_url)

    reviews = Section("見直しの時期（14日以内・過ぎたもの）")
    for hid, review in sorted(((h, as_date(r)) for h, r in zip(active["世帯ID"], active["次回見直し日"])
                               if as_date(r)), key=lambda x: x[1]):
        if review <= today + dt.timedelta(days=REVIEW_AHEAD_DAYS):
            when = f"{(today - review).days}日過ぎ" if review < today else ("今日" if review == today else
                                                                        f"あと{(review - today).days}日")
            reviews.lines.append(f"{label(hid)}　次回見直し日 {to_wareki(review)}（{when}）")

    waiting = Section("応答していない「つなぎ」の依頼")
    requests = pending(workbook, today)
    for row in requests[requests["依頼先機関"].map(agency_key) == key].to_dict("records"):
        # Before it accepts, the recipient may know only that a request waits (scope.inbox):
        waiting.lines.append(f"{row['世帯ID']} {link(app_url, row['世帯ID'])}　{row['種類']}（{row['依頼元機関']}から、"
                             f"{row['経過日数']}日経過）")
    for row in requests[requests["依頼元機関"].map(agency_key) == key].to_dict("records"):
        waiting.lines.append(f"{row['世帯ID']} {link(app_url, row['世帯ID'])}　出した{row['種類']}（{row['依頼先機関']}へ、"
                             f"{row['経過日数']}日経過・応答待ち）")

    stale = Section(f"{stale_days}日以上接触のない世帯")
    last = last_contacts(active, workbook[schema.CONTACTS])
    for hid, received in zip(active["世帯ID"], active["受付日"]):
        seen = last.get(hid) or as_date(received)
        if seen and (today - seen).days >= stale_days:
            stale.lines.append(f"{label(hid)}　最終接触 {to_wareki(seen)}（{(today - seen).days}日前）")

    overdue = Section("期限を過ぎた取組（役割分担にこの機関の名前があるもの）")
    plans = workbook[schema.PLANS]
    plans = plans[plans["世帯ID"].isin(set(hh.loc[~hh["段階"].isin(CLOSED_STAGES), "世帯ID"]))]
    known = list(workbook[schema.AGENCIES]["機関名"])
    for row in plans.to_dict("records"):
        if is_overdue(row["期限"], row["状況"], today) and names_agency(row["役割分担"], agency, known):
            overdue.lines.append(f"{label(row['世帯ID'])}　{row['対象']}の取組 期限 {to_wareki(as_date(row['期限']))}"
                                 f"（{row['状況'] or '状況未記入'}）")

    follow = Section(f"定着支援の時期（参加支援。{participation.FOLLOW_UP_DAYS}日以上記録のないもの）")
    lead_of = dict(zip(hh["世帯ID"], hh["主担当機関"]))
    for m in participation.follow_ups_due(participation.matchings(workbook[schema.PARTICIPATION]), today):
        if m.household in keep and key in {agency_key(m.agency or ""), agency_key(lead_of.get(m.household) or "")}:
            follow.lines.append(f"{label(m.household)}　{m.target}の{m.resource}（{m.step}）最後の記録 {to_wareki(m.last)}"
                                f"（{(today - m.last).days}日前）")

    changed = Section(f"{to_wareki(since)}からの変化")
    history = workbook[schema.STAGE_HISTORY]
    moved = history[history["世帯ID"].isin(set(led["世帯ID"])) & (history["日付"].dt.date >= since)]
    for row in moved.sort_values("日付").to_dict("records"):
        changed.lines.append(f"{label(row['世帯ID'])}　段階 {row['旧段階'] or '（新規）'} → {row['新段階']}"
                             f"（{to_wareki(row['日付'].date())}）")
    referrals = workbook[schema.REFERRALS]
    answered = referrals[(referrals["依頼元機関"].map(agency_key) == key) & referrals["応答日"].notna()]
    answered = answered[answered["応答日"].dt.date >= since]
    for row in answered.to_dict("records"):
        changed.lines.append(f"{row['世帯ID']} {link(app_url, row['世帯ID'])}　出した{row['種類']}の依頼に「{row['状態']}」"
                             f"（{row['依頼先機関']}、{to_wareki(row['応答日'].date())}）")
    for hid, received in zip(led["世帯ID"], led["受付日"]):
        if as_date(received) and as_date(received) >= since:
            changed.lines.append(f"{label(hid)}　新しく主担当になった世帯（受付 {to_wareki(as_date(received))}）")
    return Digest(agency, address, [reviews, waiting, stale, overdue, follow, changed])


def digests(workbook, today: dt.date, last_sent: dict[str, str], *, stale_days: int, app_url: str,
            with_names: bool = False) -> list[Digest]:
    """Every agency of the 機関 tab, each with the changes since its own last digest (yesterday
    when it has had none)."""
    agencies = workbook[schema.AGENCIES]
    out = []
    for name, address in zip(agencies["機関名"], agencies["メール"]):
        since = dt.date.fromisoformat(last_sent[name]) if last_sent.get(name) else today - dt.timedelta(days=1)
        address = address.strip() if isinstance(address, str) and address.strip() else None
        out.append(agency_digest(workbook, name, address, today, since, stale_days=stale_days, app_url=app_url,
                                 with_names=with_names))
    return out


def agencies_without_address(agencies: pd.DataFrame) -> list[str]:
    return [n for n, m in zip(agencies["機関名"], agencies["メール"]) if not (isinstance(m, str) and m.strip())]
