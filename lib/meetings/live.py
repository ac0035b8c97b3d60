"""Meetings being run right now: what the operator's screen tells the wall.

One process serves every browser, so a running meeting lives in this module's table, shared by
the operator's session (which writes it) and the wall's sessions (which only read it). It holds
no name and nothing typed: the meeting's kind, date, the ordered 世帯ID with their reasons, the
current item and since when — the wall looks everything else up through the viewer scope.
"""
from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass

# A meeting nobody has moved on for this long is taken as over (the operator closed the tab):
IDLE = dt.timedelta(hours=4)


@dataclass(frozen=True)
class Live:
    """One running meeting as the wall sees it."""

    key: str
    kind: str
    date: dt.date
    start: dt.time
    items: tuple[tuple[str, tuple[str, ...]], ...]    # (世帯ID, reasons) in agenda order
    pos: int
    minutes: int                                      # per item
    since: dt.datetime                                # when the current item came up
    operator: str                                     # who runs it (display name)
    touched: dt.datetime

    @property
    def current(self) -> tuple[str, tuple[str, ...]] | None:
        return self.items[self.pos] if 0 <= self.pos < len(self.items) else None

    def label(self) -> str:
        return f"{self.kind} {self.date:%m/%d} {self.start:%H:%M}〜（進行: {self.operator}）"


_LOCK = threading.Lock()
_RUNNING: dict[str, Live] = {}


def meeting_key(kind: str, date: dt.date, operator_id: str) -> str:
    """One running meeting per operator, kind and day (stable across the operator's reruns)."""
    import hashlib
    return hashlib.sha256(f"{kind}\x00{date.isoformat()}\x00{operator_id}".encode()).hexdigest()[:12]


def publish(key: str, kind: str, date: dt.date, start: dt.time, items, pos: int, minutes: int, operator: str,
            now: dt.datetime) -> Live:
    """Record the operator's current state; the clock restarts only when the current item changes."""
    items = tuple((hid, tuple(reasons)) for hid, reasons in items)
    pos = min(max(pos, 0), max(len(items) - 1, 0))
    with _LOCK:
        old = _RUNNING.get(key)
        moved = old is None or old.current != (items[pos] if items else None) or old.pos != pos
        live = Live(key, kind, date, start, items, pos, minutes, now if moved else old.since, operator, now)
        _RUNNING[key] = live
        return live


def stop(key: str) -> None:
    with _LOCK:
        _RUNNING.pop(key, None)


def running(now: dt.datetime) -> list[Live]:
    """Meetings being run, latest first (idle ones are dropped)."""
    with _LOCK:
        for key in [k for k, v in _RUNNING.items() if now - v.touched > IDLE]:
            del _RUNNING[key]
        return sorted(_RUNNING.values(), key=lambda v: v.touched, reverse=True)


def get(key: str, now: dt.datetime) -> Live | None:
    return next((v for v in running(now) if v.key == key), None)


def elapsed(live: Live, now: dt.datetime) -> str:
    """The item's clock as the wall shows it: 「経過 4:05 / 15分」."""
    seconds = max(int((now - live.since).total_seconds()), 0)
    return f"経過 {seconds // 60}:{seconds % 60:02d} / {live.minutes}分"


def overtime(live: Live, now: dt.datetime) -> bool:
    return now - live.since > dt.timedelta(minutes=live.minutes)

