"""Values derived from one read of the workbook (a viewer's scoped copy, the board, プラン進捗 …),
computed once and shared by every session showing that read: twenty people on the same board cost
one computation, and the tables are held once, not once per session.

A value belongs to the read it came from (held by its Snapshot) and goes with it; a new read starts
empty. Callers must treat what they get as read-only: it is the same object for everyone.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable, Hashable, TypeVar

T = TypeVar("T")
# Values kept per read (the least recently used go first): viewers × screens × filters in use.
LIMIT = 64


class Derived:
    """A small store of computed values with one computation per key at a time (a second session
    asking for the same key while it is computed waits for it instead of computing it again)."""

    def __init__(self, limit: int = LIMIT):
        self.limit = limit
        self._values: OrderedDict[Hashable, object] = OrderedDict()
        self._computing: dict[Hashable, threading.Lock] = {}
        self._lock = threading.Lock()
        self.computed = 0                  # how many values were computed (for tests and benchmarks)

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
            busy = self._computing.setdefault(key, threading.Lock())
        with busy:
            with self._lock:
                if key in self._values:
                    return self._values[key]
            value = compute()
            with self._lock:
                self._values[key] = value
                self.computed += 1
                while len(self._values) > self.limit:
                    self._values.popitem(last=False)
                self._computing.pop(key, None)
        return value

    def __len__(self) -> int:
        return len(self._values)
