"""Pseudonyms on the wall stay put: edits, refreshes, added and deleted rows rename nobody else."""
import re

import pytest

from lib.access.pseudonyms import pseudonyms
from lib.access.scope import Viewer, scope_workbook
from lib.workbook.validate import validate

KEY = "a-town-cookie-key-0123456789-abcdefghijkl"


@pytest.fixture
def sample(sample_raw):
    return validate(sample_raw)


def projected_names(workbook, key=KEY):
    hh = scope_workbook(workbook, Viewer(projection=True, pseudonym_key=key))["世帯"]
    return dict(zip(hh["世帯ID"], hh["表示名"]))


def edited(raw, tab, row_id, column, value):
    """The raw workbook with one cell of the row whose first cell is `row_id` changed."""
    rows = [list(r) for r in raw[tab]]
    index = rows[0].index(column)
    for r in rows[1:]:
        if r and r[0] == row_id:
            r[index] = value
    return {**raw, tab: rows}


def test_names_are_unique_and_do_not_show_the_id_or_initials(sample):
    names = projected_names(sample)
    assert len(set(names.values())) == len(names) > 30
    assert all(re.fullmatch(r"[A-Z]{3}世帯", n) for n in names.values())
    by_id = [names[h] for h in sorted(names)]
    assert by_id != sorted(by_id)                                     # not the 世帯ID order
    real = dict(zip(sample["世帯"]["世帯ID"], sample["世帯"]["表示名"]))
    assert sum(names[h][0] == real[h][0] for h in names) <= 2       # not the initials


def test_a_stage_move_a_name_fix_and_a_deleted_row_rename_nobody_else(sample_raw, sample):
    before = projected_names(sample)
    moved = validate(edited(sample_raw, "世帯", "H-006", "段階", "終結"))
    assert projected_names(moved) == before
    renamed = validate(edited(sample_raw, "世帯", "H-004", "表示名", "木ノ下世帯"))
    assert projected_names(renamed) == before
    victim = "H-010"
    deleted = validate({**sample_raw, "世帯": [r for r in sample_raw["世帯"] if not r or r[0] != victim]})
    after = projected_names(deleted)
    assert victim not in after and all(after[h] == before[h] for h in after)


def test_a_new_household_never_takes_an_existing_name(sample_raw, sample):
    before = projected_names(sample)
    header = sample_raw["世帯"][0]
    new_rows = []
    for n in range(200):          # many newcomers: some draw a name already in use
        row = [""] * len(header)
        row[header.index("世帯ID")], row[header.index("表示名")] = f"H-N{n:03d}", f"新規{n}世帯"
        row[header.index("同意")], row[header.index("段階")] = "あり", "受付"
        row[header.index("受付日")] = "2026/11/25"
        new_rows.append(row)
    grown = validate({**sample_raw, "世帯": [*sample_raw["世帯"], *new_rows]})
    after = projected_names(grown)
    assert all(after[h] == before[h] for h in before)
    assert len(set(after.values())) == len(after)


def test_another_town_key_gives_other_names(sample):
    assert projected_names(sample) != projected_names(sample, key="another-town-key-000000000000000000")


def test_pseudonyms_function_is_deterministic(sample):
    hh = sample["世帯"]
    assert pseudonyms(hh, KEY) == pseudonyms(hh.iloc[::-1], KEY)


def test_one_pseudonym_names_one_household_on_every_screen_for_hundreds_of_keys(sample):
    """The board (重層 only), a 支援会議's projected view, the wall of one household and a staff
    member's projected board, side by side: no name is shared by two households, for 200 keys."""
    from lib.access import users
    staff = users.user(users.load(users.DEMO_USERS_FILE), "houkatsu")
    shien = [h for h, c in zip(sample["世帯"]["世帯ID"], sample["世帯"]["同意"]) if c != "あり"]
    for n in range(200):
        key = f"town-key-{n:03d}-0123456789abcdefghijklmnop"
        views = [Viewer(projection=True, pseudonym_key=key),
                 Viewer(projection=True, pseudonym_key=key, meeting_context="支援会議"),
                 Viewer(projection=True, pseudonym_key=key, meeting_context="支援会議", wall=shien[n % len(shien)]),
                 Viewer(projection=True, pseudonym_key=key, user=staff)]
        seen: dict[str, str] = {}
        for viewer in views:
            hh = scope_workbook(sample, viewer)["世帯"]
            for hid, name in zip(hh["世帯ID"], hh["表示名"]):
                assert seen.setdefault(name, hid) == hid, f"key {n}: {name} names {seen[name]} and {hid}"
