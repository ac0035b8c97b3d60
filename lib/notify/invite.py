"""Meeting invitations (pure): the 様式1 開催通知 as mail text and an RFC 5545 calendar file.

The calendar event keeps one UID per meeting and agency, so that a re-sent invitation (the date,
time or place changed) updates the entry in the recipient's calendar instead of adding a second;
SEQUENCE counts the versions. Neither the mail nor the event lists households: a 支援会議
invitation carries the 守秘義務 notice, and every invitation only says how many households.
"""
from __future__ import annotations

import datetime as dt
import hashlib

from lib.casework.agencies import directory, is_member, key as agency_key
from lib.meetings import agenda as agenda_rules
from lib.meetings import paperwork
from lib.meetings import writeback as wb
from lib.workbook import schema

TZID = "Asia/Tokyo"
PRODID = "-//Tsunagu Board//つなぐボード//JA"
# Meetings this many days ahead get their invitation (and re-invitation when they change):
AHEAD_DAYS = 60


def upcoming(workbook, today: dt.date) -> list[wb.Saved]:
    """Meetings of the 会議 tab from today to AHEAD_DAYS ahead, in date order."""
    meetings = workbook[schema.MEETINGS]
    days = meetings["開催日"].dt.date
    soon = meetings[(days >= today) & (days <= today + dt.timedelta(days=AHEAD_DAYS))].sort_values("開催日")
    return [wb.saved_meeting(workbook, m) for m in soon["会議ID"]]


def invited(workbook, saved: wb.Saved) -> list[str]:
    """The agencies a saved meeting invites (its 参加機関, each once, as the 機関 tab spells it);
    a 支援会議 only its members."""
    agencies = list(saved.row.get("参加機関") or [])
    if saved.row["種別"] == agenda_rules.SHIEN:
        agencies = [a for a in agencies if is_member(workbook, a)]
    tab = directory(workbook)
    return list({agency_key(a): tab.spelling(a) for a in agencies if agency_key(a)}.values())


def fingerprint(saved: wb.Saved) -> str:
    """What an invitation says; a change means the invitation goes out again (same UID)."""
    row = saved.row
    parts = [row["種別"], row["開催日"], row.get("開始"), row.get("終了"), row.get("場所"), row.get("議長"),
             len(row.get("対象世帯") or ())]
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


def uid(meeting_id: str, agency: str, domain: str) -> str:
    digest = hashlib.sha256(f"{meeting_id}\x00{agency}".encode()).hexdigest()[:20]
    return f"{meeting_id}-{digest}@{domain}"


def notice_text(workbook, saved: wb.Saved, issued: dt.date, sender: str) -> tuple[str, str]:
    """Subject and body of the 様式1 開催通知 (the same form the 会議 screen prints)."""
    a = wb.agenda_of(saved)
    form = paperwork.notice(workbook, a, issued, sender)
    lines = []
    for block in form.blocks:
        if isinstance(block, paperwork.Table):
            lines += [f"  {row[0]}: {row[1]}" for row in block.rows]
        else:
            lines.append(block)
    subject = f"【開催通知】{a.kind} {a.date:%Y/%m/%d} {a.start:%H:%M}〜"
    return subject, "\n".join(lines)


def _escape(text: str) -> str:
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\n").replace("\n", "\\n"))


def _fold(line: str) -> list[str]:
    """RFC 5545 §3.1: lines of at most 75 octets, continued with a leading space (never inside a character)."""
    out, current = [], ""
    for ch in line:
        limit = 75 if not out else 74
        if len((current + ch).encode()) > limit:
            out.append(current)
            current = ch
        else:
            current += ch
    out.append(current)
    return [out[0], *(" " + x for x in out[1:])]


def calendar(saved: wb.Saved, agency: str, *, sequence: int, stamp: dt.datetime, domain: str,
             description: str) -> bytes:
    """The .ics of one invitation (METHOD:REQUEST, Asia/Tokyo)."""
    a = wb.agenda_of(saved)
    start = dt.datetime.combine(a.date, a.start)
    end = a.end_at() or start                 # the 会議 row's 終了 (the next day when it is past midnight)
    lines = ["BEGIN:VCALENDAR", f"PRODID:{PRODID}", "VERSION:2.0", "CALSCALE:GREGORIAN", "METHOD:REQUEST",
             "BEGIN:VTIMEZONE", f"TZID:{TZID}", "BEGIN:STANDARD", "DTSTART:19700101T000000", "TZOFFSETFROM:+0900",
             "TZOFFSETTO:+0900", "TZNAME:JST", "END:STANDARD", "END:VTIMEZONE",
             "BEGIN:VEVENT", f"UID:{uid(a.meeting_id, agency, domain)}", f"SEQUENCE:{sequence}",
             f"DTSTAMP:{stamp.astimezone(dt.timezone.utc):%Y%m%dT%H%M%SZ}",
             f"DTSTART;TZID={TZID}:{start:%Y%m%dT%H%M%S}", f"DTEND;TZID={TZID}:{end:%Y%m%dT%H%M%S}",
             f"SUMMARY:{_escape(a.kind)}", f"LOCATION:{_escape(a.place or '未定')}",
             f"DESCRIPTION:{_escape(description)}", "STATUS:CONFIRMED", "TRANSP:OPAQUE", "END:VEVENT",
             "END:VCALENDAR"]
    return ("\r\n".join(folded for line in lines for folded in _fold(line)) + "\r\n").encode()


def description(saved: wb.Saved) -> str:
    """The event's text: purpose and, for a 支援会議, the 守秘義務 notice; never a household."""
    kind = saved.row["種別"]
    text = f"{kind}の開催（{len(saved.row.get('対象世帯') or ())}世帯の検討。詳細は当日の資料）"
    if kind == agenda_rules.SHIEN:
        text += "\n【守秘義務】" + agenda_rules.SECRECY_NOTICE
    return text
