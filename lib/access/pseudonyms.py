"""Stable pseudonyms for the wall: 表示名 → 「KTX世帯」.

A household's pseudonym comes from a keyed hash of its 世帯ID alone, so it survives stage changes,
name corrections, refreshes, reruns and other rows being added or deleted; the key (derived from
the town's cookie key) means the name says nothing about the 世帯ID, its order or the initials.
When two households of the town draw the same name, the one received first (受付日, then 世帯ID)
keeps it and the other takes its next draw. Collisions are settled over the whole town (every
household, both tracks: lib.access.scope.town_pseudonyms), never within what one screen shows, so a
pseudonym names one household on every screen; a newly added household never renames an existing one.
"""
from __future__ import annotations

import hashlib
import hmac

import pandas as pd

from lib.workbook.cells import as_date

# Letters used (I and O left out: they read as 1 and 0 on a projector):
LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
# Letters per name: 24³ = 13,824 names, so that two households rarely draw the same one.
LENGTH = 3
SUFFIX = "世帯"


def _draws(household_id: str, key: bytes):
    """An endless sequence of candidate names for one household."""
    attempt = 0
    while True:
        digest = hmac.new(key, f"{household_id}\x00{attempt}".encode(), hashlib.sha256).digest()
        n = int.from_bytes(digest[:8], "big")
        letters = ""
        for _ in range(LENGTH):
            n, r = divmod(n, len(LETTERS))
            letters += LETTERS[r]
        yield letters + SUFFIX
        attempt += 1


def pseudonyms(households: pd.DataFrame, key: str) -> dict[str, str]:
    """世帯ID → pseudonym for these households (unique among them; pass the whole town)."""
    secret = hashlib.sha256(("tsunagu-pseudonym\x00" + (key or "")).encode()).digest()
    order = sorted(zip(households["世帯ID"], households["受付日"]),
                   key=lambda r: (as_date(r[1]) or pd.Timestamp.max.date(), r[0]))
    taken, names = set(), {}
    for hid, _ in order:
        for name in _draws(hid, secret):
            if name not in taken:
                taken.add(name)
                names[hid] = name
                break
    return names
