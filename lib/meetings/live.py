"""Meetings being run right now: what the operator's screen tells the wall.

A running meeting lives in the shared state (one table for every server process), written by the
operator's session and only read by the wall's sessions. It holds
no name and nothing typed: the meeting's kind, date, the ordered 世帯ID with their reasons, the
current item and since when — the wall looks everything else up through the viewer scope.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from lib import state

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


# The running meetings in the shared state (lib.state), so that the wall follows the operator
# whichever server process each is on:
RUNNING = "meetings_running.json"


def _to_json(live: Live) -> dict:
    return {"key": live.key, "kind": live.kind, "date": live.date.isoformat(), "start": live.start.isoformat(),
            "items": [[hid, list(reasons)] for hid, reasons in live.items], "pos": live.pos,
            "minutes": live.minutes, "since": live.since.isoformat(), "operator": live.operator,
            "touched": live.touched.isoformat()}


def _from_json(kept) -> Live | None:
    try:
        return Live(kept["key"], kept["kind"], dt.date.fromisoformat(kept["date"]),
                    dt.time.fromisoformat(kept["start"]),
                    tuple((str(hid), tuple(str(r) for r in reasons)) for hid, reasons in kept["items"]),
                    int(kept["pos"]), int(kept["minutes"]), dt.datetime.fromisoformat(kept["since"]),
                    str(kept["operator"]), dt.datetime.fromisoformat(kept["touched"]))
    except (KeyError, TypeError, ValueError):
        return None


def _table(kept) -> dict[str, Live]:
    found = {key: _from_json(value) for key, value in (kept if isinstance(kept, dict) else {}).items()}
    return {key: live for key, live in found.items() if live is not None}


def meeting_key(kind: str, date: dt.date, operator_id: str) -> str:
    """One running meeting per operator, kind and day (stable across the operator's reruns)."""
    import hashlib
    return hashlib.sha256(f"{kind}\x00{date.isoformat()}\x00{operator_id}".encode()).hexdigest()[:12]


def publish(where: state.Where, key: str, kind: str, date: dt.date, start: dt.time, items, pos: int, minutes: int,
            operator: str, now: dt.datetime) -> Live:
    """Record the operator's current state; the clock restarts only when the current item changes."""
    items = tuple((hid, tuple(reasons)) for hid, reasons in items)
    pos = min(max(pos, 0), max(len(items) - 1, 0))
    made: list[Live] = []

    def put(kept):
        table = _table(kept)
        old = table.get(key)
        moved = old is None or old.current != (items[pos] if items else None) or old.pos != pos
        live = Live(key, kind, date, start, items, pos, minutes, now if moved else old.since, operator, now)
        made[:] = [live]
        table = {k: v for k, v in table.items() if now - v.touched <= IDLE}
        table[key] = live
        return {k: _to_json(v) for k, v in table.items()}
    state.store(where).update(RUNNING, put, {})
    return made[0]


def stop(where: state.Where, key: str) -> None:
    state.store(where).update(RUNNING, lambda kept: {k: v for k, v in (kept or {}).items() if k != key}, {})


def running(where: state.Where, now: dt.datetime) -> list[Live]:
    """Meetings being run, latest first (idle ones are left out: the operator closed the tab)."""
    table = _table(state.store(where).read(RUNNING, {}))
    return sorted((v for v in table.values() if now - v.touched <= IDLE), key=lambda v: v.touched, reverse=True)


def get(where: state.Where, key: str, now: dt.datetime) -> Live | None:
    return next((v for v in running(where, now) if v.key == key), None)


def elapsed(live: Live, now: dt.datetime) -> str:
    """The item's clock as the wall shows it: 「経過 4:05 / 15分」."""
    seconds = max(int((now - live.since).total_seconds()), 0)
    return f"経過 {seconds // 60}:{seconds % 60:02d} / {live.minutes}分"


def overtime(live: Live, now: dt.datetime) -> bool:
    return now - live.since > dt.timedelta(minutes=live.minutes)

