"""Values derived from one read are computed once and shared by every session showing that read."""
import threading
import time

import pytest

from lib.workbook.derived import Derived


def test_twenty_sessions_asking_at_once_cost_one_computation():
    store, calls, start = Derived(), [], threading.Barrier(20)

    def compute():
        calls.append(1)
        time.sleep(0.05)                   # long enough for the others to arrive meanwhile
        return object()

    got = []

    def session():
        start.wait()
        got.append(store.get(("board", "kyodo"), compute))
    threads = [threading.Thread(target=session) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and store.computed == 1
    assert len(got) == 20 and all(g is got[0] for g in got)


@pytest.mark.parametrize("limit, keys, kept", [
    (2, ["a", "b", "c"], {"b", "c"}),           # the oldest goes
    (2, ["a", "b", "a", "c"], {"a", "c"}),      # a used again is kept
    (3, ["a", "a", "a"], {"a"}),
])
def test_the_least_recently_used_values_go_first(limit, keys, kept):
    store = Derived(limit)
    for k in keys:
        store.get(k, lambda k=k: k.upper())
    assert len(store) == len(kept)
    before = store.computed
    assert {k for k in kept if store.get(k, lambda: None) == k.upper()} == kept
    assert store.computed == before


def test_different_keys_are_computed_apart():
    store = Derived()
    assert [store.get(k, lambda k=k: k * 2) for k in (1, 2, 1)] == [2, 4, 2]
    assert store.computed == 2


def test_two_people_on_the_board_share_its_computation(monkeypatch):
    from tests.test_pages import open_page
    from lib.ui import session
    session._store.clear()                                   # a fresh read: nothing derived yet
    first = open_page("screens/board.py", user="kyodo")
    from lib.workbook import sources
    entries, _ = session._store()
    snapshot = entries[sources.resolve(secrets={}).cache_key].snapshot
    boards = [k for k in snapshot.derived._values if isinstance(k, tuple) and k[:2] == ("lib.casework.board", "build_board")]
    assert len(boards) == 1
    computed = snapshot.derived.computed
    second = open_page("screens/board.py", user="kyodo")   # another browser, another session
    assert snapshot.derived.computed == computed       # nothing computed again: scope and board were shared
    cards = [m.value for m in first.markdown if 'class="tb-card"' in m.value]
    assert cards and cards == [m.value for m in second.markdown if 'class="tb-card"' in m.value]
