"""The viewer scope: at a desk everything; projected, no personal data and no no-consent households."""
import pandas as pd
import pytest

from lib.workbook import schema
from lib.access.scope import Viewer, age_band, scope_workbook
from lib.workbook.validate import validate


@pytest.mark.parametrize("age, band", [(82, "80代"), (80, "80代"), (9, "10歳未満"), (0, "10歳未満"), (10, "10代"),
                                       (None, None), (pd.NA, None)])
def test_age_bands(age, band):
    assert age_band(age) == band


@pytest.fixture(scope="module")
def workbook(sample_raw):
    return validate(sample_raw)


def test_desk_view_lets_everything_through(workbook):
    assert scope_workbook(workbook, Viewer()) is workbook


def test_projection_drops_no_consent_households_and_their_rows(workbook):
    scoped = scope_workbook(workbook, Viewer(projection=True))
    assert set(scoped["世帯"]["同意"]) == {"あり"}
    keep = set(scoped["世帯"]["世帯ID"])
    for tab in (schema.MEMBERS, schema.PLANS, schema.CONTACTS):
        assert set(scoped[tab]["世帯ID"]) <= keep
    assert all(set(ids) <= keep for ids in scoped["会議"]["対象世帯"])


def test_a_scoped_copy_holds_none_of_the_reads_own_rows(workbook):
    """A read keeps every tab's converted rows to make the next read faster; a viewer's copy must
    not carry them (all households) along beside its scoped tables."""
    assert workbook.converted and workbook.records
    scoped = scope_workbook(workbook, Viewer(projection=True))
    assert scoped.converted == {} and scoped.records == {}
    assert len(scoped["世帯"]) < len(workbook["世帯"])


def test_projection_in_a_shien_kaigi_context_keeps_no_consent_households(workbook):
    scoped = scope_workbook(workbook, Viewer(projection=True, meeting_context="支援会議"))
    assert len(scoped["世帯"]) == len(workbook["世帯"])
    assert set(scoped["世帯"]["同意"]) == {"あり", "なし", "不明"}


def test_projection_removes_every_name_and_free_text(workbook):
    scoped = scope_workbook(workbook, Viewer(projection=True, meeting_context="支援会議"))
    names = set(workbook["世帯"]["表示名"])
    assert not names & set(scoped["世帯"]["表示名"])
    assert scoped["世帯"]["表示名"].str.fullmatch(r"[A-Z]+世帯").all()
    for tab in schema.TABS:
        for column in schema.free_text_columns(tab.name):
            assert scoped[tab.name][column].isna().all(), (tab.name, column)
    assert scoped["世帯員"]["年齢"].isna().all()
    assert scoped["世帯員"]["年代"].notna().any()


def test_projection_drops_town_added_columns_and_problem_values(bad_workbook):
    from lib.workbook.sources import read_excel
    workbook = validate(read_excel(bad_workbook))
    scoped = scope_workbook(workbook, Viewer(projection=True))
    assert "独自メモ" not in scoped["世帯"].columns
    assert all(p.value == "" for p in scoped.problems)
    hidden = {"H-012"}   # 不明 → 支援会議 track
    assert not any(p.household in hidden for p in scoped.problems)
    assert len(scoped.problems) < len(workbook.problems)


def test_pseudonyms_are_the_same_on_every_page(workbook):
    a = scope_workbook(workbook, Viewer(projection=True))
    b = scope_workbook(workbook, Viewer(projection=True))
    assert dict(zip(a["世帯"]["世帯ID"], a["世帯"]["表示名"])) == dict(zip(b["世帯"]["世帯ID"], b["世帯"]["表示名"]))
